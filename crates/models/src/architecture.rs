//! Choosing a backbone by name at run time: [`Architecture`] and the [`Backbone`] module that
//! holds any of them.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    CamBackbone, Classified, DenseNet, DenseNetConfig, ExportReport, ImportOptions, ImportReport,
    Inception3, Inception3Config, ModelError, ResNet, ResNetConfig, SmallCnn, SmallCnnConfig, Vit,
    VitConfig, Xception, XceptionConfig, load_checkpoint, load_pytorch_weights, save_checkpoint,
    save_pytorch_weights,
};

/// The architectures of this crate, by the names the `cyborg` command uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// [`SmallCnn`] (`small-cnn`).
    SmallCnn,
    /// ResNet-18 (`resnet18`).
    ResNet18,
    /// ResNet-34 (`resnet34`).
    ResNet34,
    /// ResNet-50 (`resnet50`).
    ResNet50,
    /// DenseNet-121 (`densenet121`).
    DenseNet121,
    /// Inception-v3 (`inception-v3`).
    InceptionV3,
    /// Xception (`xception`).
    Xception,
    /// ViT-S/16 with the patch-mean head (`vit-s16`; [`VitConfig::vit_small_patch16`]).
    VitS16,
}

impl Architecture {
    /// Every architecture.
    pub const ALL: [Architecture; 8] = [
        Architecture::SmallCnn,
        Architecture::ResNet18,
        Architecture::ResNet34,
        Architecture::ResNet50,
        Architecture::DenseNet121,
        Architecture::InceptionV3,
        Architecture::Xception,
        Architecture::VitS16,
    ];

