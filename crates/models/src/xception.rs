//! Xception (Chollet, *Xception: Deep Learning with Depthwise Separable Convolutions*,
//! CVPR 2017), in the layout of the widely used PyTorch port by Remi Cadene
//! (`pretrainedmodels.models.xception`), kept in timm as `legacy_xception`
//! (`timm/models/xception.py`): `conv1 bn1 conv2 bn2 block1..block12 conv3 bn3 conv4 bn4 fc`.
//! That port has 22,855,952 parameters with 1000 classes (timm 1.0.31's
//! `legacy_xception`), and Cadene's file names the head `last_linear`, which loads too.
//!
//! Input 299×299. CAM tap: `relu(bn4(conv4(...)))` (10×10 at 299), what global average
//! pooling reads, so `mean_hw(CAM_c) + bias_c == logit_c`.

use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;
use cyborg_ops::{batch_norm, batch_norm_relu, conv2d};

use crate::backbone::{Classified, classify, impl_cam_backbone};
use crate::import::{Direction, TorchLayout, prefix_remaps};
use crate::layers::{conv, conv_square, max_pool, norm_layer};

/// Configuration of an [`Xception`].
///
/// Built by [`XceptionConfig::init`].
#[derive(Config, Debug)]
pub struct XceptionConfig {
    /// Number of classes.
    #[config(default = 1000)]
    pub num_classes: usize,
    /// Input channels (3 for RGB, 1 for grayscale).
    #[config(default = 3)]
    pub channels: usize,
    /// Widths of `conv1`, `conv2`, `block1`, `block2` and `block3` (= the middle flow).
    #[config(default = "[32, 64, 128, 256, 728]")]
    pub entry_widths: [usize; 5],
    /// Widths of `block12`, `conv3` and `conv4` (= the CAM features).
    #[config(default = "[1024, 1536, 2048]")]
    pub exit_widths: [usize; 3],
}

impl XceptionConfig {
    /// Channels of the CAM feature maps (2048 by default).
    pub fn feature_channels(&self) -> usize {
        self.exit_widths[2]
    }

    /// Builds the network with fresh weights on `device`.
    ///
    /// # Panics
    /// If `num_classes`, `channels` or a width is zero.
    pub fn init(&self, device: &Device) -> Xception {
        assert!(self.num_classes > 0, "num_classes must be positive, got 0");
        assert!(self.channels > 0, "channels must be positive, got 0");
        assert!(
            self.entry_widths
                .iter()
                .chain(&self.exit_widths)
                .all(|&w| w > 0),
            "widths must be positive, got {:?} and {:?}",
            self.entry_widths,
            self.exit_widths
        );
        let [c1, c2, b1, b2, middle] = self.entry_widths;
        let [b12, c3, c4] = self.exit_widths;
        let mut blocks = vec![
            BlockShape::new(c2, b1, 2, 2).without_first_relu(),
            BlockShape::new(b1, b2, 2, 2),
            BlockShape::new(b2, middle, 2, 2),
        ];
        blocks.extend((0..8).map(|_| BlockShape::new(middle, middle, 3, 1)));
        blocks.push(BlockShape::new(middle, b12, 2, 2).growing_last());
        Xception {
            conv1: conv_square(self.channels, c1, 3, 2, 0, device),
            bn1: norm_layer(c1, 1e-5, device),
            conv2: conv_square(c1, c2, 3, 1, 0, device),
            bn2: norm_layer(c2, 1e-5, device),
            blocks: blocks.iter().map(|shape| shape.init(device)).collect(),
            conv3: SeparableConv2d::new(b12, c3, device),
            bn3: norm_layer(c3, 1e-5, device),
            conv4: SeparableConv2d::new(c3, c4, device),
            bn4: norm_layer(c4, 1e-5, device),
            fc: LinearConfig::new(c4, self.num_classes).init(device),
        }
    }
}

/// A 3×3 depthwise convolution followed by a 1×1 pointwise one, both bias-free.
#[derive(Module, Debug)]
pub struct SeparableConv2d {
    /// 3×3 depthwise convolution (padding 1).
    pub conv1: Conv2d,
    /// 1×1 pointwise convolution.
    pub pointwise: Conv2d,
}

impl SeparableConv2d {
    fn new(input: usize, output: usize, device: &Device) -> Self {
        Self {
            conv1: conv([input, input], [3, 3], 1, [1, 1], input, device),
            pointwise: conv_square(input, output, 1, 1, 0, device),
        }
    }

    /// # Shapes
    /// - x: `[batch, input, h, w]`
    /// - output: `[batch, output, h, w]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        conv2d(&self.pointwise, conv2d(&self.conv1, x))
    }
}

/// A separable convolution and its batch norm (two entries of the port's `rep` sequence).
#[derive(Module, Debug)]
pub struct SeparableUnit {
    /// The separable convolution.
    pub sep: SeparableConv2d,
    /// Its batch norm.
    pub bn: BatchNorm,
}

/// A residual block: (ReLU, separable conv, BN) × reps, 3×3/2 max pool when strided, plus a
/// 1×1 projection shortcut when the shape changes.
#[derive(Module, Debug)]
pub struct XceptionBlock {
    /// The separable units (the port's `rep`, less its ReLUs and pooling).
    pub units: Vec<SeparableUnit>,
    /// Projection shortcut.
    pub skip: Option<Conv2d>,
    /// Batch norm of the projection.
    pub skipbn: Option<BatchNorm>,
    /// Whether the first unit is preceded by a ReLU (all blocks but `block1`).
    pub start_with_relu: bool,
    /// Stride (max pooling at the end when 2).
    pub stride: usize,
}

