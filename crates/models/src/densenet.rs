//! DenseNet-121 and relatives (Huang et al., *Densely Connected Convolutional Networks*,
//! CVPR 2017), in torchvision's layout (`torchvision.models.densenet`: `features.conv0 …
//! features.denseblock4, features.norm5`, `classifier`).
//!
//! CAM tap: `relu(norm5(...))`, the tensor torchvision's global average pooling reads, so
//! `mean_hw(CAM_c) + bias_c == logit_c`. The official CYBORG code took `features` before that
//! ReLU (the output of `norm5`) and ran the network a second time to get it; a pre-ReLU map
//! does not decompose the logit, so it is not offered here, and one forward pass gives both.

use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;
use cyborg_ops::{batch_norm_relu, conv2d};

use crate::backbone::{Classified, classify, impl_cam_backbone};
use crate::import::{Direction, TorchLayout, prefix_remaps};
use crate::layers::{avg_pool, conv_square, max_pool, norm_layer};

/// Configuration of a [`DenseNet`].
///
/// Built by [`DenseNetConfig::init`]; [`DenseNetConfig::densenet121`] gives the standard one.
#[derive(Config, Debug)]
pub struct DenseNetConfig {
    /// Number of classes.
    #[config(default = 1000)]
    pub num_classes: usize,
    /// Input channels (3 for RGB, 1 for grayscale).
    #[config(default = 3)]
    pub channels: usize,
    /// Channels each dense layer adds (`k` in the paper).
    #[config(default = 32)]
    pub growth_rate: usize,
    /// Dense layers in each block.
    #[config(default = "vec![6, 12, 24, 16]")]
    pub block_config: Vec<usize>,
    /// Channels of the stem convolution.
    #[config(default = 64)]
    pub num_init_features: usize,
    /// Bottleneck width of a dense layer, in multiples of `growth_rate`.
    #[config(default = 4)]
    pub bn_size: usize,
    /// Dropout after each dense layer (0 in torchvision's pretrained models).
    #[config(default = 0.0)]
    pub drop_rate: f64,
}

impl DenseNetConfig {
    /// DenseNet-121: 7,978,856 parameters with 1000 classes.
    pub fn densenet121(num_classes: usize) -> Self {
        Self::new().with_num_classes(num_classes)
    }

    /// Channels of the CAM feature maps (1024 for DenseNet-121).
    pub fn feature_channels(&self) -> usize {
        let blocks = self.block_config.len();
        let mut channels = self.num_init_features;
        for (index, &layers) in self.block_config.iter().enumerate() {
            channels += layers * self.growth_rate;
            if index + 1 < blocks {
                channels /= 2;
            }
        }
        channels
    }

    /// Builds the network with fresh weights on `device`.
    ///
    /// # Panics
    /// If a size is zero, `block_config` is empty or `drop_rate` is outside `[0, 1)`.
    pub fn init(&self, device: &Device) -> DenseNet {
        assert!(self.num_classes > 0, "num_classes must be positive, got 0");
        assert!(self.channels > 0, "channels must be positive, got 0");
        assert!(
            self.growth_rate > 0 && self.num_init_features > 0 && self.bn_size > 0,
            "growth_rate, num_init_features and bn_size must be positive, got {}, {}, {}",
            self.growth_rate,
            self.num_init_features,
            self.bn_size
        );
        assert!(
            !self.block_config.is_empty() && self.block_config.iter().all(|&n| n > 0),
            "block_config needs at least one block, each with layers, got {:?}",
            self.block_config
        );
        assert!(
            (0.0..1.0).contains(&self.drop_rate),
            "drop_rate must be in [0, 1), got {}",
            self.drop_rate
        );
        let mut channels = self.num_init_features;
        let mut blocks = Vec::new();
        let mut transitions = Vec::new();
        for (index, &layers) in self.block_config.iter().enumerate() {
            let layers = (0..layers)
                .map(|layer| self.dense_layer(channels + layer * self.growth_rate, device))
                .collect();
            blocks.push(DenseBlock { layers });
            channels += self.block_config[index] * self.growth_rate;
            if index + 1 < self.block_config.len() {
                transitions.push(Transition {
                    norm: norm_layer(channels, 1e-5, device),
                    conv: conv_square(channels, channels / 2, 1, 1, 0, device),
                });
                channels /= 2;
            }
        }
        DenseNet {
            features: DenseNetFeatures {
                conv0: conv_square(self.channels, self.num_init_features, 7, 2, 3, device),
                norm0: norm_layer(self.num_init_features, 1e-5, device),
                blocks,
                transitions,
                norm5: norm_layer(channels, 1e-5, device),
            },
            classifier: LinearConfig::new(channels, self.num_classes).init(device),
        }
    }

    fn dense_layer(&self, input: usize, device: &Device) -> DenseLayer {
        let inner = self.bn_size * self.growth_rate;
        DenseLayer {
            norm1: norm_layer(input, 1e-5, device),
            conv1: conv_square(input, inner, 1, 1, 0, device),
            norm2: norm_layer(inner, 1e-5, device),
            conv2: conv_square(inner, self.growth_rate, 3, 1, 1, device),
            dropout: DropoutConfig::new(self.drop_rate).init(),
        }
    }
}

