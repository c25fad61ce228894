//! Training and evaluating the tiny network on the shortcut task.

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use cyborg_cam::{class_activation_maps, mass_inside, normalize_min_max};
use cyborg_saliency_loss::{SaliencyLossConfig, resize_to_grid};

use cyborg_data::{ShortcutTensors, SplitMix64};
use cyborg_models::{CamBackbone, Classified};

use super::{TinyCamNet, TinyCamNetConfig};

/// Configuration of [`train_toy`].
#[derive(Config, Debug)]
pub struct ToyTrainingConfig {
    /// The loss.
    pub loss: SaliencyLossConfig,
    /// The network.
    #[config(default = "TinyCamNetConfig::new()")]
    pub net: TinyCamNetConfig,
    /// Passes over the training split.
    #[config(default = 6)]
    pub epochs: usize,
    /// Images per optimiser step.
    #[config(default = 32)]
    pub batch_size: usize,
    /// Adam's learning rate.
    #[config(default = 5e-3)]
    pub learning_rate: f64,
    /// Seed of the weights and of the batch order.
    #[config(default = 0)]
    pub seed: u64,
}

/// Mean loss terms over one epoch's batches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: usize,
    /// The loss that was minimised.
    pub total: f32,
    /// Cross-entropy.
    pub cross_entropy: f32,
    /// The CAM-to-human-map distance (reported even when α = 1 gives it no weight).
    pub saliency: f32,
}

/// How a model does on a split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToyEvaluation {
    /// Share of images classified correctly.
    pub accuracy: f32,
    /// Mean share of the (normalised) CAM of the true class that lies on the annotated cells.
    pub cam_mass_inside: f32,
}

/// Trains a fresh [`TinyCamNet`] with the CYBORG loss on `train` (tensors on an autodiff
/// device), calling `on_epoch` after each epoch. Returns the model and the per-epoch stats.
///
/// # Panics
/// If `device` is not an autodiff device or the loss configuration is invalid.
pub fn train_toy(
    config: &ToyTrainingConfig,
    train: &ShortcutTensors,
    device: &Device,
    mut on_epoch: impl FnMut(&EpochStats),
) -> (TinyCamNet, Vec<EpochStats>) {
    assert!(
        device.is_autodiff(),
        "train_toy needs an autodiff device, e.g. Device::flex().autodiff()"
    );
    device.seed(config.seed);
    let mut model = config.net.init(device);
    let mut optimizer = AdamConfig::new().init();
    let loss = config.loss.init();
    let mut rng = SplitMix64::new(config.seed ^ 0x5EED);
    let n = train.labels.dims()[0];
    let mut order: Vec<i64> = (0..n as i64).collect();
    let mut history = Vec::with_capacity(config.epochs);
    for epoch in 1..=config.epochs {
        rng.shuffle(&mut order);
        let mut sums = [0.0f32; 3];
        let mut batches = 0;
        for chunk in order.chunks(config.batch_size) {
            let indices = Tensor::<1, Int>::from_ints(chunk, device);
            let batch = train.select(indices);
            let Classified { features, logits } = model.forward_classified(batch.images);
            let out = loss.forward(
                logits,
                features,
                model.class_weights(),
                batch.labels,
                batch.saliency,
            );
            for (sum, term) in sums
                .iter_mut()
                .zip([&out.total, &out.cross_entropy, &out.saliency])
            {
                *sum += term.clone().into_scalar::<f32>();
            }
            batches += 1;
            let grads = GradientsParams::from_grads(out.total.backward(), &model);
            model = optimizer.step(config.learning_rate, model, grads);
        }
        let mean = |i: usize| sums[i] / batches as f32;
        let stats = EpochStats {
            epoch,
            total: mean(0),
            cross_entropy: mean(1),
            saliency: mean(2),
        };
        on_epoch(&stats);
        history.push(stats);
    }
    (model, history)
}

/// Accuracy and CAM mass inside the human map of `model` on `split`.
///
/// A CAM cell counts as annotated when any pixel it covers is marked. Runs without autodiff.
pub fn evaluate_toy(model: &TinyCamNet, split: &ShortcutTensors) -> ToyEvaluation {
    let model = model.valid();
    let device = split.images.device().without_autodiff();
    let images = split.images.clone().to_device(&device);
    let labels = split.labels.clone().to_device(&device);
    let saliency = split.saliency.clone().to_device(&device);
    let [n, _, _, _] = images.dims();
    let Classified { features, logits } = model.forward_classified(images);
    let [_, _, h, w] = features.dims();
    let correct = logits
        .argmax(1)
        .reshape([n])
        .equal(labels.clone())
        .float()
        .mean();
    let cam = normalize_min_max(
        class_activation_maps(features, model.class_weights(), labels),
        1e-8,
    );
    let region = resize_to_grid(saliency, [h, w]).greater_elem(0.0).float();
    let inside = mass_inside(cam, region, 1e-8).mean();
    ToyEvaluation {
        accuracy: correct.into_scalar::<f32>(),
        cam_mass_inside: inside.into_scalar::<f32>(),
    }
}
