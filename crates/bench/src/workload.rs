//! The benchmark workloads: what one iteration computes, with seeded inputs.

use std::fmt;

use burn::nn::loss::CrossEntropyLoss;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::prelude::*;
use burn::tensor::{Distribution, ExecutionError};
use cyborg_cam::global_average_pool;
use cyborg_models::{Architecture, Backbone, CamBackbone};
use cyborg_saliency_loss::{CyborgLossConfig, SaliencyLoss};

/// Images per batch of the loss workloads.
pub const LOSS_BATCH: usize = 64;
/// Feature channels of the loss workloads.
pub const LOSS_CHANNELS: [usize; 3] = [512, 1024, 2048];
/// CAM grids of the loss workloads.
pub const LOSS_GRIDS: [usize; 2] = [7, 14];
/// Classes of every workload (the paper's task: real vs synthetic).
pub const CLASSES: usize = 2;
/// The paper's SGD learning rate, used by the step workloads.
pub const LEARNING_RATE: f64 = 0.005;

/// The loss a workload trains with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossKind {
    /// Cross-entropy alone: the baseline.
    CrossEntropy,
    /// The paper's CYBORG loss: `0.5·CE + 0.5·MSE(minmax(CAM_y), minmax(S))`.
    Cyborg,
}

impl LossKind {
    /// Both, baseline first.
    pub const ALL: [LossKind; 2] = [LossKind::CrossEntropy, LossKind::Cyborg];

    /// `ce` or `cyborg`.
    pub fn name(self) -> &'static str {
        match self {
            LossKind::CrossEntropy => "ce",
            LossKind::Cyborg => "cyborg",
        }
    }
}

/// A model of the step and inference workloads, at its size and batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchModel {
    /// The small CNN of `cyborg-models`, 1×28×28, batch 64.
    SmallCnn,
    /// torchvision's ResNet-18 layout, 3×224×224, batch 16.
    ResNet18,
    /// torchvision's DenseNet-121 layout, 3×224×224, batch 8.
    DenseNet121,
}

impl BenchModel {
    /// Every model, smallest first.
    pub const ALL: [BenchModel; 3] = [
        BenchModel::SmallCnn,
        BenchModel::ResNet18,
        BenchModel::DenseNet121,
    ];

    /// The architecture's name (`small-cnn`, `resnet18`, `densenet121`).
    pub fn name(self) -> &'static str {
        match self {
            BenchModel::SmallCnn => "small-cnn",
            BenchModel::ResNet18 => "resnet18",
            BenchModel::DenseNet121 => "densenet121",
        }
    }

    /// Images per batch.
    pub fn batch(self) -> usize {
        match self {
            BenchModel::SmallCnn => 64,
            BenchModel::ResNet18 => 16,
            BenchModel::DenseNet121 => 8,
        }
    }

    /// `[channels, height, width]` of an input.
    pub fn input(self) -> [usize; 3] {
        match self {
            BenchModel::SmallCnn => [1, 28, 28],
            _ => [3, 224, 224],
        }
    }

    /// The CAM grid at that input (7×7 for all three).
    pub fn grid(self) -> [usize; 2] {
        [7, 7]
    }

    fn architecture(self) -> Architecture {
        match self {
            BenchModel::SmallCnn => Architecture::SmallCnn,
            BenchModel::ResNet18 => Architecture::ResNet18,
            BenchModel::DenseNet121 => Architecture::DenseNet121,
        }
    }

    /// The model with fresh weights and [`CLASSES`] outputs.
    pub fn build(self, device: &Device) -> Backbone {
        self.architecture()
            .init(CLASSES, self.input()[0], false, device)
    }
}

/// One benchmark workload. Names (`Display`, [`Workload::from_name`]) are shared with
/// `scripts/bench_backends.py`: `loss/c512/g7/cyborg`, `step/resnet18/ce`,
/// `inference/densenet121`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// The loss alone, forward and backward, from leaf `[64, channels, grid, grid]` features
    /// and a leaf two-class linear head; human maps already at the grid.
    Loss {
        /// Feature channels.
        channels: usize,
        /// Side of the CAM grid.
        grid: usize,
        /// The loss.
        loss: LossKind,
    },
    /// One training step: training-mode forward, loss, backward, SGD update (learning rate
    /// 0.005, momentum 0.9, weight decay 1e-6).
    Step {
        /// The model.
        model: BenchModel,
        /// The loss.
        loss: LossKind,
    },
    /// The forward pass in inference mode (running batch-norm statistics, no autodiff).
    Inference {
        /// The model.
        model: BenchModel,
    },
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Workload::Loss {
                channels,
                grid,
                loss,
            } => write!(f, "loss/c{channels}/g{grid}/{}", loss.name()),
            Workload::Step { model, loss } => write!(f, "step/{}/{}", model.name(), loss.name()),
            Workload::Inference { model } => write!(f, "inference/{}", model.name()),
        }
    }
}

