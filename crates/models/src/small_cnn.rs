//! A small VGG-style CNN for 28×28 to 64×64 images, with a global-average-pooling + linear
//! head so its CAM is exact: the model to try CYBORG on your own small data in minutes on a CPU.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

use crate::backbone::{Classified, classify, impl_cam_backbone};
use crate::conv_bn::{ConvBn, ConvBnConfig};
use crate::import::TorchLayout;
use crate::layers::max_pool;

/// Configuration of a [`SmallCnn`].
///
/// Built by [`SmallCnnConfig::init`].
#[derive(Config, Debug)]
pub struct SmallCnnConfig {
    /// Number of classes.
    pub num_classes: usize,
    /// Input channels (1 for grayscale, 3 for RGB).
    #[config(default = 1)]
    pub channels: usize,
    /// Channels of the first stage; the second has twice, the CAM features four times.
    #[config(default = 16)]
    pub width: usize,
}

/// Five 3×3 conv + batch norm + ReLU layers with a 2×2 max pool after the second and the
/// fourth, global average pooling and a linear head. The CAM grid is the input size divided
/// by 4 (7×7 at 28×28, 16×16 at 64×64). 35,674 parameters at the default width with one input
/// channel and ten classes.
///
/// Built by [`SmallCnnConfig::init`].
#[derive(Module, Debug)]
pub struct SmallCnn {
    /// `channels → width`.
    pub conv1: ConvBn,
    /// `width → width`, followed by a 2×2 max pool.
    pub conv2: ConvBn,
    /// `width → 2 width`.
    pub conv3: ConvBn,
    /// `2 width → 2 width`, followed by a 2×2 max pool.
    pub conv4: ConvBn,
    /// `2 width → 4 width`: the CAM feature maps.
    pub conv5: ConvBn,
    /// The linear classifier.
    pub fc: Linear,
}

impl SmallCnnConfig {
    /// Channels of the CAM feature maps (`4 × width`).
    pub fn feature_channels(&self) -> usize {
        4 * self.width
    }

    /// Builds the network with fresh weights on `device`.
    ///
    /// # Panics
    /// If `num_classes`, `channels` or `width` is zero.
    pub fn init(&self, device: &Device) -> SmallCnn {
        assert!(self.num_classes > 0, "num_classes must be positive, got 0");
        assert!(self.channels > 0, "channels must be positive, got 0");
        assert!(self.width > 0, "width must be positive, got 0");
        let w = self.width;
        let layer = |input, output| {
            ConvBnConfig::new([input, output], [3, 3])
                .with_padding([1, 1])
                .init(device)
        };
        SmallCnn {
            conv1: layer(self.channels, w),
            conv2: layer(w, w),
            conv3: layer(w, 2 * w),
            conv4: layer(2 * w, 2 * w),
            conv5: layer(2 * w, 4 * w),
            fc: LinearConfig::new(4 * w, self.num_classes).init(device),
        }
    }
}

impl SmallCnn {
    /// The feature maps global average pooling reads (after the last ReLU).
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, 4 width, height / 4, width / 4]` (rounded down)
    pub fn forward_features(&self, images: Tensor<4>) -> Tensor<4> {
        let x = self.conv2.forward(self.conv1.forward(images));
        let x = max_pool(x, 2, 2, 0);
        let x = self.conv4.forward(self.conv3.forward(x));
        let x = max_pool(x, 2, 2, 0);
        self.conv5.forward(x)
    }

    /// Feature maps and logits from one forward pass.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: features `[batch, 4 width, h, w]`, logits `[batch, num_classes]`
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

impl_cam_backbone!(SmallCnn, fc);

impl TorchLayout for SmallCnn {
    /// Our own architecture: a state dict with its parameter names needs no renames.
    fn key_remaps(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}
