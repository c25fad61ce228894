//! The contract a model meets to be explained and trained through its CAMs: feature maps and
//! logits from one forward pass, and the linear head's weights.
//!
//! Implement [`CamBackbone`] for your own Burn model with this crate alone; the CYBORG loss's
//! trainer (`cyborg-train`), [`explain`](crate::explain) and
//! [`confidence_drop`](crate::confidence_drop) serve any model that does.

use burn::prelude::*;

/// What one forward pass of a [`CamBackbone`] returns.
#[derive(Debug, Clone)]
pub struct Classified {
    /// The feature maps that global average pooling reads (after the network's last ReLU),
    /// `[batch, channels, h, w]`. A CAM is these maps weighted by a row of
    /// [`CamBackbone::class_weights`].
    pub features: Tensor<4>,
    /// Raw class scores `[batch, num_classes]` (not softmax output).
    pub logits: Tensor<2>,
}

/// A classifier whose last feature maps and linear head are both reachable, so its Class
/// Activation Maps can be computed and trained through.
///
/// For every implementation, in inference mode,
/// `mean_hw(Σ_k W[c, k] · features[k]) + bias[c] == logits[c]`: the CAM is an exact
/// decomposition of the logit. Each model also has a plain `forward(images) -> logits`.
pub trait CamBackbone {
    /// Feature maps and logits from a single forward pass.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: features `[batch, feature_channels, h, w]`, logits `[batch, num_classes]`
    fn forward_classified(&self, images: Tensor<4>) -> Classified;

    /// The linear head's weights as `[num_classes, feature_channels]` (PyTorch's layout,
    /// whatever Burn stores).
    fn class_weights(&self) -> Tensor<2>;

    /// The linear head's bias `[num_classes]`, if it has one.
    fn class_bias(&self) -> Option<Tensor<1>>;
}
