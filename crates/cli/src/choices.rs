//! The enum-like flags, as clap value enums: their values show in `--help`, and a bad one is
//! a parse error (exit status 2) naming the values there are.

use burn::prelude::Device;
use clap::{Args, ValueEnum};
use cyborg_cam::{CamClass, Colormap};
use cyborg_data::Normalization;
use cyborg_train::{AucScore, Optimizer, SaliencyLossConfig, Schedule, TrainingConfig};

use crate::error::CliError;

/// `--backend`: where the tensors live. Only the backends compiled in are accepted.
// The variants of backends not compiled in are skipped by clap, so never built.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// Burn's pure-Rust CPU backend.
    #[cfg_attr(not(feature = "flex"), value(skip))]
    Flex,
    /// The first discrete GPU, through wgpu.
    #[cfg_attr(not(feature = "wgpu"), value(skip))]
    Wgpu,
    /// wgpu on a software adapter (e.g. Mesa's lavapipe), which `wgpu` does not pick.
    #[cfg_attr(not(feature = "wgpu"), value(skip))]
    WgpuCpu,
    /// GPU 0 through CUDA.
    #[cfg_attr(not(feature = "cuda"), value(skip))]
    Cuda,
    /// Burn's deprecated ndarray CPU backend (for comparisons).
    #[cfg_attr(not(feature = "ndarray"), value(skip))]
    Ndarray,
}

impl Backend {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Wgpu => "wgpu",
            Backend::WgpuCpu => "wgpu-cpu",
            Backend::Cuda => "cuda",
            Backend::Ndarray => "ndarray",
        }
    }
}

/// The `--backend` flag, declared once for every command that runs a model.
#[derive(Debug, Clone, Args)]
pub struct BackendArgs {
    /// Where the tensors live (among the backends compiled in).
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    pub backend: Backend,
}

impl BackendArgs {
    /// The backend's device.
    pub fn device(&self) -> Result<Device, CliError> {
        crate::devices::device(self.backend.name())
    }

    /// The first `count` devices of the backend (see [`crate::devices::devices`]).
    pub fn devices(&self, count: usize) -> Result<Vec<Device>, CliError> {
        crate::devices::devices(self.backend.name(), count)
    }
}

/// `--optimizer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OptimizerChoice {
    /// SGD with momentum 0.9 and weight decay 1e-6 (the paper's, from
    /// `TrainingConfig::paper()`).
    Sgd,
    /// Adam without weight decay.
    Adam,
}

impl From<OptimizerChoice> for Optimizer {
    fn from(choice: OptimizerChoice) -> Self {
        match choice {
            OptimizerChoice::Sgd => TrainingConfig::paper().optimizer,
            OptimizerChoice::Adam => Optimizer::Adam { weight_decay: 0.0 },
        }
    }
}

/// `--schedule`: the learning rate over the epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleChoice {
    /// ×0.1 every 12 epochs (the paper's, from `TrainingConfig::paper()`).
    Step,
    /// Cosine annealing to zero.
    Cosine,
    /// The initial rate throughout.
    Constant,
}

impl From<ScheduleChoice> for Schedule {
    fn from(choice: ScheduleChoice) -> Self {
        match choice {
            ScheduleChoice::Step => TrainingConfig::paper().schedule,
            ScheduleChoice::Cosine => Schedule::Cosine,
            ScheduleChoice::Constant => Schedule::Constant,
        }
    }
}

/// `--cam-class` and `--target`: which class a CAM explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClassChoice {
    /// The image's label (the paper's).
    Label,
    /// The class the model predicts.
    Predicted,
}

impl From<ClassChoice> for CamClass {
    fn from(choice: ClassChoice) -> Self {
        match choice {
            ClassChoice::Label => CamClass::Label,
            ClassChoice::Predicted => CamClass::Predicted,
        }
    }
}

/// `--loss`: the saliency-guided loss `cyborg train` minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LossChoice {
    /// The paper's: α·CE + (1 − α)·MSE of the min-max normalised CAM and the human map.
    Cyborg,
    /// CE + λ · the raw CAMs of every class outside the human map, squared.
    Masked,
    /// CE + λ · the share of the label's positive CAM outside the map (Rao et al., 2023).
    Energy,
    /// CE + λ · L1 between the max-normalised positive CAM and the map (Rao et al.'s "L1").
    L1,
}

impl LossChoice {
    /// The loss with weight `lambda` on its term (not CYBORG, whose weight is α).
    pub fn weighted(self, lambda: f64) -> Option<SaliencyLossConfig> {
        match self {
            LossChoice::Cyborg => None,
            LossChoice::Masked => Some(SaliencyLossConfig::masked(lambda)),
            LossChoice::Energy => Some(SaliencyLossConfig::energy(lambda)),
            LossChoice::L1 => Some(SaliencyLossConfig::mask_l1(lambda)),
        }
    }
}

/// `--normalization`: how decoded images are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NormalizationChoice {
    /// ImageNet's per-channel mean and standard deviation (pretrained weights expect it).
    Imagenet,
    /// Pixels in [0, 1].
    None,
}

impl From<NormalizationChoice> for Normalization {
    fn from(choice: NormalizationChoice) -> Self {
        match choice {
            NormalizationChoice::Imagenet => Normalization::ImageNet,
            NormalizationChoice::None => Normalization::None,
        }
    }
}

/// `--auc-score`: the score a two-class AUC ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AucScoreChoice {
    /// The sigmoid of the class-1 logit (the paper's).
    PositiveLogit,
    /// The softmax probability of class 1.
    Softmax,
}

impl From<AucScoreChoice> for AucScore {
    fn from(choice: AucScoreChoice) -> Self {
        match choice {
            AucScoreChoice::PositiveLogit => AucScore::PositiveLogit,
            AucScoreChoice::Softmax => AucScore::Softmax,
        }
    }
}

/// `--colormap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColormapChoice {
    /// Perceptually uniform, readable in grey and by colour-blind viewers.
    Viridis,
    /// High-contrast rainbow, blue through green to dark red.
    Turbo,
    /// The classic rainbow most CAM papers use (not perceptually uniform).
    Jet,
}

impl From<ColormapChoice> for Colormap {
    fn from(choice: ColormapChoice) -> Self {
        match choice {
            ColormapChoice::Viridis => Colormap::Viridis,
            ColormapChoice::Turbo => Colormap::Turbo,
            ColormapChoice::Jet => Colormap::Jet,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value's name on the command line parses back to it.
    #[test]
    fn names_round_trip() {
        for backend in Backend::value_variants() {
            assert_eq!(Backend::from_str(backend.name(), false), Ok(*backend));
        }
        assert_eq!(
            AucScoreChoice::from_str("positive-logit", false),
            Ok(AucScoreChoice::PositiveLogit)
        );
        assert!(OptimizerChoice::from_str("rmsprop", false).is_err());
    }
}
