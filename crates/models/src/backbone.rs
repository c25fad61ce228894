//! The contract every backbone meets: feature maps and logits from one forward pass.

use burn::nn::{Dropout, Linear};
use burn::prelude::*;
use cyborg_cam::global_average_pool;

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

/// Global average pooling, optional dropout and the linear head: the classifier every
/// backbone here ends with.
pub(crate) fn classify(features: Tensor<4>, dropout: Option<&Dropout>, fc: &Linear) -> Classified {
    let pooled = global_average_pool(features.clone());
    let pooled = match dropout {
        Some(dropout) => dropout.forward(pooled),
        None => pooled,
    };
    Classified {
        logits: fc.forward(pooled),
        features,
    }
}

/// Implements [`CamBackbone`] for a model whose head is the `Linear` field `$head` and whose
/// `forward_classified` is an inherent method.
macro_rules! impl_cam_backbone {
    ($model:ty, $head:ident) => {
        impl $crate::CamBackbone for $model {
            fn forward_classified(&self, images: burn::prelude::Tensor<4>) -> $crate::Classified {
                <$model>::forward_classified(self, images)
            }

            fn class_weights(&self) -> burn::prelude::Tensor<2> {
                cyborg_cam::linear_class_weights(&self.$head)
            }

            fn class_bias(&self) -> Option<burn::prelude::Tensor<1>> {
                self.$head.bias.as_ref().map(|bias| bias.val())
            }
        }
    };
}
pub(crate) use impl_cam_backbone;
