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
use cyborg_data::{DataError, SaliencyBatch, SaliencyBatcher, SaliencyDataset};
use serde::{Deserialize, Serialize};

use crate::evaluation::auc::{AucScore, macro_auc, roc_auc};

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
    /// Images with a human map, over which the CAM figures below are averaged (none for a
    /// model whose head does not pool its features, `CamBackbone::pools_features`).
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
    progress: impl FnMut(usize, usize),
) -> Result<Evaluation, DataError> {
    evaluate_scored(model, dataset, image_shape, grid, config, device, progress)
        .map(|(evaluation, _)| evaluation)
}

/// [`evaluate`], also returning the scores the AUC ranks, in the dataset's order: for two
/// classes one per image (see [`AucScore`]), for more each class's softmax probability per
/// image, row-major `[images, classes]` ([`Scores::values`](crate::Scores::values)).
///
/// # Errors
/// As [`evaluate`].
pub fn evaluate_scored(
    model: &impl CamBackbone,
    dataset: &SaliencyDataset,
    image_shape: [usize; 3],
    grid: [usize; 2],
    config: &EvaluationConfig,
    device: &Device,
    mut progress: impl FnMut(usize, usize),
) -> Result<(Evaluation, Vec<f64>), DataError> {
    assert!(config.batch_size > 0, "batch_size must be positive, got 0");
    let batcher = SaliencyBatcher::new(image_shape, grid);
    let n = dataset.records().len();
    let classes = dataset.classes().len().max(2);
    let mut tally = Tally::default();
    let mut start = 0;
    while start < n {
        let end = (start + config.batch_size).min(n);
        let items = (start..end)
            .map(|i| dataset.load(i))
            .collect::<Result<Vec<_>, _>>()?;
        tally.add_batch(model, batcher.batch(items, device), classes, config);
        start = end;
        progress(end, n);
    }
    let mut evaluation = tally.finish(n, classes, config);
    if !model.pools_features() {
        evaluation.cam_confidence_drop = None; // not measured: no CAM explains the logits
    }
    Ok((evaluation, tally.scores))
}

/// What [`evaluate`] adds up over the batches.
#[derive(Debug, Default)]
struct Tally {
    /// Images classified correctly.
    correct: usize,
    /// The label of every image, in order.
    labels: Vec<usize>,
    /// The AUC scores of every image, in order: one per image for two classes, one per image
    /// and class otherwise.
    scores: Vec<f64>,
    /// Sum of the confidence drops over all images.
    confidence_drop: f64,
    /// Images with a human map.
    annotated: usize,
    /// Sums over the annotated images of the figures [`Evaluation`] averages.
    cam_mse: f64,
    cam_pearson: f64,
    cam_top_iou: f64,
    pointing_game: f64,
    cam_mass_inside: f64,
}

impl Tally {
    /// Adds one batch: its predictions and scores, the confidence drop if asked for, and the
    /// CAM agreement of its annotated images.
    fn add_batch(
        &mut self,
        model: &impl CamBackbone,
        batch: SaliencyBatch,
        classes: usize,
        config: &EvaluationConfig,
    ) {
        let out = model.forward_classified(batch.images.clone());
        self.add_predictions(out.logits.clone(), batch.labels.clone(), classes, config);
        // A head that does not pool the features (a class-token ViT): no CAM to measure.
        if !model.pools_features() {
            return;
        }
        if config.faithfulness {
            self.add_confidence_drop(model, &batch, out.features.clone(), config);
        }
        self.add_agreement(model, batch, out.features, config);
    }

    fn add_predictions(
        &mut self,
        logits: Tensor<2>,
        labels: Tensor<1, Int>,
        classes: usize,
        config: &EvaluationConfig,
    ) {
        let [b, _] = logits.dims();
        let predicted = logits.clone().argmax(1).reshape([b]);
        self.correct += predicted
            .equal(labels.clone())
            .int()
            .sum()
            .into_scalar::<i64>() as usize;
        self.labels
            .extend(ints(labels).into_iter().map(|label| label as usize));
        let scores = if classes == 2 {
            match config.auc_score {
                AucScore::PositiveLogit => sigmoid(logits.narrow(1, 1, 1)),
                AucScore::Softmax => softmax(logits, 1).narrow(1, 1, 1),
            }
        } else {
            softmax(logits, 1)
        };
        self.scores.extend(floats(scores.reshape([-1])));
    }

    fn add_confidence_drop(
        &mut self,
        model: &impl CamBackbone,
        batch: &SaliencyBatch,
        features: Tensor<4>,
        config: &EvaluationConfig,
    ) {
        let [_, _, height, width] = batch.images.dims();
        let cam = class_activation_maps(features, model.class_weights(), batch.labels.clone());
        let maps = finish_maps(
            cam,
            CamNormalization::ReluMinMax,
            Some([height, width]),
            1e-8,
        );
        let target = Target::Classes(batch.labels.clone());
        let drop = confidence_drop(
            model,
            batch.images.clone(),
            maps,
            &target,
            config.top_fraction,
        );
        self.confidence_drop += floats(drop).iter().sum::<f64>();
    }

    fn add_agreement(
        &mut self,
        model: &impl CamBackbone,
        batch: SaliencyBatch,
        features: Tensor<4>,
        config: &EvaluationConfig,
    ) {
        let mask = floats(batch.annotated.float());
        let count = mask.iter().filter(|&&m| m > 0.5).count();
        if count == 0 {
            return;
        }
        self.annotated += count;
        let cam = normalize_min_max(
            class_activation_maps(features, model.class_weights(), batch.labels),
            1e-8,
        );
        let human = batch.saliency;
        let region = human
            .clone()
            .greater_equal_elem(config.region_threshold)
            .float();
        // Sum over the annotated images only.
        let annotated_sum = |values: Tensor<1>| -> f64 {
            floats(values).iter().zip(&mask).map(|(v, m)| v * m).sum()
        };
        self.cam_mse += annotated_sum(map_mse(cam.clone(), human.clone()));
        self.cam_pearson += annotated_sum(pearson(cam.clone(), human.clone(), 1e-8));
        self.cam_top_iou += annotated_sum(top_fraction_iou(
            cam.clone(),
            human.clone(),
            config.top_fraction,
        ));
        self.pointing_game +=
            annotated_sum(pointing_game(cam.clone(), human, config.region_threshold));
        self.cam_mass_inside += annotated_sum(mass_inside(cam, region, 1e-8));
    }

    /// The figures of `n` images: means over all images, or over the annotated ones for the
    /// CAM agreement.
    fn finish(&self, n: usize, classes: usize, config: &EvaluationConfig) -> Evaluation {
        let auc = if classes == 2 {
            let positives: Vec<bool> = self.labels.iter().map(|&l| l == 1).collect();
            roc_auc(&self.scores, &positives)
        } else {
            macro_auc(&self.scores, &self.labels, classes)
        };
        let annotated = self.annotated;
        let mean = |sum: f64| (annotated > 0).then(|| sum / annotated as f64);
        Evaluation {
            images: n,
            accuracy: self.correct as f64 / n.max(1) as f64,
            auc,
            annotated,
            cam_mse: mean(self.cam_mse),
            cam_pearson: mean(self.cam_pearson),
            cam_top_iou: mean(self.cam_top_iou),
            pointing_game: mean(self.pointing_game),
            cam_mass_inside: mean(self.cam_mass_inside),
            cam_confidence_drop: config
                .faithfulness
                .then(|| self.confidence_drop / n.max(1) as f64),
        }
    }
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