impl Workload {
    /// Every workload, in table order: the loss alone, then each model's steps and inference.
    pub fn all() -> Vec<Workload> {
        let mut all = Vec::new();
        for grid in LOSS_GRIDS {
            for channels in LOSS_CHANNELS {
                for loss in LossKind::ALL {
                    all.push(Workload::Loss {
                        channels,
                        grid,
                        loss,
                    });
                }
            }
        }
        for model in BenchModel::ALL {
            for loss in LossKind::ALL {
                all.push(Workload::Step { model, loss });
            }
            all.push(Workload::Inference { model });
        }
        all
    }

    /// The workload called `name`, if any.
    pub fn from_name(name: &str) -> Option<Workload> {
        Self::all().into_iter().find(|w| w.to_string() == name)
    }

    /// The same workload with cross-entropy, for CYBORG workloads: its baseline.
    pub fn baseline(&self) -> Option<Workload> {
        match *self {
            Workload::Loss {
                channels,
                grid,
                loss: LossKind::Cyborg,
            } => Some(Workload::Loss {
                channels,
                grid,
                loss: LossKind::CrossEntropy,
            }),
            Workload::Step {
                model,
                loss: LossKind::Cyborg,
            } => Some(Workload::Step {
                model,
                loss: LossKind::CrossEntropy,
            }),
            _ => None,
        }
    }

    /// Timed iterations `cyborg bench` runs by default: 20 for the loss alone and the small
    /// CNN, 5 for ResNet-18 and DenseNet-121 (seconds per step on a CPU).
    pub fn default_iterations(&self) -> usize {
        match self {
            Workload::Loss { .. } => 20,
            Workload::Step { model, .. } | Workload::Inference { model } => match model {
                BenchModel::SmallCnn => 20,
                BenchModel::ResNet18 | BenchModel::DenseNet121 => 5,
            },
        }
    }

    /// Images per iteration.
    pub fn batch(&self) -> usize {
        match self {
            Workload::Loss { .. } => LOSS_BATCH,
            Workload::Step { model, .. } | Workload::Inference { model } => model.batch(),
        }
    }

    /// Builds the model and the seeded inputs on `device`: the step and loss workloads put
    /// them on its autodiff version (keeping the gradient checkpointing of a device that has
    /// it), inference on the device without autodiff.
    pub fn prepare(&self, device: &Device) -> Prepared {
        let train_device = device.clone().autodiff();
        match *self {
            Workload::Loss {
                channels,
                grid,
                loss,
            } => {
                let device = train_device;
                device.seed(0);
                Prepared::Loss {
                    features: Tensor::random(
                        [LOSS_BATCH, channels, grid, grid],
                        Distribution::Default,
                        &device,
                    ),
                    weights: Tensor::random(
                        [CLASSES, channels],
                        Distribution::Normal(0.0, 0.05),
                        &device,
                    ),
                    bias: Tensor::zeros([CLASSES], &device),
                    labels: labels(LOSS_BATCH, &device),
                    saliency: Tensor::random(
                        [LOSS_BATCH, grid, grid],
                        Distribution::Default,
                        &device,
                    ),
                    loss,
                    last_loss: None,
                }
            }
            Workload::Step { model, loss } => {
                let device = train_device;
                device.seed(0);
                let net = model.build(&device).train();
                let [c, h, w] = model.input();
                // Burn initialises parameters at first use: do it here, not in the timed
                // first iteration (PyTorch initialises them when the model is built).
                let _ = net.forward_classified(Tensor::zeros([1, c, h, w], &device));
                let batch = model.batch();
                let [gh, gw] = model.grid();
                let optimizer = SgdConfig::new()
                    .with_momentum(Some(
                        MomentumConfig::new().with_momentum(0.9).with_dampening(0.0),
                    ))
                    .with_weight_decay(Some(WeightDecayConfig::new(1e-6)))
                    .init();
                Prepared::Step {
                    net: Some(net),
                    optimizer,
                    images: Tensor::random(
                        [batch, c, h, w],
                        Distribution::Normal(0.0, 1.0),
                        &device,
                    ),
                    labels: labels(batch, &device),
                    saliency: Tensor::random([batch, gh, gw], Distribution::Default, &device),
                    loss,
                    last_loss: None,
                }
            }
            Workload::Inference { model } => {
                let device = &device.clone().without_autodiff();
                device.seed(0);
                let net = model.build(device);
                let [c, h, w] = model.input();
                let _ = net.forward(Tensor::zeros([1, c, h, w], device));
                Prepared::Inference {
                    images: Tensor::random(
                        [model.batch(), c, h, w],
                        Distribution::Normal(0.0, 1.0),
                        device,
                    ),
                    net,
                }
            }
        }
    }
}

