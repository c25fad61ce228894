//! FullGrad (Srinivas & Fleuret, NeurIPS 2019, *Full-Gradient Representation for Neural
//! Network Visualization*), as pytorch-grad-cam's `FullGrad` computes it.

use burn::module::Module;
use burn::prelude::*;
use cyborg_cam::{
    CamBackbone, ExplainError, Target, check_images, normalize_min_max, upsample_bilinear,
};
use cyborg_ops::tap_biases;

/// FullGrad maps of `model` for `images` and `target`: the input-gradient term
/// `|∂s/∂x ⊙ x|` plus, for every biased layer (each convolution with a bias and each batch
/// norm, through `cyborg-ops`' layer functions), `|b ⊙ ∂s/∂y|` with `y` the layer's output
/// (before its ReLU) and `b` its bias (a batch norm's effective bias in inference); each
/// channel of each term min-max scaled (`(v − min) / (max − min + 10⁻⁷)`) and resized to the
/// image (bilinear), all summed, and the sum min-max scaled per image.
///
/// The model runs once forward and once backward on an autodiff copy, frozen (batch norms
/// in inference), whatever device it is on; the maps are at the image size, in `[0, 1]`.
/// Every backbone of this crate routes its layers through `cyborg-ops`; a model of your own
/// is seen only where it calls `cyborg_ops::conv2d` and `batch_norm`.
///
/// # Errors
/// As [`try_explain`](crate::try_explain): empty images, a wrong target count or class.
///
/// # Shapes
/// - images: `[batch, channels, height, width]`
/// - output: `[batch, height, width]`
pub fn full_grad<M>(
    model: &M,
    images: Tensor<4>,
    target: &Target,
) -> Result<Tensor<3>, ExplainError>
where
    M: CamBackbone + Module + Clone,
{
    let dims = images.dims();
    let [batch, _, height, width] = dims;
    check_images(dims, model.input_size())?;
    let device = images.device();
    // On autodiff (`train` moves a plain model there), frozen: batch norms in inference, no
    // parameter gradients.
    let model = model.clone().train().freeze();
    let tracked = if device.is_autodiff() {
        images
    } else {
        images.autodiff()
    };
    let input = tracked.detach().require_grad();
    let (logits, taps) = tap_biases(|| model.forward_classified(input.clone()).logits);
    let [_, count] = logits.dims();
    target.check(batch, count)?;
    let classes = target.classes(&logits.clone().inner());
    let grads = target.score(logits, classes.as_ref()).sum().backward();
    let input_gradient = input
        .grad(&grads)
        .expect("the images take part in the target score");
    let x = input.inner();
    let size = [height, width];
    let mut total = scaled_channel_sum((input_gradient * x).abs(), size);
    for tap in taps {
        let Some(gradient) = tap.probe.grad(&grads) else {
            continue; // a layer the score does not depend on
        };
        let [_, k, _, _] = gradient.dims();
        let bias = tap.bias.inner().reshape([1, k, 1, 1]);
        total = total + scaled_channel_sum((gradient * bias).abs(), size);
    }
    Ok(scale(total))
}

/// Each `[h, w]` channel min-max scaled as pytorch-grad-cam's `scale_cam_image`, resized to
/// `size`, summed over channels.
///
/// # Shapes
/// - maps: `[batch, channels, h, w]`
/// - output: `[batch, size[0], size[1]]`
fn scaled_channel_sum(maps: Tensor<4>, size: [usize; 2]) -> Tensor<3> {
    let [batch, channels, h, w] = maps.dims();
    let scaled = scale(maps.reshape([batch * channels, h, w]));
    let resized = if [h, w] == size {
        scaled
    } else {
        upsample_bilinear(scaled, size, false)
    };
    resized
        .reshape([batch, channels, size[0], size[1]])
        .sum_dim(1)
        .reshape([batch, size[0], size[1]])
}

/// pytorch-grad-cam's `scale_cam_image` without resizing: `(v − min) / (max − min +
/// 10⁻⁷)` per map.
fn scale(maps: Tensor<3>) -> Tensor<3> {
    normalize_min_max(maps, 1e-7)
}
