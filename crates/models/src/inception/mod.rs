//! Inception-v3 (Szegedy et al., *Rethinking the Inception Architecture for Computer Vision*,
//! CVPR 2016), in torchvision's layout (`torchvision.models.inception.Inception3`:
//! `Conv2d_1a_3x3 … Mixed_7c`, `AuxLogits`, `fc`).
//!
//! Input 299×299 (at least 75×75; the auxiliary head needs 299). CAM tap: the output of
//! `Mixed_7c` (8×8 at 299), the concatenation of ReLU outputs that global average pooling
//! reads, so `mean_hw(CAM_c) + bias_c == logit_c` in inference mode.
//!
//! torchvision's ImageNet weights expect `transform_input = true`: the network re-normalises
//! an ImageNet-normalised image to the `[-1, 1]` scaling it was trained with. Set it when
//! loading those weights, as torchvision does.

mod blocks;

pub use blocks::{InceptionA, InceptionAux, InceptionB, InceptionC, InceptionD, InceptionE};

use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;

use crate::backbone::{Classified, classify, impl_cam_backbone};
use crate::conv_bn::ConvBn;
use crate::import::TorchLayout;
use crate::layers::max_pool;
use blocks::Widths;

/// Configuration of an [`Inception3`].
///
/// Built by [`Inception3Config::init`].
#[derive(Config, Debug)]
pub struct Inception3Config {
    /// Number of classes.
    #[config(default = 1000)]
    pub num_classes: usize,
    /// Input channels (3 for RGB, 1 for grayscale).
    #[config(default = 3)]
    pub channels: usize,
    /// Build the auxiliary classifier (`AuxLogits`, on the 17×17 grid).
    #[config(default = false)]
    pub aux_logits: bool,
    /// Re-normalise ImageNet-normalised input as torchvision's pretrained weights expect
    /// (needs 3 channels).
    #[config(default = false)]
    pub transform_input: bool,
    /// Dropout before the classifier.
    #[config(default = 0.5)]
    pub dropout: f64,
    /// Divides every inner width (1, 2, 4, 8 or 16): thin variants for quick experiments.
    #[config(default = 1)]
    pub width_divisor: usize,
}

impl Inception3Config {
    /// Channels of the CAM feature maps (2048 at full width).
    pub fn feature_channels(&self) -> usize {
        2048 / self.width_divisor
    }

    /// Builds the network with fresh weights on `device`.
    ///
    /// # Panics
    /// If `num_classes` or `channels` is zero, `width_divisor` is not 1, 2, 4, 8 or 16,
    /// `dropout` is outside `[0, 1)`, or `transform_input` is set without 3 channels.
    pub fn init(&self, device: &Device) -> Inception3 {
        assert!(self.num_classes > 0, "num_classes must be positive, got 0");
        assert!(self.channels > 0, "channels must be positive, got 0");
        assert!(
            [1, 2, 4, 8, 16].contains(&self.width_divisor),
            "width_divisor must be 1, 2, 4, 8 or 16, got {}",
            self.width_divisor
        );
        assert!(
            (0.0..1.0).contains(&self.dropout),
            "dropout must be in [0, 1), got {}",
            self.dropout
        );
        assert!(
            !self.transform_input || self.channels == 3,
            "transform_input needs 3 input channels, got {}",
            self.channels
        );
        let w = Widths {
            divisor: self.width_divisor,
        };
        let s = |c| w.of(c);
        Inception3 {
            conv2d_1a_3x3: w.conv(self.channels, 32, [3, 3], 2, [0, 0], device),
            conv2d_2a_3x3: w.conv(s(32), 32, [3, 3], 1, [0, 0], device),
            conv2d_2b_3x3: w.conv(s(32), 64, [3, 3], 1, [1, 1], device),
            conv2d_3b_1x1: w.conv1x1(s(64), 80, device),
            conv2d_4a_3x3: w.conv(s(80), 192, [3, 3], 1, [0, 0], device),
            mixed_5b: InceptionA::new(w, s(192), 32, device),
            mixed_5c: InceptionA::new(w, s(256), 64, device),
            mixed_5d: InceptionA::new(w, s(288), 64, device),
            mixed_6a: InceptionB::new(w, s(288), device),
            mixed_6b: InceptionC::new(w, s(768), 128, device),
            mixed_6c: InceptionC::new(w, s(768), 160, device),
            mixed_6d: InceptionC::new(w, s(768), 160, device),
            mixed_6e: InceptionC::new(w, s(768), 192, device),
            aux_logits: self
                .aux_logits
                .then(|| InceptionAux::new(w, s(768), self.num_classes, device)),
            mixed_7a: InceptionD::new(w, s(768), device),
            mixed_7b: InceptionE::new(w, s(1280), device),
            mixed_7c: InceptionE::new(w, s(2048), device),
            dropout: DropoutConfig::new(self.dropout).init(),
            fc: LinearConfig::new(s(2048), self.num_classes).init(device),
            transform_input: self.transform_input,
        }
    }
}

