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
    /// The feature maps that global average pooling reads (after a CNN's last ReLU; a ViT's
    /// patch tokens after its final norm, on their grid), `[batch, channels, h, w]`. A CAM is these maps weighted by a row of
    /// [`CamBackbone::class_weights`].
    pub features: Tensor<4>,
    /// Raw class scores `[batch, num_classes]` (not softmax output).
    pub logits: Tensor<2>,
}

/// A classifier whose last feature maps and linear head are both reachable, so its Class
/// Activation Maps can be computed and trained through.
///
/// For every implementation whose [`CamBackbone::pools_features`] is true (the default), in
/// inference mode, `mean_hw(Σ_k W[c, k] · features[k]) + bias[c] == logits[c]`: the CAM is an
/// exact decomposition of the logit. Each model also has a plain `forward(images) -> logits`.
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

    /// Whether the logits are the linear head applied to the global average pool of
    /// [`Classified::features`], so that the CAM identity above holds. True for every CNN
    /// here; false for a ViT whose head reads the class token. A model that returns false
    /// serves only the explanations that do not go through the head (EigenCAM, KPCA-CAM, FEM,
    /// Random-CAM; [`try_explain`](crate::try_explain) refuses the others) and no saliency
    /// loss; explain it at an inner layer with [`explain_layer`](crate::explain_layer).
    fn pools_features(&self) -> bool {
        true
    }

    /// The `[height, width]` of the images the model takes, if it takes only one size (a
    /// ViT's learned position embedding); `None` (the default) for any size.
    /// [`try_explain`](crate::try_explain) refuses images of another size.
    fn input_size(&self) -> Option<[usize; 2]> {
        None
    }
}

/// A model explained at one of its inner layers (pytorch-grad-cam's `target_layers`, with its
/// `reshape_transform` for token layers): the layer's activations laid out as feature maps,
/// and the gradients of the target score w.r.t. them through the rest of the network. Used by
/// [`explain_layer`](crate::explain_layer), for models whose head does not read their last
/// feature maps (a class-token ViT) or to look at an earlier layer.
pub trait TargetLayer {
    /// The logits of one forward pass in which the explained layer's activations, as
    /// `[batch, channels, h, w]`, are passed through `tap` and the network continues from
    /// what `tap` returns (same shape). `tap` is called exactly once.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, num_classes]`
    fn forward_tapped(
        &self,
        images: Tensor<4>,
        tap: &mut dyn FnMut(Tensor<4>) -> Tensor<4>,
    ) -> Tensor<2>;

    /// The `[height, width]` of the images the model takes, if only one; `None` for any.
    fn input_size(&self) -> Option<[usize; 2]> {
        None
    }
}
