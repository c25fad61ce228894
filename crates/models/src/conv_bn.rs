//! Convolution, batch norm and ReLU as one module (torchvision's Inception `BasicConv2d`).

use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use cyborg_ops::{batch_norm_relu, conv2d};

use crate::layers::{conv, norm_layer};

/// Configuration of a [`ConvBn`]: a bias-free convolution, batch norm, then ReLU.
///
/// Built by [`ConvBnConfig::init`].
#[derive(Config, Debug)]
pub struct ConvBnConfig {
    /// `[input, output]` channels.
    pub channels: [usize; 2],
    /// `[height, width]` of the kernel.
    pub kernel: [usize; 2],
    /// Stride in both directions.
    #[config(default = 1)]
    pub stride: usize,
    /// `[height, width]` zero padding on each side.
    #[config(default = "[0, 0]")]
    pub padding: [usize; 2],
    /// Batch norm epsilon (torchvision's Inception-v3 uses 0.001).
    #[config(default = 1e-5)]
    pub epsilon: f64,
}

/// `relu(bn(conv(x)))`, with torchvision's parameter names `conv` and `bn`.
///
/// Built by [`ConvBnConfig::init`].
#[derive(Module, Debug)]
pub struct ConvBn {
    /// The bias-free convolution.
    pub conv: Conv2d,
    /// Its batch norm.
    pub bn: BatchNorm,
}

impl ConvBnConfig {
    /// Builds the layer with fresh weights on `device`.
    pub fn init(&self, device: &Device) -> ConvBn {
        ConvBn {
            conv: conv(
                self.channels,
                self.kernel,
                self.stride,
                self.padding,
                1,
                device,
            ),
            bn: norm_layer(self.channels[1], self.epsilon, device),
        }
    }
}

impl ConvBn {
    /// # Shapes
    /// - x: `[batch, input, height, width]`
    /// - output: `[batch, output, height', width']`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        batch_norm_relu(&self.bn, conv2d(&self.conv, x))
    }
}
