//! Penalising raw CAM evidence outside an annotated region.

use burn::nn::loss::CrossEntropyLoss;
use burn::prelude::*;
use cyborg_cam::all_class_activation_maps;
use serde::{Deserialize, Serialize};

use crate::shapes::check_inputs;
use crate::{
    LossConfigError, SaliencyLoss, SaliencyLossOutput, annotated_mean, check_lambda, resize_to_grid,
};

/// What the annotation of a [`MaskedCamLoss`] marks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AnnotatedRegion {
    /// Where evidence may come from (the object): CAMs are penalised where the map is 0.
    /// The default.
    #[default]
    Allowed,
    /// Where the model must not look (a known shortcut): CAMs are penalised where the map is 1.
    Forbidden,
}

/// Configuration of the [`MaskedCamLoss`], built with [`MaskedCamLossConfig::init`].
#[derive(Config, Debug)]
pub struct MaskedCamLossConfig {
    /// Weight λ of the penalty added to cross-entropy; `>= 0`.
    #[config(default = 1.0)]
    pub lambda: f64,
    /// Whether the annotation marks allowed or forbidden cells.
    #[config(default = "AnnotatedRegion::Allowed")]
    pub region: AnnotatedRegion,
}

impl MaskedCamLossConfig {
    /// Builds the loss, or says which value is out of range.
    pub fn try_init(&self) -> Result<MaskedCamLoss, LossConfigError> {
        Ok(MaskedCamLoss {
            lambda: check_lambda(self.lambda)?,
            region: self.region,
        })
    }

    /// Builds the loss.
    ///
    /// # Panics
    /// If `lambda` is negative or not finite.
    pub fn init(&self) -> MaskedCamLoss {
        self.try_init().unwrap_or_else(|error| panic!("{error}"))
    }
}

/// Cross-entropy plus a penalty on the raw CAMs of every class where evidence must not come
/// from: `CE + λ · mean_{b,k,cells}((w · CAM_k)²)`, with `w = 1 − S` for an allowed region
/// and `w = S` for a forbidden one.
///
/// Unlike [`CyborgLoss`](crate::CyborgLoss) it works on raw, unnormalised maps of all classes.
/// Min-max normalisation lets a model hide a shortcut in a CAM's minimum: a region strongly
/// negative for every class still moves the logits while matching a zero of the human map.
/// Here any evidence, positive or negative, for any class, outside the allowed region costs.
/// This is the CAM analogue of "Right for the Right Reasons" (Ross et al., 2017), first-order
/// only, so it runs on every backend.
///
/// Built by [`MaskedCamLossConfig::init`].
#[derive(Debug, Clone)]
pub struct MaskedCamLoss {
    lambda: f64,
    region: AnnotatedRegion,
}

impl SaliencyLoss for MaskedCamLoss {
    /// Cross-entropy plus the masked penalty; see [`SaliencyLoss`] for the input contract and
    /// shapes. The map is used as is, not normalised: values in `[0, 1]`, 1 marking the region
    /// (e.g. a binary mask); the penalty averages over the annotated images.
    fn forward_annotated(
        &self,
        logits: Tensor<2>,
        features: Tensor<4>,
        class_weights: Tensor<2>,
        labels: Tensor<1, Int>,
        annotation: Tensor<3>,
        annotated: Option<Tensor<1, Bool>>,
    ) -> SaliencyLossOutput {
        let grid = check_inputs(&logits, &features, &class_weights, &labels, &annotation);
        let [batch, _, height, width] = features.dims();
        let cross_entropy = CrossEntropyLoss::new(None, &logits.device()).forward(logits, labels);
        let region = resize_to_grid(annotation, grid);
        let outside = match self.region {
            AnnotatedRegion::Allowed => region.neg().add_scalar(1.0),
            AnnotatedRegion::Forbidden => region,
        };
        let cams = all_class_activation_maps(features, class_weights);
        let penalised = cams * outside.reshape([batch, 1, height, width]);
        let per_image = penalised.square().mean_dims(&[1, 2, 3]).reshape([batch]);
        let saliency = annotated_mean(per_image, annotated);
        let total = cross_entropy.clone() + saliency.clone().mul_scalar(self.lambda);
        SaliencyLossOutput {
            total,
            cross_entropy,
            saliency,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{TensorData, Tolerance};

    #[test]
    fn hand_computed_penalty() {
        let device = Device::flex();
        // One image, one channel, 1×2 grid: features [2, −3]; two classes, weights 1 and −2.
        // CAMs: class 0 = [2, −3], class 1 = [−4, 6]. Allowed region: the first cell.
        // Penalty = mean over 2 classes × 2 cells of (outside · CAM)² = (9 + 36) / 4.
        let features = Tensor::<4>::from_floats([[[[2.0, -3.0]]]], &device);
        let weights = Tensor::<2>::from_floats([[1.0], [-2.0]], &device);
        let logits = Tensor::<2>::from_floats([[0.0, 0.0]], &device);
        let labels = Tensor::<1, Int>::from_ints([0], &device);
        let region = Tensor::<3>::from_floats([[[1.0, 0.0]]], &device);
        let loss = MaskedCamLossConfig::new().with_lambda(2.0).init();
        let out = loss.forward(
            logits.clone(),
            features.clone(),
            weights.clone(),
            labels.clone(),
            region.clone(),
        );
        out.saliency
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from([45.0 / 4.0]), Tolerance::absolute(1e-5));
        // CE of equal logits is ln 2.
        out.total.into_data().assert_approx_eq::<f32>(
            &TensorData::from([core::f32::consts::LN_2 + 2.0 * 45.0 / 4.0]),
            Tolerance::absolute(1e-4),
        );
        // Forbidding the same cell penalises the other one: (4 + 16) / 4.
        let forbidden = MaskedCamLossConfig::new()
            .with_region(AnnotatedRegion::Forbidden)
            .init()
            .forward(logits, features, weights, labels, region);
        forbidden
            .saliency
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from([5.0]), Tolerance::absolute(1e-5));
    }

    #[test]
    fn negative_lambda_is_an_error_naming_it() {
        let error = MaskedCamLossConfig::new()
            .with_lambda(-2.0)
            .try_init()
            .unwrap_err();
        assert_eq!(error.to_string(), "lambda must be finite and >= 0, got -2");
    }
}
