//! Builders for the layers every architecture here is made of, in PyTorch's conventions.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::AvgPoolOptions;

/// A bias-free 2-D convolution (the conv that precedes every batch norm here).
///
/// `kernel`, `stride` and `padding` are `[height, width]`; `groups` > 1 makes a grouped
/// (depthwise when `groups == in`) convolution.
pub(crate) fn conv(
    channels: [usize; 2],
    kernel: [usize; 2],
    stride: usize,
    padding: [usize; 2],
    groups: usize,
    device: &Device,
) -> Conv2d {
    Conv2dConfig::new(channels, kernel)
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(
            padding[0], padding[1], padding[0], padding[1],
        ))
        .with_groups(groups)
        .with_bias(false)
        .init(device)
}

/// A square bias-free convolution with symmetric padding.
pub(crate) fn conv_square(
    input: usize,
    output: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    device: &Device,
) -> Conv2d {
    conv(
        [input, output],
        [kernel, kernel],
        stride,
        [padding, padding],
        1,
        device,
    )
}

/// A batch norm module with PyTorch's defaults (momentum 0.1) and the given epsilon.
pub(crate) fn norm_layer(channels: usize, epsilon: f64, device: &Device) -> BatchNorm {
    BatchNormConfig::new(channels)
        .with_epsilon(epsilon)
        .init(device)
}

/// PyTorch's `nn.MaxPool2d(kernel, stride, padding)` (floor mode).
pub(crate) fn max_pool(x: Tensor<4>, kernel: usize, stride: usize, padding: usize) -> Tensor<4> {
    cyborg_ops::max_pool2d(x, [kernel, kernel], [stride, stride], [padding, padding])
}

/// PyTorch's `F.avg_pool2d(kernel, stride, padding)` with `count_include_pad=True`.
pub(crate) fn avg_pool(x: Tensor<4>, kernel: usize, stride: usize, padding: usize) -> Tensor<4> {
    let options = AvgPoolOptions::new([kernel, kernel])
        .with_stride([stride, stride])
        .with_padding([padding, padding]);
    avg_pool2d(x, options)
}
