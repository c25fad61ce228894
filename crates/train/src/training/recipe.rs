//! The training recipe: optimiser, schedule, epochs, batch size, loss weight and seed, as one
//! JSON-serialisable config with the CYBORG paper's settings as defaults.

use burn::prelude::*;
use cyborg_cam::CamClass;
use cyborg_data::AugmentConfig;
use cyborg_saliency_loss::{CyborgLossConfig, SaliencyLossConfig};
use serde::{Deserialize, Serialize};

/// The optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Optimizer {
    /// SGD with PyTorch's semantics (`torch.optim.SGD`: no dampening, L2 weight decay).
    Sgd {
        /// Momentum (0.9 in the paper).
        momentum: f64,
        /// L2 penalty added to the gradient (1e-6 in the paper).
        weight_decay: f64,
    },
    /// Adam (ε = 1e-8 as PyTorch) with L2 weight decay.
    Adam {
        /// L2 penalty added to the gradient.
        weight_decay: f64,
    },
}

/// How the learning rate changes over training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// The initial rate throughout.
    Constant,
    /// Multiplied by `gamma` every `every_epochs` epochs (the paper: ×0.1 every 12).
    Step {
        /// Epochs between decays.
        every_epochs: usize,
        /// Factor applied at each decay.
        gamma: f64,
    },
    /// Cosine annealing from the initial rate to 0 over the whole run.
    Cosine,
}

/// Everything that decides a training run besides the model and the data.
///
/// The defaults are the CYBORG paper's recipe ([`TrainingConfig::paper`]): SGD, learning rate
/// 0.005, momentum 0.9, weight decay 1e-6, ×0.1 every 12 epochs, batch 20, 50 epochs, α = 0.5,
/// the label's CAM; the model kept is the one with the best validation accuracy (a later epoch
/// wins ties).
#[derive(Config, Debug)]
pub struct TrainingConfig {
    /// The loss: the paper's CYBORG loss `0.5·CE + 0.5·MSE(CAM_y, S)` by default. Set α and
    /// the CAM class with [`TrainingConfig::with_alpha`] and [`TrainingConfig::with_cam_class`].
    #[config(default = "SaliencyLossConfig::default()")]
    pub loss: SaliencyLossConfig,
    /// Initial learning rate.
    #[config(default = 0.005)]
    pub learning_rate: f64,
    /// The optimiser.
    #[config(default = "Optimizer::Sgd { momentum: 0.9, weight_decay: 1e-6 }")]
    pub optimizer: Optimizer,
    /// The learning-rate schedule.
    #[config(default = "Schedule::Step { every_epochs: 12, gamma: 0.1 }")]
    pub schedule: Schedule,
    /// Images per optimiser step.
    #[config(default = 20)]
    pub batch_size: usize,
    /// Epochs in all (a resumed run continues up to this number).
    #[config(default = 50)]
    pub epochs: usize,
    /// Seed of the weights and the shuffling.
    #[config(default = 0)]
    pub seed: u64,
    /// Recompute memory-bound intermediate results (element-wise arithmetic such as batch
    /// norm's, reshapes, slices) during the backward pass instead of keeping them from the
    /// forward pass: Burn's balanced gradient checkpointing. Less memory for a slower step;
    /// the gradients are the same. Off in the paper's recipe.
    #[config(default = false)]
    pub gradient_checkpointing: bool,
    /// Random flips and crops of each training image and its human map together
    /// ([`AugmentConfig`]); `None`, the paper's setting, trains on the images as they are.
    /// The draws depend on the augmentation's seed, the epoch and the image alone, so a
    /// resumed run sees the uninterrupted run's.
    #[config(default = "None")]
    pub augment: Option<AugmentConfig>,
}

impl TrainingConfig {
    /// The CYBORG paper's recipe (the defaults).
    pub fn paper() -> Self {
        Self::new()
    }

    /// A recipe for a small network trained from scratch in seconds (the quickstart's and the
    /// examples'): Adam with learning rate 0.005 and no weight decay, constant, batch 32,
    /// 6 epochs, the paper's CYBORG loss. The paper's SGD recipe ([`TrainingConfig::paper`]) is
    /// for ImageNet-initialised backbones over 50 epochs.
    pub fn from_scratch() -> Self {
        Self::new()
            .with_optimizer(Optimizer::Adam { weight_decay: 0.0 })
            .with_schedule(Schedule::Constant)
            .with_learning_rate(5e-3)
            .with_batch_size(32)
            .with_epochs(6)
    }

    /// Trains with the CYBORG loss with weight `alpha` on cross-entropy (1 = cross-entropy
    /// alone), keeping the other CYBORG settings if the loss already was CYBORG.
    pub fn with_alpha(mut self, alpha: f64) -> Self {
        self.loss = SaliencyLossConfig::Cyborg(self.cyborg().with_alpha(alpha));
        self
    }

    /// Trains with the CYBORG loss comparing `cam_class`'s CAM, keeping the other CYBORG
    /// settings if the loss already was CYBORG.
    pub fn with_cam_class(mut self, cam_class: CamClass) -> Self {
        self.loss = SaliencyLossConfig::Cyborg(self.cyborg().with_cam_class(cam_class));
        self
    }

    fn cyborg(&self) -> CyborgLossConfig {
        match &self.loss {
            SaliencyLossConfig::Cyborg(c) => c.clone(),
            _ => CyborgLossConfig::new(),
        }
    }

    /// Checks the values, naming the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        self.loss.try_init().map_err(|error| error.to_string())?;
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return Err(format!(
                "learning rate must be in (0, 1], got {}",
                self.learning_rate
            ));
        }
        if self.batch_size == 0 || self.epochs == 0 {
            return Err(format!(
                "batch size and epochs must be positive, got {} and {}",
                self.batch_size, self.epochs
            ));
        }
        if let Schedule::Step {
            every_epochs: 0, ..
        } = self.schedule
        {
            return Err("the step schedule needs every_epochs > 0".into());
        }
        if let Some(augment) = &self.augment {
            if !(0.0..=1.0).contains(&augment.flip_probability) {
                return Err(format!(
                    "the flip probability must be in [0, 1], got {}",
                    augment.flip_probability
                ));
            }
            if !(augment.min_crop > 0.0 && augment.min_crop <= 1.0) {
                return Err(format!(
                    "the smallest crop must be in (0, 1], got {}",
                    augment.min_crop
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn augmentation_settings_are_checked() {
        let with = |augment: AugmentConfig| TrainingConfig::new().with_augment(Some(augment));
        assert_eq!(
            with(AugmentConfig::new().with_min_crop(0.8)).validate(),
            Ok(())
        );
        let error = with(AugmentConfig::new().with_min_crop(0.0)).validate();
        assert_eq!(
            error,
            Err("the smallest crop must be in (0, 1], got 0".into())
        );
        let error = with(AugmentConfig::new().with_flip_probability(1.5)).validate();
        assert_eq!(
            error,
            Err("the flip probability must be in [0, 1], got 1.5".into())
        );
        // Saved with the recipe, read back the same.
        let recipe = with(AugmentConfig::new().with_min_crop(0.8).with_seed(4));
        let json = serde_json::to_string(&recipe).unwrap();
        let back: TrainingConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back.augment.unwrap().min_crop, 0.8);
    }
}
