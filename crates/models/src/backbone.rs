//! The classifier every backbone here ends with, and the [`CamBackbone`] implementation that
//! goes with it (the trait itself lives in `cyborg-cam`).

use burn::nn::{Dropout, Linear};
use burn::prelude::*;
pub(crate) use cyborg_cam::Classified;
use cyborg_cam::global_average_pool;

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
