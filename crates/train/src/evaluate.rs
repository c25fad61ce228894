//! Evaluating a trained [`CamBackbone`] on a dataset: accuracy, ROC AUC, and how well its
//! CAMs agree with the human maps.

use burn::data::dataloader::batcher::Batcher;
use burn::prelude::*;
use burn::tensor::activation::{sigmoid, softmax};
use cyborg_cam::{CamBackbone, Target, confidence_drop};
use cyborg_cam::{
    CamNormalization, class_activation_maps, finish_maps, map_mse, mass_inside, normalize_min_max,
    pearson, pointing_game, top_fraction_iou,
};
use cyborg_data::{DataError, SaliencyBatcher, SaliencyDataset};
use serde::{Deserialize, Serialize};

use crate::auc::{AucScore, macro_auc, roc_auc};

/// Options of [`evaluate`].
#[derive(Config, Debug)]
pub struct EvaluationConfig {
    /// Images per forward pass.
    #[config(default = 32)]
    pub batch_size: usize,
    /// The two-class AUC score (the paper's: sigmoid of the positive logit).
    #[config(default = "AucScore::PositiveLogit")]
    pub auc_score: AucScore,
    /// Share of pixels in the top-k IoU.
    #[config(default = 0.2)]
    pub top_fraction: f64,
    /// Human saliency at or above which a CAM cell is "inside" the annotated region (pointing
    /// game, CAM mass inside).
    #[config(default = 0.5)]
    pub region_threshold: f64,
    /// Also measure faithfulness (one more forward pass per batch): the drop of the label's
    /// probability when the CAM's top `top_fraction` pixels are replaced by the image mean.
    #[config(default = true)]
    pub faithfulness: bool,
}

/// What [`evaluate`] measures, in the JSON the `cyborg` command writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Images evaluated.
    pub images: usize,
    /// Share classified correctly.
    pub accuracy: f64,
    /// ROC AUC: class 1 against class 0 for two classes (see [`AucScore`]), the one-vs-rest
    /// macro average of softmax probabilities for more; `None` when undefined (one class).
    pub auc: Option<f64>,
    /// Images with a human map, over which the CAM figures below are averaged.
    pub annotated: usize,
    /// Mean squared difference between the min-max normalised label-class CAM and the human
    /// map, at the CAM grid (the CYBORG loss's saliency term).
    pub cam_mse: Option<f64>,
    /// Their Pearson correlation.
    pub cam_pearson: Option<f64>,
    /// IoU of their top-`top_fraction` cells.
    pub cam_top_iou: Option<f64>,
    /// Share of images whose CAM peak falls where the human saliency ≥ `region_threshold`.
    pub pointing_game: Option<f64>,
    /// Share of the CAM's mass inside the region where the human saliency ≥
    /// `region_threshold`.
    pub cam_mass_inside: Option<f64>,
    /// Mean drop of the label's softmax probability when the top `top_fraction` pixels of the
    /// label-class CAM (upsampled to the image) are replaced by the image's channel means, over
    /// all images ([`cyborg_cam::confidence_drop`]); `None` when not measured.
    pub cam_confidence_drop: Option<f64>,
}

/// The CAM grid `[h, w]` of `model` for inputs of `shape = [channels, height, width]` (one
/// forward pass of a blank image).
pub fn feature_grid(model: &impl CamBackbone, shape: [usize; 3], device: &Device) -> [usize; 2] {
    let [c, h, w] = shape;
    let features = model
        .forward_classified(Tensor::zeros([1, c, h, w], device))
        .features;
    let [_, _, gh, gw] = features.dims();
    [gh, gw]
}