/// Labels 0, 1, 0, 1, … (both classes present).
fn labels(batch: usize, device: &Device) -> Tensor<1, Int> {
    Tensor::<1, Int>::arange(0..batch as i64, device).remainder_scalar(2)
}

/// A workload ready to run: its model and inputs on a device.
#[allow(clippy::large_enum_variant)]
pub enum Prepared {
    /// See [`Workload::Loss`].
    Loss {
        /// `[batch, channels, grid, grid]`
        features: Tensor<4>,
        /// `[classes, channels]`
        weights: Tensor<2>,
        /// `[classes]`
        bias: Tensor<1>,
        /// `[batch]`
        labels: Tensor<1, Int>,
        /// `[batch, grid, grid]`
        saliency: Tensor<3>,
        /// The loss.
        loss: LossKind,
        /// The loss of the last iteration, read back.
        last_loss: Option<f32>,
    },
    /// See [`Workload::Step`].
    Step {
        /// The model (taken out and put back by each update).
        net: Option<Backbone>,
        /// SGD with momentum and weight decay.
        optimizer: ModuleOptimizer,
        /// `[batch, c, h, w]`
        images: Tensor<4>,
        /// `[batch]`
        labels: Tensor<1, Int>,
        /// `[batch, grid_h, grid_w]`
        saliency: Tensor<3>,
        /// The loss.
        loss: LossKind,
        /// The loss of the last step, read back.
        last_loss: Option<f32>,
    },
    /// See [`Workload::Inference`].
    Inference {
        /// The model, in inference mode.
        net: Backbone,
        /// `[batch, c, h, w]`
        images: Tensor<4>,
    },
}

impl Prepared {
    /// Runs one iteration and waits for the device to finish it.
    ///
    /// # Errors
    /// What the device reports if a kernel failed.
    pub fn run(&mut self) -> Result<(), ExecutionError> {
        match self {
            Prepared::Loss {
                features,
                weights,
                bias,
                labels,
                saliency,
                loss,
                last_loss,
            } => {
                let device = features.device();
                let features = features.clone().detach().require_grad();
                let weights = weights.clone().detach().require_grad();
                let bias = bias.clone().detach().require_grad();
                let logits = global_average_pool(features.clone())
                    .matmul(weights.clone().transpose())
                    + bias.clone().unsqueeze();
                let total = total_loss(
                    *loss,
                    logits,
                    features.clone(),
                    weights.clone(),
                    labels.clone(),
                    saliency.clone(),
                );
                let value = total.clone().detach();
                let grads = total.backward();
                std::hint::black_box((
                    features.grad(&grads),
                    weights.grad(&grads),
                    bias.grad(&grads),
                ));
                *last_loss = Some(value.into_scalar::<f32>());
                device.sync()
            }
            Prepared::Step {
                net,
                optimizer,
                images,
                labels,
                saliency,
                loss,
                last_loss,
            } => {
                let model = net.take().expect("the model is put back after each step");
                let out = model.forward_classified(images.clone());
                let total = total_loss(
                    *loss,
                    out.logits,
                    out.features,
                    model.class_weights(),
                    labels.clone(),
                    saliency.clone(),
                );
                let value = total.clone().detach();
                let grads = GradientsParams::from_grads(total.backward(), &model);
                *net = Some(optimizer.step(LEARNING_RATE, model, grads));
                *last_loss = Some(value.into_scalar::<f32>());
                images.device().sync()
            }
            Prepared::Inference { net, images } => {
                let logits = net.forward(images.clone());
                std::hint::black_box(logits.into_data());
                images.device().sync()
            }
        }
    }

