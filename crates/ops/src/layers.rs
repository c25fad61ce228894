//! The layer functions models call in place of the modules' own `forward`.

use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;

use crate::bias_tap::{effective_bias, tapped, tapping};

/// Whether the fast kernels serve training on `device`: flex, with this crate's `flex`
/// feature.
pub fn fast_kernels_on(device: &Device) -> bool {
    #[cfg(feature = "flex")]
    {
        crate::flex::is_flex(device)
    }
    #[cfg(not(feature = "flex"))]
    {
        let _ = device;
        false
    }
}

/// Whether `x` is a float32 tensor on flex, where the kernels apply.
#[cfg_attr(not(feature = "flex"), allow(dead_code))]
fn on_flex_f32(x: &Tensor<4>) -> bool {
    x.dtype() == burn::tensor::DType::F32 && fast_kernels_on(&x.device())
}

/// Whether `x` takes the fast training path: float32 on flex, tracked by autodiff.
#[cfg_attr(not(feature = "flex"), allow(dead_code))]
fn fast_path(x: &Tensor<4>) -> bool {
    x.device().is_autodiff() && on_flex_f32(x)
}

/// `conv.forward(x)`: the same convolution, with this crate's kernels forward and backward on
/// flex (one group, symmetric padding; any stride, dilation and bias). Other cases run
/// `Conv2d::forward`. Inside [`tap_biases`](crate::tap_biases) a biased convolution's output
/// is tapped.
///
/// # Shapes
/// - x: `[batch, channels_in, height, width]`
/// - output: `[batch, channels_out, height_out, width_out]`
pub fn conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    if tapping()
        && let Some(bias) = &conv.bias
    {
        return tapped(conv.forward(x), || bias.val());
    }
    #[cfg(feature = "flex")]
    if let Some(padding) = symmetric_padding(&conv.padding)
        && conv.groups == 1
        && on_flex_f32(&x)
    {
        let options = burn::tensor::ops::ConvOptions::new(conv.stride, padding, conv.dilation, 1);
        let y = crate::flex::conv2d(x, conv.weight.val(), options);
        return match &conv.bias {
            Some(bias) => {
                let [channels] = bias.dims();
                y + bias.val().reshape([1, channels, 1, 1])
            }
            None => y,
        };
    }
    conv.forward(x)
}

/// PyTorch's `F.max_pool2d(x, kernel, stride, padding)` (dilation 1, `ceil_mode=False`), with
/// this crate's kernels forward and backward on flex when `padding` is at most half the kernel
/// (as PyTorch requires); Burn's `max_pool2d` otherwise.
///
/// # Shapes
/// - x: `[batch, channels, height, width]`
/// - output: `[batch, channels, (height + 2·padding − kernel) / stride + 1, …]`
pub fn max_pool2d(
    x: Tensor<4>,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
) -> Tensor<4> {
    #[cfg(feature = "flex")]
    if (0..2).all(|axis| 2 * padding[axis] <= kernel[axis] && stride[axis] > 0) && on_flex_f32(&x) {
        let window = crate::flex::Window {
            kernel,
            stride,
            padding,
        };
        return crate::flex::max_pool2d(x, window);
    }
    let options = burn::tensor::ops::MaxPoolOptions::new(kernel)
        .with_stride(stride)
        .with_padding(padding);
    burn::tensor::module::max_pool2d(x, options)
}

/// The padding per side when it is the same on both sides of each axis.
#[cfg_attr(not(feature = "flex"), allow(dead_code))]
fn symmetric_padding(padding: &PaddingConfig2d) -> Option<[usize; 2]> {
    match *padding {
        PaddingConfig2d::Valid => Some([0, 0]),
        PaddingConfig2d::Explicit(top, left, bottom, right) if top == bottom && left == right => {
            Some([top, left])
        }
        _ => None,
    }
}

/// `bn.forward(x)`: the same batch norm (running statistics updated as Burn's `BatchNorm`
/// does), fused into one kernel forward and one backward when training on flex, and into one
/// pass (the running statistics folded into a scale and a shift) in inference on flex. Inside
/// [`tap_biases`](crate::tap_biases) the output is tapped (Burn's own batch norm).
///
/// # Shapes
/// - x: `[batch, channels, height, width]`
/// - output: `[batch, channels, height, width]`
pub fn batch_norm(bn: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    norm(bn, x, false)
}

/// `relu(bn.forward(x))`, with the ReLU fused into the batch norm's kernels when training on
/// flex.
///
/// # Shapes
/// - x: `[batch, channels, height, width]`
/// - output: `[batch, channels, height, width]`
pub fn batch_norm_relu(bn: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    norm(bn, x, true)
}

fn norm(bn: &BatchNorm, x: Tensor<4>, then_relu: bool) -> Tensor<4> {
    if tapping() {
        let y = tapped(bn.forward(x), || effective_bias(bn));
        return if then_relu { relu(y) } else { y };
    }
    #[cfg(feature = "flex")]
    if bn.training.is_enabled() && fast_path(&x) {
        let [_, channels, _, _] = x.dims();
        let [features] = bn.gamma.dims();
        assert_eq!(
            channels, features,
            "batch norm of {features} features given {channels} channels"
        );
        let device = x.device();
        let (y, mean, var) =
            crate::flex::batch_norm_train(x, bn.gamma.val(), bn.beta.val(), bn.epsilon, then_relu);
        // As `BatchNorm::forward` in training: momentum-weighted running statistics of the
        // biased batch variance.
        for (state, batch) in [(&bn.running_mean, mean), (&bn.running_var, var)] {
            let running = state
                .value_sync()
                .to_device(&device)
                .mul_scalar(1.0 - bn.momentum)
                .add(batch.detach().mul_scalar(bn.momentum));
            state.update(running.detach());
        }
        return y;
    }
    #[cfg(feature = "flex")]
    if !x.device().is_autodiff() && on_flex_f32(&x) {
        // Inference: the running statistics folded into one scale and shift per channel.
        let device = x.device();
        let mean = bn.running_mean.value().to_device(&device);
        let var = bn.running_var.value().to_device(&device);
        let scale = bn.gamma.val().div(var.add_scalar(bn.epsilon).sqrt());
        let shift = bn.beta.val().sub(mean.mul(scale.clone()));
        return crate::flex::scale_shift(x, scale, shift, then_relu);
    }
    let y = bn.forward(x);
    if then_relu { relu(y) } else { y }
}