/// Inception-v3 with its last feature maps exposed for CAM.
///
/// Built by [`Inception3Config::init`]. Field names are torchvision's in snake case
/// (`Conv2d_1a_3x3` is `conv2d_1a_3x3`, `Mixed_5b` is `mixed_5b`, `AuxLogits` is
/// `aux_logits`).
#[derive(Module, Debug)]
#[allow(missing_docs)]
pub struct Inception3 {
    pub conv2d_1a_3x3: ConvBn,
    pub conv2d_2a_3x3: ConvBn,
    pub conv2d_2b_3x3: ConvBn,
    pub conv2d_3b_1x1: ConvBn,
    pub conv2d_4a_3x3: ConvBn,
    pub mixed_5b: InceptionA,
    pub mixed_5c: InceptionA,
    pub mixed_5d: InceptionA,
    pub mixed_6a: InceptionB,
    pub mixed_6b: InceptionC,
    pub mixed_6c: InceptionC,
    pub mixed_6d: InceptionC,
    pub mixed_6e: InceptionC,
    /// The auxiliary classifier, when configured.
    pub aux_logits: Option<InceptionAux>,
    pub mixed_7a: InceptionD,
    pub mixed_7b: InceptionE,
    pub mixed_7c: InceptionE,
    /// Dropout before `fc`.
    pub dropout: Dropout,
    /// The linear classifier.
    pub fc: Linear,
    /// Whether the input is re-normalised first (see [`Inception3Config::transform_input`]).
    pub transform_input: bool,
}

impl Inception3 {
    /// torchvision's `_transform_input`: `x_c · std_c / 0.5 + (mean_c − 0.5) / 0.5`.
    fn transform(&self, images: Tensor<4>) -> Tensor<4> {
        if !self.transform_input {
            return images;
        }
        let device = images.device();
        let mean = [0.485, 0.456, 0.406];
        let std = [0.229, 0.224, 0.225];
        let scale = Tensor::<1>::from_floats(std.map(|s| s / 0.5), &device).reshape([1, 3, 1, 1]);
        let shift =
            Tensor::<1>::from_floats(mean.map(|m| (m - 0.5) / 0.5), &device).reshape([1, 3, 1, 1]);
        images * scale + shift
    }

    /// Everything up to `Mixed_6e`, where the auxiliary head branches off.
    fn forward_to_6e(&self, images: Tensor<4>) -> Tensor<4> {
        let x = self.transform(images);
        let x = self.conv2d_1a_3x3.forward(x);
        let x = self.conv2d_2a_3x3.forward(x);
        let x = self.conv2d_2b_3x3.forward(x);
        let x = max_pool(x, 3, 2, 0);
        let x = self.conv2d_3b_1x1.forward(x);
        let x = self.conv2d_4a_3x3.forward(x);
        let x = max_pool(x, 3, 2, 0);
        let x = self.mixed_5b.forward(x);
        let x = self.mixed_5c.forward(x);
        let x = self.mixed_5d.forward(x);
        let x = self.mixed_6a.forward(x);
        let x = self.mixed_6b.forward(x);
        let x = self.mixed_6c.forward(x);
        let x = self.mixed_6d.forward(x);
        self.mixed_6e.forward(x)
    }

    fn forward_from_6e(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.mixed_7a.forward(x);
        let x = self.mixed_7b.forward(x);
        self.mixed_7c.forward(x)
    }

    /// The feature maps global average pooling reads (output of `Mixed_7c`).
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, feature_channels, h, w]` (8×8 at 299×299)
    pub fn forward_features(&self, images: Tensor<4>) -> Tensor<4> {
        self.forward_from_6e(self.forward_to_6e(images))
    }

    /// Feature maps and logits from one forward pass.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: features `[batch, feature_channels, h, w]`, logits `[batch, num_classes]`
    pub fn forward_classified(&self, images: Tensor<4>) -> Classified {
        classify(self.forward_features(images), Some(&self.dropout), &self.fc)
    }

    /// Features and logits, plus the auxiliary head's logits when the model has one
    /// (torchvision trains with `loss(main) + 0.4 · loss(aux)`). One forward pass.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]` (299×299 for the auxiliary head)
    /// - output: as [`Self::forward_classified`], and aux logits `[batch, num_classes]`
    pub fn forward_with_aux(&self, images: Tensor<4>) -> (Classified, Option<Tensor<2>>) {
        let x = self.forward_to_6e(images);
        let aux = self.aux_logits.as_ref().map(|aux| aux.forward(x.clone()));
        let features = self.forward_from_6e(x);
        (classify(features, Some(&self.dropout), &self.fc), aux)
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

impl_cam_backbone!(Inception3, fc);

impl TorchLayout for Inception3 {
    fn key_remaps(&self) -> Vec<(String, String)> {
        // torchvision's top-level names are CamelCase; ours are snake case.
        vec![
            (r"^Conv2d_".into(), "conv2d_".into()),
            (r"^Mixed_".into(), "mixed_".into()),
            (r"^AuxLogits\.".into(), "aux_logits.".into()),
        ]
    }

    fn export_key_remaps(&self) -> Vec<(String, String)> {
        vec![
            (r"^conv2d_".into(), "Conv2d_".into()),
            (r"^mixed_".into(), "Mixed_".into()),
            (r"^aux_logits\.".into(), "AuxLogits.".into()),
        ]
    }
}