    /// The loss of the last iteration, for a loss or step workload that ran.
    pub fn last_loss(&self) -> Option<f32> {
        match self {
            Prepared::Loss { last_loss, .. } | Prepared::Step { last_loss, .. } => *last_loss,
            Prepared::Inference { .. } => None,
        }
    }
}

fn total_loss(
    loss: LossKind,
    logits: Tensor<2>,
    features: Tensor<4>,
    class_weights: Tensor<2>,
    labels: Tensor<1, Int>,
    saliency: Tensor<3>,
) -> Tensor<1> {
    match loss {
        LossKind::CrossEntropy => {
            CrossEntropyLoss::new(None, &logits.device()).forward(logits, labels)
        }
        LossKind::Cyborg => {
            CyborgLossConfig::new()
                .init()
                .forward(logits, features, class_weights, labels, saliency)
                .total
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let all = Workload::all();
        assert_eq!(all.len(), 12 + 9);
        for w in &all {
            assert_eq!(Workload::from_name(&w.to_string()), Some(*w));
        }
        let mut names: Vec<String> = all.iter().map(|w| w.to_string()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert_eq!(all[1].to_string(), "loss/c512/g7/cyborg");
        assert_eq!(
            Workload::from_name("step/densenet121/cyborg").and_then(|w| w.baseline()),
            Workload::from_name("step/densenet121/ce")
        );
        assert_eq!(
            Workload::from_name("step/resnet18/ce").unwrap().baseline(),
            None
        );
        assert_eq!(
            Workload::from_name("inference/small-cnn").unwrap().batch(),
            64
        );
        assert_eq!(Workload::from_name("nope"), None);
    }

    #[test]
    fn models_have_the_grid_they_claim() {
        let _seeded = crate::seeded_device_lock();
        let device = Device::flex();
        for model in [BenchModel::SmallCnn, BenchModel::ResNet18] {
            let [c, h, w] = model.input();
            let out = model
                .build(&device)
                .forward_classified(Tensor::zeros([1, c, h, w], &device));
            let [_, _, gh, gw] = out.features.dims();
            assert_eq!([gh, gw], model.grid(), "{}", model.name());
            assert_eq!(out.logits.dims(), [1, CLASSES]);
        }
    }

    #[test]
    fn steps_learn_and_the_two_losses_differ() {
        let _seeded = crate::seeded_device_lock();
        let device = Device::flex();
        let run = |loss| {
            let mut prepared = Workload::Step {
                model: BenchModel::SmallCnn,
                loss,
            }
            .prepare(&device);
            let losses: Vec<f32> = (0..4)
                .map(|_| {
                    prepared.run().unwrap();
                    prepared.last_loss().unwrap()
                })
                .collect();
            losses
        };
        let ce = run(LossKind::CrossEntropy);
        let cyborg = run(LossKind::Cyborg);
        // Same seed, same first forward: CE starts near ln 2; the CYBORG total is its blend
        // with the map term, so the two differ.
        assert!((ce[0] - std::f32::consts::LN_2).abs() < 0.3, "{ce:?}");
        assert!((ce[0] - cyborg[0]).abs() > 1e-4, "{ce:?} {cyborg:?}");
        // The updates happen: repeating the step on the same batch lowers the loss.
        assert!(ce[3] < ce[0], "{ce:?}");
        assert!(cyborg[3] < cyborg[0], "{cyborg:?}");
    }

    #[test]
    fn the_loss_workloads_compute_their_loss() {
        let _seeded = crate::seeded_device_lock();
        let device = Device::flex();
        let value = |name: &str| {
            let mut prepared = Workload::from_name(name).unwrap().prepare(&device);
            prepared.run().unwrap();
            prepared.last_loss().unwrap()
        };
        // Small head weights: logits near 0, cross-entropy near ln 2.
        let ce = value("loss/c512/g7/ce");
        assert!((ce - std::f32::consts::LN_2).abs() < 0.05, "{ce}");
        // CYBORG: 0.5·CE + 0.5·MSE of two unrelated maps in [0, 1] (about 1/6 for uniform
        // noise), clearly not CE alone.
        let cyborg = value("loss/c512/g14/cyborg");
        let mse = 2.0 * cyborg - ce;
        assert!((0.08..0.3).contains(&mse), "cyborg {cyborg}, ce {ce}");
    }
}
