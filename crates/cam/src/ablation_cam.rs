//! Ablation-CAM's channel weights (Desai & Ramaswamy, WACV 2020), as pytorch-grad-cam defines
//! them, through the head alone.

use burn::prelude::*;

use crate::backbone::CamBackbone;
use crate::explain::Target;
use crate::{global_average_pool, head_logits};

/// Ablation-CAM's channel weights `(s − s_k) / s`, `[batch, channels]`: `s_k` is the target
/// score with channel `k` of the features set to zero, through the head (its pooled value
/// removed from the pooled features), all channels of an image in one product.
pub(crate) fn ablation_weights<M: CamBackbone>(
    model: &M,
    activations: &Tensor<4>,
    logits: &Tensor<2>,
    target: &Target,
) -> Tensor<2> {
    let [batch, channels, _, _] = activations.dims();
    let logits = logits.clone().inner();
    let classes = target.classes(&logits);
    let device = activations.device();
    let weights = model.class_weights().inner(); // [classes, channels]
    let bias = model.class_bias().map(|b| b.inner());
    let pooled = global_average_pool(activations.clone()); // [batch, channels]
    let keep =
        Tensor::<2>::ones([channels, channels], &device) - Tensor::<2>::eye(channels, &device); // row k: every channel but k
    let mut rows = Vec::with_capacity(batch);
    for image in 0..batch {
        let ablated = keep.clone() * pooled.clone().narrow(0, image, 1); // [channels, channels]
        let ablated_logits = head_logits(ablated, weights.clone(), bias.clone());
        let class = classes
            .as_ref()
            .map(|c| c.clone().narrow(0, image, 1).repeat_dim(0, channels));
        rows.push(
            target
                .score(ablated_logits, class.as_ref())
                .reshape([1, channels]),
        );
    }
    let ablated = Tensor::cat(rows, 0); // [batch, channels]
    let original = target.score(logits, classes.as_ref()).reshape([batch, 1]);
    (original.clone() - ablated) / original
}