/// BN-ReLU-1×1 conv-BN-ReLU-3×3 conv: adds `growth_rate` channels to its input.
#[derive(Module, Debug)]
pub struct DenseLayer {
    /// Batch norm of the (concatenated) input.
    pub norm1: BatchNorm,
    /// 1×1 bottleneck convolution.
    pub conv1: Conv2d,
    /// Batch norm of the bottleneck.
    pub norm2: BatchNorm,
    /// 3×3 convolution producing `growth_rate` channels.
    pub conv2: Conv2d,
    /// Dropout on the new channels.
    pub dropout: Dropout,
}

impl DenseLayer {
    /// # Shapes
    /// - x: `[batch, input, height, width]`
    /// - output: `[batch, growth_rate, height, width]` (the new channels only)
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = conv2d(&self.conv1, batch_norm_relu(&self.norm1, x));
        let x = conv2d(&self.conv2, batch_norm_relu(&self.norm2, x));
        self.dropout.forward(x)
    }
}

/// Dense layers, each fed the concatenation of the block input and every earlier output.
#[derive(Module, Debug)]
pub struct DenseBlock {
    /// The layers (torchvision's `denselayer1`, `denselayer2`, …).
    pub layers: Vec<DenseLayer>,
}

impl DenseBlock {
    /// # Shapes
    /// - x: `[batch, input, height, width]`
    /// - output: `[batch, input + layers × growth_rate, height, width]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let mut features = vec![x];
        for layer in &self.layers {
            let input = Tensor::cat(features.clone(), 1);
            features.push(layer.forward(input));
        }
        Tensor::cat(features, 1)
    }
}

/// BN-ReLU-1×1 conv halving the channels, then 2×2 average pooling.
#[derive(Module, Debug)]
pub struct Transition {
    /// Batch norm.
    pub norm: BatchNorm,
    /// 1×1 convolution to half the channels.
    pub conv: Conv2d,
}

impl Transition {
    /// # Shapes
    /// - x: `[batch, channels, height, width]`
    /// - output: `[batch, channels / 2, height / 2, width / 2]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        avg_pool(conv2d(&self.conv, batch_norm_relu(&self.norm, x)), 2, 2, 0)
    }
}

/// The convolutional part of a [`DenseNet`] (torchvision's `features`).
#[derive(Module, Debug)]
pub struct DenseNetFeatures {
    /// 7×7 stride-2 stem convolution.
    pub conv0: Conv2d,
    /// Stem batch norm.
    pub norm0: BatchNorm,
    /// Dense blocks (torchvision's `denseblock1` …).
    pub blocks: Vec<DenseBlock>,
    /// Transitions between blocks (torchvision's `transition1` …).
    pub transitions: Vec<Transition>,
    /// Final batch norm.
    pub norm5: BatchNorm,
}

/// A DenseNet classifier with its last feature maps exposed for CAM.
///
/// Built by [`DenseNetConfig::init`]. Field names follow torchvision.
#[derive(Module, Debug)]
pub struct DenseNet {
    /// Everything up to `norm5`.
    pub features: DenseNetFeatures,
    /// The linear classifier.
    pub classifier: Linear,
}

impl DenseNet {
    /// The feature maps global average pooling reads: `relu(norm5(...))`.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, feature_channels, ⌊height/32⌋, ⌊width/32⌋]` (7×7 at 224×224)
    pub fn forward_features(&self, images: Tensor<4>) -> Tensor<4> {
        let f = &self.features;
        let x = batch_norm_relu(&f.norm0, conv2d(&f.conv0, images));
        let mut x = max_pool(x, 3, 2, 1);
        for (index, block) in f.blocks.iter().enumerate() {
            x = block.forward(x);
            if let Some(transition) = f.transitions.get(index) {
                x = transition.forward(x);
            }
        }
        batch_norm_relu(&f.norm5, x)
    }

    /// Feature maps and logits from one forward pass.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: features `[batch, feature_channels, h, w]`, logits `[batch, num_classes]`
    pub fn forward_classified(&self, images: Tensor<4>) -> Classified {
        classify(self.forward_features(images), None, &self.classifier)
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

impl_cam_backbone!(DenseNet, classifier);

impl DenseNet {
    /// `(torchvision prefix, our prefix)` of every dense layer and transition: torchvision's
    /// `features.denseblockB.denselayerL.` and `features.transitionT.` count from 1, our
    /// `features.blocks.{B-1}.layers.{L-1}.` and `features.transitions.{T-1}.` from 0.
    fn torch_prefixes(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        for (block, dense) in self.features.blocks.iter().enumerate() {
            for layer in 0..dense.layers.len() {
                pairs.push((
                    format!("features.denseblock{}.denselayer{}.", block + 1, layer + 1),
                    format!("features.blocks.{block}.layers.{layer}."),
                ));
            }
        }
        for transition in 0..self.features.transitions.len() {
            pairs.push((
                format!("features.transition{}.", transition + 1),
                format!("features.transitions.{transition}."),
            ));
        }
        pairs
    }
}

impl TorchLayout for DenseNet {
    fn key_remaps(&self) -> Vec<(String, String)> {
        // torchvision's published DenseNet weights predate its current names and spell
        // `denselayer1.norm1.weight` as `denselayer1.norm.1.weight`; torchvision itself fixes
        // them with this same pattern when loading.
        let mut remaps = vec![(
            r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$".to_string(),
            "$1$2".to_string(),
        )];
        remaps.extend(prefix_remaps(self.torch_prefixes(), Direction::Import));
        remaps
    }

    fn export_key_remaps(&self) -> Vec<(String, String)> {
        // Exported with torchvision's current names (`norm1`, not `norm.1`).
        prefix_remaps(self.torch_prefixes(), Direction::Export)
    }
}
