//! The named parts of a saliency-guided loss.

use burn::prelude::*;

/// A saliency-guided loss and its parts, each a scalar tensor of shape `[1]`, so training code
/// can log each term. Only `total` is meant for `backward()`.
#[derive(Debug, Clone)]
pub struct SaliencyLossOutput {
    /// The loss to minimise: the weighted sum of the two terms below.
    pub total: Tensor<1>,
    /// Mean cross-entropy of the logits against the labels, unweighted.
    pub cross_entropy: Tensor<1>,
    /// The saliency term, unweighted (the map distance, or the masked CAM penalty).
    pub saliency: Tensor<1>,
}

/// The name of [`SaliencyLossOutput`] before the masked loss shared it.
#[deprecated(
    since = "0.1.0",
    note = "renamed SaliencyLossOutput: it is the output of every SaliencyLoss"
)]
pub type CyborgLossOutput = SaliencyLossOutput;
