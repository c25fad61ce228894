//! Score-CAM's channel weights (Wang et al., CVPRW 2020), as pytorch-grad-cam defines them.

use burn::prelude::*;
use burn::tensor::activation::softmax;

use crate::explain::{ExplainConfig, Target};
use crate::{normalize_min_max, upsample_bilinear};

/// Score-CAM's channel weights, `[batch, channels]`.
pub(crate) fn score_cam_weights(
    forward: &dyn Fn(Tensor<4>) -> Tensor<2>,
    images: Tensor<4>,
    activations: &Tensor<4>,
    logits: &Tensor<2>,
    target: &Target,
    config: &ExplainConfig,
) -> Tensor<2> {
    assert!(
        config.score_cam_batch_size > 0,
        "score_cam_batch_size must be positive, got 0"
    );
    let images = images.inner();
    let [batch, channels, h, w] = activations.dims();
    let [_, _, height, width] = images.dims();
    let classes = target.classes(&logits.clone().inner());
    // Each channel upsampled to the image and min-max scaled: [batch, channels, H, W].
    let masks = upsample_bilinear(
        activations.clone().reshape([batch * channels, h, w]),
        [height, width],
        true,
    );
    let masks = normalize_min_max(masks, config.eps).reshape([batch, channels, 1, height, width]);
    let mut rows = Vec::with_capacity(batch);
    for image in 0..batch {
        let picture = images.clone().narrow(0, image, 1).unsqueeze_dim::<5>(1); // [1,1,c,H,W]
        let image_masks = masks.clone().narrow(0, image, 1);
        let class = classes.as_ref().map(|c| c.clone().narrow(0, image, 1));
        let mut scores = Vec::new();
        for start in (0..channels).step_by(config.score_cam_batch_size) {
            let n = config.score_cam_batch_size.min(channels - start);
            let masked =
                (picture.clone() * image_masks.clone().narrow(1, start, n)).squeeze_dim::<4>(0); // [n, c, H, W]
            let masked_logits = forward(masked).inner();
            let repeated = class.as_ref().map(|c| c.clone().repeat_dim(0, n));
            scores.push(target.score(masked_logits, repeated.as_ref()));
        }
        rows.push(Tensor::cat(scores, 0).reshape([1, channels]));
    }
    softmax(Tensor::cat(rows, 0), 1)
}
