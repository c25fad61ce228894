//! Benchmark workloads shared by `benches/models.rs` (timing, divan) and
//! `examples/model_memory.rs` (peak memory), so both measure exactly the same step, and the
//! same steps as `scripts/bench_models.py` runs in PyTorch.

use burn::nn::loss::CrossEntropyLoss;
use burn::prelude::*;
use burn::tensor::Distribution;
use cyborg_models::{CamBackbone, DenseNetConfig, ResNetConfig};

/// A full-size 1000-class model at 224×224.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// torchvision's `resnet18()`.
    ResNet18,
    /// torchvision's `densenet121()`.
    DenseNet121,
}

impl Model {
    /// Every model, in table order.
    pub const ALL: [Model; 2] = [Model::ResNet18, Model::DenseNet121];

    /// The name used on the command line and in tables (`resnet18`, `densenet121`).
    pub fn name(self) -> &'static str {
        match self {
            Model::ResNet18 => "resnet18",
            Model::DenseNet121 => "densenet121",
        }
    }

    /// The model called `name`, if any.
    pub fn from_name(name: &str) -> Option<Model> {
        Self::ALL.into_iter().find(|model| model.name() == name)
    }

    fn build(self, device: &Device) -> Box<dyn CamBackbone> {
        match self {
            Model::ResNet18 => Box::new(ResNetConfig::resnet18(1000).init(device)),
            Model::DenseNet121 => Box::new(DenseNetConfig::densenet121(1000).init(device)),
        }
    }
}

/// What one iteration does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Inference: running batch-norm statistics, no autodiff graph.
    Forward,
    /// Training-mode forward (batch statistics, autodiff), cross-entropy and backward,
    /// without the optimiser update.
    ForwardBackward,
}

impl Mode {
    /// Both modes, in table order.
    pub const ALL: [Mode; 2] = [Mode::Forward, Mode::ForwardBackward];

    /// `forward` or `forward_backward`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Forward => "forward",
            Mode::ForwardBackward => "forward_backward",
        }
    }

    /// The mode called `name`, if any.
    pub fn from_name(name: &str) -> Option<Mode> {
        Self::ALL.into_iter().find(|mode| mode.name() == name)
    }
}

/// A prepared workload: model, seeded input batch and labels on the CPU (flex) backend.
pub struct Workload {
    model: Box<dyn CamBackbone>,
    images: Tensor<4>,
    labels: Tensor<1, Int>,
    mode: Mode,
}

impl Workload {
    /// Builds `model` with a seeded batch of `batch` images of 224×224.
    pub fn new(model: Model, mode: Mode, batch: usize) -> Self {
        let device = match mode {
            Mode::Forward => Device::flex(),
            Mode::ForwardBackward => Device::flex().autodiff(),
        };
        device.seed(0);
        let built = model.build(&device);
        let images = Tensor::random(
            [batch, 3, 224, 224],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let labels: Vec<i64> = (0..batch as i64).map(|i| i * 37 % 1000).collect();
        Workload {
            model: built,
            images,
            labels: Tensor::from_ints(labels.as_slice(), &device),
            mode,
        }
    }

    /// One iteration, finished (results read back) before it returns.
    pub fn run(&self) {
        let logits = self.model.forward_classified(self.images.clone()).logits;
        match self.mode {
            Mode::Forward => {
                logits.into_data();
            }
            Mode::ForwardBackward => {
                let loss = CrossEntropyLoss::new(None, &logits.device())
                    .forward(logits, self.labels.clone());
                std::hint::black_box(loss.backward());
            }
        }
    }
}

/// This process's resident memory now and its peak since the last [`reset_peak_memory`], in
/// bytes (`VmRSS`, `VmHWM` of `/proc/self/status`); `None` off Linux.
pub fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kib| kib * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Resets the peak resident memory (`VmHWM`) to the current one (Linux: writes 5 to
/// `/proc/self/clear_refs`). Returns whether it could.
pub fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
