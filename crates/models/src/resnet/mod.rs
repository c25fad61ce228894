//! ResNet-18/34/50 (He et al., *Deep Residual Learning for Image Recognition*, CVPR 2016),
//! in torchvision's layout (`torchvision.models.resnet`: `conv1 bn1 layer1..4 fc`, ResNet v1.5
//! bottlenecks), so torchvision's ImageNet state dicts load with one rename.
//!
//! CAM tap: the output of `layer4` (after the last block's ReLU), which is what torchvision's
//! global average pooling reads, so `mean_hw(CAM_c) + bias_c == logit_c`. The official CYBORG
//! code hooked ResNet-50's `layer4[-1].conv3` instead, before `bn3`, the residual sum and the
//! ReLU; that map does not decompose the logit and is not offered here.

mod block;

pub use block::{Downsample, ResidualBlock};

use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Linear, LinearConfig};
use burn::prelude::*;
use cyborg_ops::{batch_norm_relu, conv2d};

use crate::backbone::{Classified, classify, impl_cam_backbone};
use crate::import::TorchLayout;
use crate::layers::{conv_square, max_pool, norm_layer};
use block::BlockShape;

/// Configuration of a [`ResNet`].
///
/// Built by [`ResNetConfig::init`]; [`ResNetConfig::resnet18`], [`ResNetConfig::resnet34`]
/// and [`ResNetConfig::resnet50`] give the standard depths.
#[derive(Config, Debug)]
pub struct ResNetConfig {
    /// Residual blocks in each of the four stages (`[2, 2, 2, 2]` for ResNet-18).
    pub blocks: [usize; 4],
    /// Bottleneck blocks (ResNet-50 and deeper) instead of basic ones.
    pub bottleneck: bool,
    /// Number of classes.
    #[config(default = 1000)]
    pub num_classes: usize,
    /// Input channels (3 for RGB, 1 for grayscale).
    #[config(default = 3)]
    pub channels: usize,
    /// Width of the stem and the first stage; stages double it (64 in the paper). Smaller
    /// values give thin, fast variants.
    #[config(default = 64)]
    pub width: usize,
}

impl ResNetConfig {
    /// ResNet-18: basic blocks `[2, 2, 2, 2]`, 11,689,512 parameters with 1000 classes.
    pub fn resnet18(num_classes: usize) -> Self {
        Self::new([2, 2, 2, 2], false).with_num_classes(num_classes)
    }

    /// ResNet-34: basic blocks `[3, 4, 6, 3]`, 21,797,672 parameters with 1000 classes.
    pub fn resnet34(num_classes: usize) -> Self {
        Self::new([3, 4, 6, 3], false).with_num_classes(num_classes)
    }

    /// ResNet-50: bottleneck blocks `[3, 4, 6, 3]`, 25,557,032 parameters with 1000 classes.
    pub fn resnet50(num_classes: usize) -> Self {
        Self::new([3, 4, 6, 3], true).with_num_classes(num_classes)
    }

    /// Channels of the CAM feature maps: `8 × width`, times 4 with bottlenecks.
    pub fn feature_channels(&self) -> usize {
        self.width * 8 * if self.bottleneck { 4 } else { 1 }
    }

    /// Builds the network with fresh weights on `device`.
    ///
    /// # Panics
    /// If `num_classes`, `channels`, `width` or a stage's block count is zero.
    pub fn init(&self, device: &Device) -> ResNet {
        assert!(self.num_classes > 0, "num_classes must be positive, got 0");
        assert!(self.channels > 0, "channels must be positive, got 0");
        assert!(self.width > 0, "width must be positive, got 0");
        assert!(
            self.blocks.iter().all(|&n| n > 0),
            "every stage needs at least one block, got {:?}",
            self.blocks
        );
        let mut input = self.width;
        let mut stages = Vec::with_capacity(4);
        for (stage, &count) in self.blocks.iter().enumerate() {
            let planes = self.width << stage;
            let blocks = (0..count)
                .map(|index| {
                    let shape = BlockShape {
                        input,
                        planes,
                        stride: if index == 0 && stage > 0 { 2 } else { 1 },
                        bottleneck: self.bottleneck,
                    };
                    input = shape.output();
                    shape.init(device)
                })
                .collect::<Vec<_>>();
            stages.push(blocks);
        }
        let [layer1, layer2, layer3, layer4] =
            <[Vec<ResidualBlock>; 4]>::try_from(stages).expect("four stages");
        ResNet {
            conv1: conv_square(self.channels, self.width, 7, 2, 3, device),
            bn1: norm_layer(self.width, 1e-5, device),
            layer1,
            layer2,
            layer3,
            layer4,
            fc: LinearConfig::new(input, self.num_classes).init(device),
        }
    }
}

/// A ResNet classifier with its last feature maps exposed for CAM.
///
/// Built by [`ResNetConfig::init`]. Field names are torchvision's.
#[derive(Module, Debug)]
pub struct ResNet {
    /// 7×7 stride-2 stem convolution.
    pub conv1: Conv2d,
    /// Stem batch norm.
    pub bn1: BatchNorm,
    /// Stage 1 (stride 1 after the stem's max pool).
    pub layer1: Vec<ResidualBlock>,
    /// Stage 2 (stride 2).
    pub layer2: Vec<ResidualBlock>,
    /// Stage 3 (stride 2).
    pub layer3: Vec<ResidualBlock>,
    /// Stage 4 (stride 2): its output is the CAM feature map.
    pub layer4: Vec<ResidualBlock>,
    /// The linear classifier.
    pub fc: Linear,
}

impl ResNet {
    /// The feature maps global average pooling reads (output of `layer4`).
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, feature_channels, ⌈height/32⌉, ⌈width/32⌉]` (7×7 at 224×224)
    pub fn forward_features(&self, images: Tensor<4>) -> Tensor<4> {
        let x = batch_norm_relu(&self.bn1, conv2d(&self.conv1, images));
        let mut x = max_pool(x, 3, 2, 1);
        for block in self
            .layer1
            .iter()
            .chain(&self.layer2)
            .chain(&self.layer3)
            .chain(&self.layer4)
        {
            x = block.forward(x);
        }
        x
    }

    /// Feature maps and logits from one forward pass.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: features `[batch, feature_channels, h, w]`, logits `[batch, num_classes]`
    pub fn forward_classified(&self, images: Tensor<4>) -> Classified {
        classify(self.forward_features(images), None, &self.fc)
    }

    /// Logits only.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.forward_classified(images).logits
    }
}

impl_cam_backbone!(ResNet, fc);

impl TorchLayout for ResNet {
    fn key_remaps(&self) -> Vec<(String, String)> {
        // torchvision's shortcut is `nn.Sequential(conv, bn)`: `layerN.M.downsample.0.weight`.
        vec![
            (r"\.downsample\.0\.".into(), ".downsample.conv.".into()),
            (r"\.downsample\.1\.".into(), ".downsample.bn.".into()),
        ]
    }

    fn export_key_remaps(&self) -> Vec<(String, String)> {
        vec![
            (r"\.downsample\.conv\.".into(), ".downsample.0.".into()),
            (r"\.downsample\.bn\.".into(), ".downsample.1.".into()),
        ]
    }
}
