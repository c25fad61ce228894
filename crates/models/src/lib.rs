//! CAM-ready image classifiers on [Burn](https://burn.dev), with PyTorch weight import.
//!
//! Every model here ends in global average pooling and a linear head, and exposes the feature
//! maps that pooling reads beside the logits ([`CamBackbone::forward_classified`]), plus the
//! head's weights as `[num_classes, channels]` ([`CamBackbone::class_weights`]). That is what
//! the CYBORG loss and every CAM need; `mean_hw(CAM_c) + bias_c == logit_c` holds for each.
//!
//! | model | config | input | CAM grid |
//! |---|---|---|---|
//! | small CNN | [`SmallCnnConfig`] | 28–64 px, any channels | size / 4 |
//! | ResNet-18/34/50 | [`ResNetConfig`] | 224 | 7×7 |
//! | DenseNet-121 | [`DenseNetConfig`] | 224 | 7×7 |
//! | Inception-v3 | [`Inception3Config`] | 299 | 8×8 |
//! | Xception | [`XceptionConfig`] | 299 | 10×10 |
//! | ViT-S/16, ViT-B/16 | [`VitConfig`] | 224 (fixed) | 14×14 patches |
//!
//! Weights: [`load_pytorch_weights`] reads a torchvision-style `.pth`/`.pt` state dict or a
//! `.safetensors` file from a local path (never downloaded), optionally replacing the head for
//! a new number of classes; [`save_pytorch_weights`] writes them back in PyTorch's layout
//! (torchvision loads the file); [`save_checkpoint`] / [`load_checkpoint`] store our own.
//!
//! ```
//! use burn::prelude::*;
//! use cyborg_models::{CamBackbone, ResNetConfig};
//!
//! let device = Device::flex();
//! let model = ResNetConfig::resnet18(2).with_width(8).init(&device); // a thin ResNet-18
//! let out = model.forward_classified(Tensor::<4>::zeros([1, 3, 64, 64], &device));
//! assert_eq!(out.features.dims(), [1, 64, 2, 2]);
//! assert_eq!(out.logits.dims(), [1, 2]);
//! assert_eq!(model.class_weights().dims(), [2, 64]);
//! ```

mod architecture;
mod backbone;
mod checkpoint;
mod conv_bn;
mod count;
mod densenet;
mod error;
mod export;
mod full_grad;
mod import;
mod inception;
mod layers;
mod resnet;
mod small_cnn;
mod vit;
mod xception;

pub use architecture::{Architecture, Backbone, UnknownArchitecture};
pub use checkpoint::{load_checkpoint, save_checkpoint};
pub use conv_bn::{ConvBn, ConvBnConfig};
pub use count::{parameter_shapes, trainable_parameters};
/// The CAM contract and the explanations, from `cyborg-cam` (where a model of your own
/// implements it without this crate).
pub use cyborg_cam::{
    CamBackbone, CamMethod, Classified, ExplainConfig, ExplainError, RoadConfig, RoadError,
    RoadRemoval, RoadScores, SessConfig, SessPool, Target, TargetLayer, UnknownMethod,
    confidence_drop, explain, explain_layer, refine_cam, road, sess, try_explain, try_road,
};
pub use densenet::{
    DenseBlock, DenseLayer, DenseNet, DenseNetConfig, DenseNetFeatures, Transition,
};
pub use error::{ModelError, ShapeMismatch};
pub use export::{ExportReport, pytorch_keys, save_pytorch_weights};
pub use full_grad::full_grad;
pub use import::{HeadPolicy, ImportOptions, ImportReport, TorchLayout, load_pytorch_weights};
pub use inception::{
    Inception3, Inception3Config, InceptionA, InceptionAux, InceptionB, InceptionC, InceptionD,
    InceptionE,
};
pub use resnet::{Downsample, ResNet, ResNetConfig, ResidualBlock};
pub use small_cnn::{SmallCnn, SmallCnnConfig};
pub use vit::{Attention, Mlp, PatchEmbed, Vit, VitBlock, VitConfig, VitLayer, VitPool};
pub use xception::{SeparableConv2d, SeparableUnit, Xception, XceptionBlock, XceptionConfig};
