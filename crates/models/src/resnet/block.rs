//! The residual blocks of ResNet: basic (two 3×3 convolutions) and bottleneck (1×1, 3×3, 1×1).

use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::activation::relu;
use cyborg_ops::{batch_norm, batch_norm_relu, conv2d};

use crate::layers::{conv_square, norm_layer};

/// The projection shortcut (1×1 convolution + batch norm) of a block that changes the
/// resolution or the width. torchvision calls it `downsample.0` / `downsample.1`.
#[derive(Module, Debug)]
pub struct Downsample {
    /// 1×1 convolution with the block's stride.
    pub conv: Conv2d,
    /// Its batch norm.
    pub bn: BatchNorm,
}

/// One residual block, torchvision's `BasicBlock` (when `conv3` is `None`) or `Bottleneck`
/// (ResNet v1.5: the stride sits on the 3×3 convolution). Field names follow torchvision.
#[derive(Module, Debug)]
pub struct ResidualBlock {
    /// 3×3 (basic, strided) or 1×1 (bottleneck) convolution.
    pub conv1: Conv2d,
    /// Batch norm after `conv1`.
    pub bn1: BatchNorm,
    /// 3×3 convolution (strided in a bottleneck).
    pub conv2: Conv2d,
    /// Batch norm after `conv2`.
    pub bn2: BatchNorm,
    /// The bottleneck's 1×1 expansion; `None` in a basic block.
    pub conv3: Option<Conv2d>,
    /// Batch norm after `conv3`.
    pub bn3: Option<BatchNorm>,
    /// Projection shortcut, when the block changes shape.
    pub downsample: Option<Downsample>,
}

/// The shape of one block, used by [`crate::ResNetConfig`] to build its stages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockShape {
    pub input: usize,
    /// The block's inner width ("planes" in torchvision).
    pub planes: usize,
    pub stride: usize,
    pub bottleneck: bool,
}

impl BlockShape {
    /// Output channels: `planes`, or `4 × planes` for a bottleneck.
    pub fn output(&self) -> usize {
        self.planes * if self.bottleneck { 4 } else { 1 }
    }

    pub fn init(&self, device: &Device) -> ResidualBlock {
        let &BlockShape {
            input,
            planes,
            stride,
            bottleneck,
        } = self;
        let output = self.output();
        let downsample = (stride != 1 || input != output).then(|| Downsample {
            conv: conv_square(input, output, 1, stride, 0, device),
            bn: norm_layer(output, 1e-5, device),
        });
        if bottleneck {
            ResidualBlock {
                conv1: conv_square(input, planes, 1, 1, 0, device),
                bn1: norm_layer(planes, 1e-5, device),
                conv2: conv_square(planes, planes, 3, stride, 1, device),
                bn2: norm_layer(planes, 1e-5, device),
                conv3: Some(conv_square(planes, output, 1, 1, 0, device)),
                bn3: Some(norm_layer(output, 1e-5, device)),
                downsample,
            }
        } else {
            ResidualBlock {
                conv1: conv_square(input, planes, 3, stride, 1, device),
                bn1: norm_layer(planes, 1e-5, device),
                conv2: conv_square(planes, planes, 3, 1, 1, device),
                bn2: norm_layer(planes, 1e-5, device),
                conv3: None,
                bn3: None,
                downsample,
            }
        }
    }
}

impl ResidualBlock {
    /// # Shapes
    /// - x: `[batch, input, height, width]`
    /// - output: `[batch, output, height / stride, width / stride]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let identity = match &self.downsample {
            Some(downsample) => batch_norm(&downsample.bn, conv2d(&downsample.conv, x.clone())),
            None => x.clone(),
        };
        let out = batch_norm_relu(&self.bn1, conv2d(&self.conv1, x));
        let out = batch_norm(&self.bn2, conv2d(&self.conv2, out));
        let out = match (&self.conv3, &self.bn3) {
            (Some(conv3), Some(bn3)) => batch_norm(bn3, conv2d(conv3, relu(out))),
            _ => out,
        };
        relu(out + identity)
    }
}