    /// The name: `small-cnn`, `resnet18`, `resnet34`, `resnet50`, `densenet121`,
    /// `inception-v3`, `xception`, `vit-s16`.
    pub fn name(self) -> &'static str {
        match self {
            Architecture::SmallCnn => "small-cnn",
            Architecture::ResNet18 => "resnet18",
            Architecture::ResNet34 => "resnet34",
            Architecture::ResNet50 => "resnet50",
            Architecture::DenseNet121 => "densenet121",
            Architecture::InceptionV3 => "inception-v3",
            Architecture::Xception => "xception",
            Architecture::VitS16 => "vit-s16",
        }
    }

    /// The input size it is designed for: 28 (small CNN), 224 (ResNet, DenseNet, ViT) or 299.
    pub fn default_image_size(self) -> usize {
        match self {
            Architecture::SmallCnn => 28,
            Architecture::InceptionV3 | Architecture::Xception => 299,
            _ => 224,
        }
    }

    /// The Python expression that builds this architecture's reference implementation with
    /// `num_classes` classes and the layout [`Architecture::init_sized`] gives it for
    /// `image_size` (which only the ViT's position embedding depends on), ready for
    /// `load_state_dict` of a file written by [`Backbone::save_pytorch_weights`]; `None` for
    /// the small CNN, which has no PyTorch reference.
    pub fn pytorch_constructor(
        self,
        num_classes: usize,
        image_size: usize,
        torchvision_weights: bool,
    ) -> Option<String> {
        let torchvision =
            |name: &str| format!("torchvision.models.{name}(num_classes={num_classes})");
        match self {
            Architecture::SmallCnn => None,
            Architecture::ResNet18
            | Architecture::ResNet34
            | Architecture::ResNet50
            | Architecture::DenseNet121 => Some(torchvision(self.name())),
            Architecture::InceptionV3 => {
                let python = |flag: bool| if flag { "True" } else { "False" };
                Some(format!(
                    "torchvision.models.inception_v3(num_classes={num_classes}, aux_logits={}, transform_input={}, init_weights=False)",
                    python(torchvision_weights),
                    python(torchvision_weights)
                ))
            }
            Architecture::Xception => Some(format!(
                "timm.create_model(\"legacy_xception\", num_classes={num_classes})"
            )),
            Architecture::VitS16 => Some(format!(
                "timm.create_model(\"vit_small_patch16_224\", num_classes={num_classes}, global_pool=\"avg\", fc_norm=False, img_size={image_size})"
            )),
        }
    }

    /// Whether the architecture takes images of one size only (the ViT, whose position
    /// embedding is learned for [`Architecture::init_sized`]'s `image_size`), and the multiple
    /// that size must be (its patch size).
    pub fn fixed_input(self) -> Option<usize> {
        match self {
            Architecture::VitS16 => Some(16),
            _ => None,
        }
    }

    /// Builds the full-size model with fresh weights for its default image size
    /// ([`Architecture::init_sized`]).
    pub fn init(
        self,
        num_classes: usize,
        channels: usize,
        torchvision_weights: bool,
        device: &Device,
    ) -> Backbone {
        let size = self.default_image_size();
        self.init_sized(num_classes, channels, size, torchvision_weights, device)
    }

    /// Builds the full-size model with fresh weights. Inception-v3 gets its auxiliary head
    /// and torchvision's input transform when `torchvision_weights` is set (what its ImageNet
    /// file expects), neither otherwise. `image_size` matters to the ViT alone (its position
    /// embedding; the CNNs take any size).
    ///
    /// # Panics
    /// If `image_size` is not a multiple of [`Architecture::fixed_input`].
    pub fn init_sized(
        self,
        num_classes: usize,
        channels: usize,
        image_size: usize,
        torchvision_weights: bool,
        device: &Device,
    ) -> Backbone {
        match self {
            Architecture::SmallCnn => Backbone::SmallCnn(
                SmallCnnConfig::new(num_classes)
                    .with_channels(channels)
                    .init(device),
            ),
            Architecture::ResNet18 | Architecture::ResNet34 | Architecture::ResNet50 => {
                let config = match self {
                    Architecture::ResNet18 => ResNetConfig::resnet18(num_classes),
                    Architecture::ResNet34 => ResNetConfig::resnet34(num_classes),
                    _ => ResNetConfig::resnet50(num_classes),
                };
                Backbone::ResNet(config.with_channels(channels).init(device))
            }
            Architecture::DenseNet121 => Backbone::DenseNet(
                DenseNetConfig::densenet121(num_classes)
                    .with_channels(channels)
                    .init(device),
            ),
            Architecture::InceptionV3 => Backbone::Inception(
                Inception3Config::new()
                    .with_num_classes(num_classes)
                    .with_channels(channels)
                    .with_aux_logits(torchvision_weights)
                    .with_transform_input(torchvision_weights)
                    .init(device),
            ),
            Architecture::Xception => Backbone::Xception(
                XceptionConfig::new()
                    .with_num_classes(num_classes)
                    .with_channels(channels)
                    .init(device),
            ),
            Architecture::VitS16 => Backbone::Vit(
                VitConfig::vit_small_patch16(num_classes)
                    .with_channels(channels)
                    .with_image_size(image_size)
                    .init(device),
            ),
        }
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`Architecture::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown model {0:?} (expected small-cnn, resnet18, resnet34, resnet50, densenet121, inception-v3, xception or vit-s16)"
)]
pub struct UnknownArchitecture(pub String);

impl FromStr for Architecture {
    type Err = UnknownArchitecture;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
        Architecture::ALL
            .into_iter()
            .find(|a| a.name() == wanted || a.name().replace('-', "") == wanted)
            .ok_or_else(|| UnknownArchitecture(name.to_string()))
    }
}

/// Any backbone of this crate, for code that picks the architecture at run time (the
/// `cyborg` command). Implements [`CamBackbone`] by delegating to the model it holds.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Backbone {
    /// A [`SmallCnn`].
    SmallCnn(SmallCnn),
    /// A [`ResNet`].
    ResNet(ResNet),
    /// A [`DenseNet`].
    DenseNet(DenseNet),
    /// An [`Inception3`].
    Inception(Inception3),
    /// An [`Xception`].
    Xception(Xception),
    /// A [`Vit`].
    Vit(Vit),
}

/// Calls `$body` with `$model` bound to the backbone inside `$self`.
macro_rules! with_model {
    ($self:expr, $model:ident => $body:expr) => {
        match $self {
            Backbone::SmallCnn($model) => $body,
            Backbone::ResNet($model) => $body,
            Backbone::DenseNet($model) => $body,
            Backbone::Inception($model) => $body,
            Backbone::Xception($model) => $body,
            Backbone::Vit($model) => $body,
        }
    };
}

impl CamBackbone for Backbone {
    fn forward_classified(&self, images: Tensor<4>) -> Classified {
        with_model!(self, model => model.forward_classified(images))
    }

    fn class_weights(&self) -> Tensor<2> {
        with_model!(self, model => CamBackbone::class_weights(model))
    }

    fn class_bias(&self) -> Option<Tensor<1>> {
        with_model!(self, model => CamBackbone::class_bias(model))
    }

    fn pools_features(&self) -> bool {
        with_model!(self, model => CamBackbone::pools_features(model))
    }

    fn input_size(&self) -> Option<[usize; 2]> {
        with_model!(self, model => CamBackbone::input_size(model))
    }
}

impl Backbone {
    /// Logits only.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.forward_classified(images).logits
    }

    /// [`load_pytorch_weights`] for whichever model this holds. (The small CNN has no
    /// PyTorch reference: it loads state dicts that use its own parameter names.)
    pub fn load_pytorch_weights(
        self,
        path: impl AsRef<Path>,
        options: &ImportOptions,
    ) -> Result<(Self, ImportReport), ModelError> {
        let path = path.as_ref();
        macro_rules! load {
            ($($variant:ident),*) => {
                match self {
                    $(Backbone::$variant(model) => {
                        let (model, report) = load_pytorch_weights(model, path, options)?;
                        (Backbone::$variant(model), report)
                    })*
                }
            };
        }
        Ok(load!(SmallCnn, ResNet, DenseNet, Inception, Xception, Vit))
    }

    /// [`save_pytorch_weights`] for whichever model this holds: a safetensors file that the
    /// reference implementation (torchvision; timm's `legacy_xception` and ViT) loads.
    pub fn save_pytorch_weights(
        &self,
        path: impl AsRef<Path>,
        overwrite: bool,
    ) -> Result<ExportReport, ModelError> {
        with_model!(self, model => save_pytorch_weights(model, path, overwrite))
    }

    /// Saves the model this holds with [`save_checkpoint`]: the file has the bare model's
    /// parameter names (no enum variant), so it loads into the bare model too.
    pub fn save_checkpoint(&self, path: impl AsRef<Path>) -> Result<(), ModelError> {
        save_checkpoint(self, path)
    }

    /// Loads a checkpoint of the model this holds (written by [`Backbone::save_checkpoint`] or
    /// by [`save_checkpoint`] on the bare model) with [`load_checkpoint`].
    pub fn load_checkpoint(self, path: impl AsRef<Path>) -> Result<Self, ModelError> {
        load_checkpoint(self, path)
    }
}
