//! What every saliency-guided loss offers, so training code can take any of them.

use burn::prelude::*;

use crate::SaliencyLossOutput;

/// A loss on a classifier's logits and the ingredients of its CAMs (feature maps and class
/// weights), guided by one human map per image. Implemented by
/// [`CyborgLoss`](crate::CyborgLoss), [`MaskedCamLoss`](crate::MaskedCamLoss),
/// [`EnergyLoss`](crate::EnergyLoss) and [`MaskL1Loss`](crate::MaskL1Loss); a trainer can hold
/// a `Box<dyn SaliencyLoss>`.
///
/// Input contract: `logits` are raw scores, not softmax output; `features` are the maps that
/// global average pooling reads (so that `mean_hw(CAM) + bias = logit`); `class_weights` is the
/// linear head in PyTorch's `[num_classes, channels]` layout (Burn's `Linear` stores the
/// transpose); `saliency` is the human map (or annotation) per image, at the CAM grid or larger
/// (it is then area-averaged down to the grid on the device). Each implementation says how it
/// reads the map.
pub trait SaliencyLoss: core::fmt::Debug + Send + Sync {
    /// The loss of a batch in which only some images have a human map.
    ///
    /// Cross-entropy averages over the whole batch, the saliency term over the images with
    /// `annotated = true` only (the maps of the others are ignored and may hold anything). A
    /// batch with no annotated image has a saliency term of 0. `None` means all annotated.
    ///
    /// # Shapes
    /// - logits: `[batch, num_classes]`
    /// - features: `[batch, channels, height, width]`
    /// - class_weights: `[num_classes, channels]`
    /// - labels: `[batch]`, class indices
    /// - saliency: `[batch, map_height, map_width]` with `map_height >= height`,
    ///   `map_width >= width`
    /// - annotated: `[batch]`
    ///
    /// # Panics
    /// If the shapes disagree; the message names the shapes involved.
    fn forward_annotated(
        &self,
        logits: Tensor<2>,
        features: Tensor<4>,
        class_weights: Tensor<2>,
        labels: Tensor<1, Int>,
        saliency: Tensor<3>,
        annotated: Option<Tensor<1, Bool>>,
    ) -> SaliencyLossOutput;

    /// The loss of a batch whose images all have a human map.
    ///
    /// # Shapes
    /// As [`SaliencyLoss::forward_annotated`], without `annotated`.
    fn forward(
        &self,
        logits: Tensor<2>,
        features: Tensor<4>,
        class_weights: Tensor<2>,
        labels: Tensor<1, Int>,
        saliency: Tensor<3>,
    ) -> SaliencyLossOutput {
        self.forward_annotated(logits, features, class_weights, labels, saliency, None)
    }
}