/// Evaluates `model` on every image of `dataset` (whose saliency grid must be the model's
/// CAM grid, see [`feature_grid`]), on `device`, without autodiff.
///
/// # Errors
/// The first image or map that cannot be read, as a [`DataError`] naming the file.
pub fn evaluate(
    model: &impl CamBackbone,
    dataset: &SaliencyDataset,
    image_shape: [usize; 3],
    grid: [usize; 2],
    config: &EvaluationConfig,
    device: &Device,
    mut progress: impl FnMut(usize, usize),
) -> Result<Evaluation, DataError> {
    assert!(config.batch_size > 0, "batch_size must be positive, got 0");
    let batcher = SaliencyBatcher::new(image_shape, grid);
    let n = dataset.records().len();
    let classes = dataset.classes().len().max(2);
    let mut correct = 0usize;
    let mut labels_seen = Vec::with_capacity(n);
    let mut scores = Vec::new();
    let mut sums = [0.0f64; 5];
    let mut annotated = 0usize;
    let mut drop_sum = 0.0;
    let mut start = 0;
    while start < n {
        let end = (start + config.batch_size).min(n);
        let items = (start..end)
            .map(|i| dataset.load(i))
            .collect::<Result<Vec<_>, _>>()?;
        let batch = batcher.batch(items, device);
        let out = model.forward_classified(batch.images.clone());
        let b = end - start;
        let predicted = out.logits.clone().argmax(1).reshape([b]);
        correct += predicted
            .equal(batch.labels.clone())
            .int()
            .sum()
            .into_scalar::<i64>() as usize;
        let labels: Vec<usize> = ints(batch.labels.clone())
            .into_iter()
            .map(|l| l as usize)
            .collect();
        labels_seen.extend_from_slice(&labels);
        let logits = out.logits.clone();
        let batch_scores = if classes == 2 {
            match config.auc_score {
                AucScore::PositiveLogit => sigmoid(logits.narrow(1, 1, 1)),
                AucScore::Softmax => softmax(logits, 1).narrow(1, 1, 1),
            }
        } else {
            softmax(logits, 1)
        };
        scores.extend(floats(batch_scores.reshape([-1])));

        if config.faithfulness {
            let [_, _, height, width] = batch.images.dims();
            let cam = class_activation_maps(
                out.features.clone(),
                model.class_weights(),
                batch.labels.clone(),
            );
            let maps = finish_maps(
                cam,
                CamNormalization::ReluMinMax,
                Some([height, width]),
                1e-8,
            );
            let target = Target::Classes(batch.labels.clone());
            let drop = confidence_drop(model, batch.images, maps, &target, config.top_fraction);
            drop_sum += floats(drop).iter().sum::<f64>();
        }

        let mask = floats(batch.annotated.clone().float());
        let count = mask.iter().filter(|&&m| m > 0.5).count();
        if count > 0 {
            annotated += count;
            let cam = normalize_min_max(
                class_activation_maps(out.features, model.class_weights(), batch.labels),
                1e-8,
            );
            let human = batch.saliency;
            let region = human
                .clone()
                .greater_equal_elem(config.region_threshold)
                .float();
            let per_image = [
                map_mse(cam.clone(), human.clone()),
                pearson(cam.clone(), human.clone(), 1e-8),
                top_fraction_iou(cam.clone(), human.clone(), config.top_fraction),
                pointing_game(cam.clone(), human, config.region_threshold),
                mass_inside(cam, region, 1e-8),
            ];
            for (sum, values) in sums.iter_mut().zip(per_image) {
                *sum += floats(values)
                    .iter()
                    .zip(&mask)
                    .map(|(v, m)| v * m)
                    .sum::<f64>();
            }
        }
        start = end;
        progress(end, n);
    }
    let auc = if classes == 2 {
        let positives: Vec<bool> = labels_seen.iter().map(|&l| l == 1).collect();
        roc_auc(&scores, &positives)
    } else {
        macro_auc(&scores, &labels_seen, classes)
    };
    let mean = |i: usize| (annotated > 0).then(|| sums[i] / annotated as f64);
    Ok(Evaluation {
        images: n,
        accuracy: correct as f64 / n.max(1) as f64,
        auc,
        annotated,
        cam_mse: mean(0),
        cam_pearson: mean(1),
        cam_top_iou: mean(2),
        pointing_game: mean(3),
        cam_mass_inside: mean(4),
        cam_confidence_drop: config.faithfulness.then(|| drop_sum / n.max(1) as f64),
    })
}

fn floats<const D: usize>(tensor: Tensor<D>) -> Vec<f64> {
    tensor
        .into_data()
        .convert::<f64>()
        .try_to_vec::<f64>()
        .expect("float tensor data")
}

fn ints(tensor: Tensor<1, Int>) -> Vec<i64> {
    tensor
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .expect("int tensor data")
}