impl XceptionBlock {
    /// # Shapes
    /// - x: `[batch, input, h, w]`
    /// - output: `[batch, output, ⌈h / stride⌉, ⌈w / stride⌉]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let mut y = x.clone();
        for (index, unit) in self.units.iter().enumerate() {
            if index > 0 || self.start_with_relu {
                y = relu(y);
            }
            y = batch_norm(&unit.bn, unit.sep.forward(y));
        }
        if self.stride != 1 {
            y = max_pool(y, 3, self.stride, 1);
        }
        let shortcut = match (&self.skip, &self.skipbn) {
            (Some(skip), Some(skipbn)) => batch_norm(skipbn, conv2d(skip, x)),
            _ => x,
        };
        y + shortcut
    }
}

/// The shape of one block, as the port's `Block(in, out, reps, strides, start_with_relu,
/// grow_first)`.
struct BlockShape {
    input: usize,
    output: usize,
    reps: usize,
    stride: usize,
    start_with_relu: bool,
    grow_first: bool,
}

impl BlockShape {
    fn new(input: usize, output: usize, reps: usize, stride: usize) -> Self {
        Self {
            input,
            output,
            reps,
            stride,
            start_with_relu: true,
            grow_first: true,
        }
    }

    fn without_first_relu(self) -> Self {
        Self {
            start_with_relu: false,
            ..self
        }
    }

    fn growing_last(self) -> Self {
        Self {
            grow_first: false,
            ..self
        }
    }

    fn init(&self, device: &Device) -> XceptionBlock {
        let units = (0..self.reps)
            .map(|rep| {
                let (input, output) = if self.grow_first {
                    (if rep == 0 { self.input } else { self.output }, self.output)
                } else {
                    let last = rep + 1 == self.reps;
                    (self.input, if last { self.output } else { self.input })
                };
                SeparableUnit {
                    sep: SeparableConv2d::new(input, output, device),
                    bn: norm_layer(output, 1e-5, device),
                }
            })
            .collect();
        let project = self.input != self.output || self.stride != 1;
        XceptionBlock {
            units,
            skip: project.then(|| conv_square(self.input, self.output, 1, self.stride, 0, device)),
            skipbn: project.then(|| norm_layer(self.output, 1e-5, device)),
            start_with_relu: self.start_with_relu,
            stride: self.stride,
        }
    }
}

/// Xception with its last feature maps exposed for CAM.
///
/// Built by [`XceptionConfig::init`]. Field names follow the PyTorch port, except that its
/// `block1` … `block12` are `blocks[0]` … `blocks[11]`.
#[derive(Module, Debug)]
pub struct Xception {
    /// 3×3 stride-2 stem convolution.
    pub conv1: Conv2d,
    /// Its batch norm.
    pub bn1: BatchNorm,
    /// Second 3×3 stem convolution.
    pub conv2: Conv2d,
    /// Its batch norm.
    pub bn2: BatchNorm,
    /// The twelve residual blocks.
    pub blocks: Vec<XceptionBlock>,
    /// First exit-flow separable convolution.
    pub conv3: SeparableConv2d,
    /// Its batch norm.
    pub bn3: BatchNorm,
    /// Second exit-flow separable convolution (the CAM features, after BN and ReLU).
    pub conv4: SeparableConv2d,
    /// Its batch norm.
    pub bn4: BatchNorm,
    /// The linear classifier.
    pub fc: Linear,
}

impl Xception {
    /// The feature maps global average pooling reads: `relu(bn4(conv4(...)))`.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, feature_channels, h, w]` (10×10 at 299×299)
    pub fn forward_features(&self, images: Tensor<4>) -> Tensor<4> {
        let x = batch_norm_relu(&self.bn1, conv2d(&self.conv1, images));
        let mut x = batch_norm_relu(&self.bn2, conv2d(&self.conv2, x));
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = batch_norm_relu(&self.bn3, self.conv3.forward(x));
        batch_norm_relu(&self.bn4, self.conv4.forward(x))
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

impl_cam_backbone!(Xception, fc);

impl Xception {
    /// `(Cadene/timm prefix, our prefix)` of every separable unit and skip connection.
    fn torch_prefixes(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        for (index, block) in self.blocks.iter().enumerate() {
            let name = format!("block{}.", index + 1);
            // The port's `rep` is a Sequential of [ReLU,] (SeparableConv2d, BatchNorm2d,
            // ReLU) × reps [, MaxPool2d]: with a leading ReLU, unit u sits at indices 3u + 1
            // (conv) and 3u + 2 (batch norm); without (block1), at 3u and 3u + 1.
            let first = usize::from(block.start_with_relu);
            for unit in 0..block.units.len() {
                let at = 3 * unit + first;
                pairs.push((
                    format!("{name}rep.{at}."),
                    format!("blocks.{index}.units.{unit}.sep."),
                ));
                pairs.push((
                    format!("{name}rep.{}.", at + 1),
                    format!("blocks.{index}.units.{unit}.bn."),
                ));
            }
            // `skip.` and `skipbn.`
            pairs.push((format!("{name}skip"), format!("blocks.{index}.skip")));
        }
        pairs
    }
}

impl TorchLayout for Xception {
    fn key_remaps(&self) -> Vec<(String, String)> {
        // Cadene's original file calls the head `last_linear`.
        let mut remaps = vec![(r"^last_linear\.".to_string(), "fc.".to_string())];
        remaps.extend(prefix_remaps(self.torch_prefixes(), Direction::Import));
        remaps
    }

    fn export_key_remaps(&self) -> Vec<(String, String)> {
        // Exported with timm's names (`legacy_xception`: the head is `fc`).
        prefix_remaps(self.torch_prefixes(), Direction::Export)
    }
}
