//! A small convolutional network with a CAM head.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;
use cyborg_cam::{global_average_pool, linear_class_weights};
use cyborg_models::{CamBackbone, Classified};

/// Configuration of the [`TinyCamNet`], built with [`TinyCamNetConfig::init`].
#[derive(Config, Debug)]
pub struct TinyCamNetConfig {
    /// Input channels.
    #[config(default = 1)]
    pub channels: usize,
    /// Number of classes.
    #[config(default = 2)]
    pub num_classes: usize,
    /// Channels of the feature maps the CAM is made of.
    #[config(default = 16)]
    pub width: usize,
}

/// Three 3×3 convolutions (the second with stride 2), ReLU, global average pooling and a
/// linear head: the smallest network whose CAM means something. A 16×16 image gives an 8×8
/// CAM grid. Implements [`CamBackbone`], so every CAM method explains it.
///
/// Built by [`TinyCamNetConfig::init`].
#[derive(Module, Debug)]
pub struct TinyCamNet {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3: Conv2d,
    fc: Linear,
}

impl TinyCamNetConfig {
    /// Builds the network with fresh weights on `device`.
    pub fn init(&self, device: &Device) -> TinyCamNet {
        let w = self.width;
        let conv = |input, output, stride| {
            Conv2dConfig::new([input, output], [3, 3])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        TinyCamNet {
            conv1: conv(self.channels, w / 2, 1),
            conv2: conv(w / 2, w, 2),
            conv3: conv(w, w, 1),
            fc: LinearConfig::new(w, self.num_classes).init(device),
        }
    }
}

impl TinyCamNet {
    /// The feature maps that global average pooling reads (after the last ReLU).
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, width, ⌈height/2⌉, ⌈width/2⌉]`
    pub fn forward_features(&self, images: Tensor<4>) -> Tensor<4> {
        let x = relu(self.conv1.forward(images));
        let x = relu(self.conv2.forward(x));
        relu(self.conv3.forward(x))
    }

    /// Logits only.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        CamBackbone::forward_classified(self, images).logits
    }
}

impl CamBackbone for TinyCamNet {
    fn forward_classified(&self, images: Tensor<4>) -> Classified {
        let features = self.forward_features(images);
        let pooled = global_average_pool(features.clone());
        Classified {
            logits: self.fc.forward(pooled),
            features,
        }
    }

    fn class_weights(&self) -> Tensor<2> {
        linear_class_weights(&self.fc)
    }

    fn class_bias(&self) -> Option<Tensor<1>> {
        self.fc.bias.as_ref().map(|bias| bias.val())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tolerance};
    use cyborg_cam::class_activation_maps;

    #[test]
    fn cam_mean_plus_bias_is_the_logit() {
        let device = Device::flex();
        device.seed(1);
        let net = TinyCamNetConfig::new().init(&device);
        let images = Tensor::<4>::random([3, 1, 16, 16], Distribution::Default, &device);
        let Classified { features, logits } = net.forward_classified(images);
        assert_eq!(features.dims(), [3, 16, 8, 8]);
        let bias = net.fc.bias.as_ref().expect("head has a bias").val();
        for class in 0..2 {
            let classes = Tensor::<1, Int>::from_ints([class; 3], &device);
            let cam = class_activation_maps(features.clone(), net.class_weights(), classes);
            let from_cam =
                cam.mean_dims(&[1, 2]).reshape([3]) + bias.clone().narrow(0, class as usize, 1);
            let logit = logits.clone().narrow(1, class as usize, 1).reshape([3]);
            from_cam
                .into_data()
                .assert_approx_eq::<f32>(&logit.into_data(), Tolerance::absolute(1e-5));
        }
    }
}
