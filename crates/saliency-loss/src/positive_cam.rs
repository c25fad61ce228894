//! What the region losses ([`EnergyLoss`](crate::EnergyLoss),
//! [`MaskL1Loss`](crate::MaskL1Loss)) share: cross-entropy, the label's CAM with its negative
//! part cut, and the map at the CAM grid.

use burn::nn::loss::CrossEntropyLoss;
use burn::prelude::*;
use burn::tensor::activation::relu;
use cyborg_cam::class_activation_maps;

use crate::shapes::check_inputs;
use crate::{SaliencyLoss, SaliencyLossOutput, annotated_mean, resize_to_grid};

/// A region loss: cross-entropy plus λ times a per-image term of the label's positive CAM and
/// the map, averaged over the annotated images. Every such type is a [`SaliencyLoss`].
pub(crate) trait PositiveCamTerm: core::fmt::Debug + Send + Sync {
    /// The weight λ of the term.
    fn lambda(&self) -> f64;

    /// The term of each image.
    ///
    /// # Shapes
    /// - cam: `[batch, cells]`, `relu(CAM_y)` flattened
    /// - region: `[batch, cells]`, the map at the grid, flattened
    /// - output: `[batch]`
    fn per_image(&self, cam: Tensor<2>, region: Tensor<2>) -> Tensor<1>;
}

impl<T: PositiveCamTerm> SaliencyLoss for T {
    /// Cross-entropy plus λ times the term; see [`SaliencyLoss`] for the input contract and
    /// shapes. The map is used as it is, not normalised: values in `[0, 1]`, 1 marking the
    /// region (a box mask, or a human map).
    fn forward_annotated(
        &self,
        logits: Tensor<2>,
        features: Tensor<4>,
        class_weights: Tensor<2>,
        labels: Tensor<1, Int>,
        annotation: Tensor<3>,
        annotated: Option<Tensor<1, Bool>>,
    ) -> SaliencyLossOutput {
        let parts = PositiveCam::new(logits, features, class_weights, labels, annotation);
        let per_image = self.per_image(rows(parts.cam.clone()), rows(parts.region.clone()));
        parts.total(per_image, annotated, self.lambda())
    }
}

/// The inputs of a region loss's per-image term.
struct PositiveCam {
    /// Cross-entropy of the batch, `[1]`.
    cross_entropy: Tensor<1>,
    /// `relu(CAM_y)` of each image's label `y`, `[batch, h, w]`.
    cam: Tensor<3>,
    /// The map area-averaged to the CAM grid, as given (not normalised), `[batch, h, w]`.
    region: Tensor<3>,
}

impl PositiveCam {
    /// Checks the shapes (panicking with a message that names them) and computes the parts.
    fn new(
        logits: Tensor<2>,
        features: Tensor<4>,
        class_weights: Tensor<2>,
        labels: Tensor<1, Int>,
        annotation: Tensor<3>,
    ) -> Self {
        let grid = check_inputs(&logits, &features, &class_weights, &labels, &annotation);
        let cross_entropy =
            CrossEntropyLoss::new(None, &logits.device()).forward(logits, labels.clone());
        Self {
            cross_entropy,
            cam: relu(class_activation_maps(features, class_weights, labels)),
            region: resize_to_grid(annotation, grid),
        }
    }

    /// `CE + λ · term`, the term averaged over the annotated images.
    fn total(
        self,
        per_image: Tensor<1>,
        annotated: Option<Tensor<1, Bool>>,
        lambda: f64,
    ) -> SaliencyLossOutput {
        let saliency = annotated_mean(per_image, annotated);
        SaliencyLossOutput {
            total: self.cross_entropy.clone() + saliency.clone().mul_scalar(lambda),
            cross_entropy: self.cross_entropy,
            saliency,
        }
    }
}

/// Each `[batch, h, w]` map as a `[batch, h·w]` row.
fn rows(maps: Tensor<3>) -> Tensor<2> {
    let [batch, h, w] = maps.dims();
    maps.reshape([batch, h * w])
}
