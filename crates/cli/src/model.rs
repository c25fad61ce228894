//! The flags that choose, build and load a model, shared by the subcommands.

use std::path::PathBuf;

use burn::prelude::*;
use clap::{Args, ValueEnum};
use cyborg_data::{Fit, ImageConfig};
use cyborg_models::{Architecture, Backbone, HeadPolicy, ImportOptions};
use cyborg_train::{CLASSES_FILE, read_classes};
use serde::{Deserialize, Serialize};

use crate::choices::NormalizationChoice;
use crate::error::CliError;

/// Which model, with which weights, on which inputs.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// A run folder written by `cyborg train`: its model.json gives every model flag and its
    /// best.bpk the weights.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["model", "num_classes", "channels", "image_size", "resize_short", "normalization", "checkpoint", "weights"]
    )]
    pub run: Option<PathBuf>,
    /// small-cnn, resnet18, resnet34, resnet50, densenet121, inception-v3, xception or vit-s16
    /// (ViT-S/16 with the patch-mean head: --image-size a multiple of 16).
    #[arg(long, required_unless_present = "run")]
    pub model: Option<Architecture>,
    /// Number of classes of the model.
    #[arg(long, default_value_t = 2)]
    pub num_classes: usize,
    /// Input channels: 1 (gray) or 3 (RGB).
    #[arg(long, default_value_t = 3)]
    pub channels: usize,
    /// Input size in pixels (default: the model's, 28, 224 or 299).
    #[arg(long)]
    pub image_size: Option<usize>,
    /// Bring images to --image-size as torchvision evaluates ImageNet models: resize the short
    /// side to this many pixels (aspect kept), then keep the centre square (256 for 224, 342
    /// for 299). Human maps are cropped alike. Without it, images are stretched to the size.
    #[arg(long, value_name = "PIXELS")]
    pub resize_short: Option<usize>,
    /// Input normalisation: imagenet (mean/std of ImageNet) or none (pixels in [0, 1]).
    #[arg(long, value_enum, default_value_t = NormalizationChoice::Imagenet)]
    pub normalization: NormalizationChoice,
    /// A checkpoint written by cyborg (Burn's burnpack format) for this architecture at its
    /// default width.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// PyTorch (.pth/.pt) or safetensors weights in torchvision/timm layout; the classifier
    /// head is replaced unless --num-classes is 1000.
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Build the model in the layout of torchvision's ImageNet files (Inception-v3's auxiliary
    /// head and input transform) without loading them: set by `--run` for a run trained from
    /// `--weights`, whose checkpoint has that layout.
    #[arg(skip)]
    pub torchvision_layout: bool,
}

/// What `cyborg train` writes to `model.json` in its run folder: every model flag, so that
/// `--run DIR` needs none of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelDescription {
    /// The architecture's name (`small-cnn`, `resnet18`, …).
    pub architecture: String,
    /// Number of classes.
    pub num_classes: usize,
    /// The class names, in the model's order.
    pub classes: Vec<String>,
    /// Input channels.
    pub channels: usize,
    /// Input size in pixels.
    pub image_size: usize,
    /// Input normalisation (`imagenet` or `none`).
    pub normalization: String,
    /// The short side images are resized to before the centre crop (`--resize-short`);
    /// `null`: stretched.
    #[serde(default)]
    pub resize_short: Option<usize>,
    /// Whether training started from torchvision/timm weights (`--weights`): the model then
    /// has their layout (Inception-v3's auxiliary head and input transform).
    #[serde(default)]
    pub torchvision_weights: bool,
}

impl ModelArgs {
    /// The description of this model, with its class names.
    pub fn describe(&self, classes: Vec<String>) -> Result<ModelDescription, CliError> {
        let normalization = self
            .normalization
            .to_possible_value()
            .expect("no value is skipped")
            .get_name()
            .to_string();
        Ok(ModelDescription {
            architecture: self.architecture()?.name().to_string(),
            num_classes: self.num_classes,
            classes,
            channels: self.channels,
            image_size: self.image_size(),
            normalization,
            resize_short: self.resize_short,
            torchvision_weights: self.torchvision_layout(),
        })
    }

    /// `Ok` if `dir` is a folder, the usage error `DIR: no such run folder` otherwise.
    pub fn check_run_folder(dir: &std::path::Path) -> Result<(), CliError> {
        if dir.is_dir() {
            return Ok(());
        }
        Err(CliError::Usage(format!(
            "{}: no such run folder",
            dir.display()
        )))
    }

    /// `--run dir` and no other flag: [`ModelArgs::resolve`] reads the rest from the run.
    pub fn of_run(dir: &std::path::Path) -> ModelArgs {
        ModelArgs {
            run: Some(dir.to_path_buf()),
            model: None,
            num_classes: 2,
            channels: 3,
            image_size: None,
            resize_short: None,
            normalization: NormalizationChoice::Imagenet,
            checkpoint: None,
            weights: None,
            torchvision_layout: false,
        }
    }

    /// These flags, or with `--run DIR` the ones its `model.json` records and its best.bpk.
    pub fn resolve(&self) -> Result<ModelArgs, CliError> {
        let Some(dir) = &self.run else {
            return Ok(self.clone());
        };
        let path = dir.join("model.json");
        let text = std::fs::read_to_string(&path).map_err(CliError::io(&path))?;
        let bad = |what: String| CliError::Usage(format!("{}: {what}", path.display()));
        let description: ModelDescription =
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let model = description
            .architecture
            .parse::<Architecture>()
            .map_err(|e| bad(e.to_string()))?;
        let normalization = NormalizationChoice::from_str(&description.normalization, false)
            .map_err(|e| bad(format!("normalization: {e}")))?;
        Ok(ModelArgs {
            run: None,
            model: Some(model),
            num_classes: description.num_classes,
            channels: description.channels,
            image_size: Some(description.image_size),
            resize_short: description.resize_short,
            normalization,
            checkpoint: Some(dir.join("best.bpk")),
            weights: None,
            torchvision_layout: description.torchvision_weights,
        })
    }

    /// `--model`.
    pub fn architecture(&self) -> Result<Architecture, CliError> {
        self.model
            .ok_or_else(|| CliError::Usage("give --model or --run".into()))
    }

    /// The class names saved beside `--checkpoint` by `cyborg train` (`classes.json`), if
    /// any: manifests are then read with the training run's class order.
    pub fn classes(&self) -> Result<Option<Vec<String>>, CliError> {
        let Some(dir) = self
            .checkpoint
            .as_ref()
            .and_then(|c| c.parent())
            .filter(|dir| dir.join(CLASSES_FILE).exists())
        else {
            return Ok(None);
        };
        Ok(Some(read_classes(dir)?))
    }

    /// Whether the model has the layout of torchvision's ImageNet files: built to load
    /// `--weights`, or read from a run trained from them.
    pub fn torchvision_layout(&self) -> bool {
        self.weights.is_some() || self.torchvision_layout
    }

    /// The input size.
    pub fn image_size(&self) -> usize {
        self.image_size
            .unwrap_or_else(|| self.model.map_or(0, |model| model.default_image_size()))
    }

    /// `[channels, size, size]`.
    pub fn image_shape(&self) -> [usize; 3] {
        [self.channels, self.image_size(), self.image_size()]
    }

    /// How images are decoded for this model.
    pub fn image_config(&self) -> Result<ImageConfig, CliError> {
        let fit = match self.resize_short {
            Some(short_side) => Fit::ShortSideCrop { short_side },
            None => Fit::Stretch,
        };
        let config = ImageConfig::new(self.image_size(), self.image_size())
            .with_channels(self.channels)
            .with_normalization(self.normalization.into())
            .with_fit(fit);
        config
            .check()
            .map_err(|_| CliError::Usage(format!(
                "--resize-short {} is smaller than --image-size {}: the centre crop needs at least that",
                self.resize_short.unwrap_or(0),
                self.image_size()
            )))?;
        Ok(config)
    }

    /// Builds the model and loads `--weights` if given (no checkpoint).
    pub fn build(&self, device: &Device) -> Result<Backbone, CliError> {
        if !matches!(self.channels, 1 | 3) {
            return Err(CliError::Usage(format!(
                "--channels must be 1 or 3, got {}",
                self.channels
            )));
        }
        if self.num_classes < 2 {
            return Err(CliError::Usage(format!(
                "--num-classes must be at least 2, got {}",
                self.num_classes
            )));
        }
        let architecture = self.architecture()?;
        let size = self.image_size();
        if let Some(patch) = architecture.fixed_input()
            && (size == 0 || !size.is_multiple_of(patch))
        {
            return Err(CliError::Usage(format!(
                "--image-size {size} is not a multiple of {architecture}'s {patch}-pixel patches \
                 (e.g. {})",
                patch * (size / patch).max(1)
            )));
        }
        let model = architecture.init_sized(
            self.num_classes,
            self.channels,
            size,
            self.torchvision_layout(),
            device,
        );
        match &self.weights {
            Some(weights) => {
                let head = if self.num_classes == 1000 {
                    HeadPolicy::Load
                } else {
                    HeadPolicy::Replace
                };
                let options = ImportOptions {
                    head,
                    ..Default::default()
                };
                Ok(model.load_pytorch_weights(weights, &options)?.0)
            }
            None => Ok(model),
        }
    }

    /// Builds the model and loads its weights: `--checkpoint`, or `--weights` alone.
    pub fn load(&self, device: &Device) -> Result<Backbone, CliError> {
        if self.checkpoint.is_none() && self.weights.is_none() {
            return Err(CliError::Usage(
                "give --checkpoint or --weights: an untrained model explains nothing".into(),
            ));
        }
        let model = self.build(device)?;
        match &self.checkpoint {
            Some(checkpoint) => Ok(model.load_checkpoint(checkpoint)?),
            None => Ok(model),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run trained from ImageNet weights is rebuilt with their layout (Inception-v3's
    /// auxiliary head), which its checkpoint has, and with its input fit; a model.json without
    /// those fields (written before they existed) means no weights and stretched inputs.
    #[test]
    fn runs_remember_whether_they_started_from_torchvision_weights() {
        let dir = tempfile::tempdir().unwrap();
        let mut args = ModelArgs::of_run(dir.path());
        args.run = None;
        args.model = Some(Architecture::InceptionV3);
        args.weights = Some(PathBuf::from("inception_v3.pth"));
        args.resize_short = Some(342);
        let description = args.describe(vec!["a".into(), "b".into()]).unwrap();
        assert!(description.torchvision_weights);
        let text = serde_json::to_string(&description).unwrap();
        std::fs::write(dir.path().join("model.json"), &text).unwrap();
        let resolved = ModelArgs::of_run(dir.path()).resolve().unwrap();
        assert!(resolved.weights.is_none() && resolved.torchvision_layout());
        let fit = resolved.image_config().unwrap().fit;
        assert_eq!(fit, Fit::ShortSideCrop { short_side: 342 });
        assert_eq!(resolved.checkpoint, Some(dir.path().join("best.bpk")));

        let older = text.replace(",\"torchvision_weights\":true", "");
        assert_ne!(older, text);
        let older = older.replace(",\"resize_short\":342", "");
        std::fs::write(dir.path().join("model.json"), older).unwrap();
        let resolved = ModelArgs::of_run(dir.path()).resolve().unwrap();
        assert!(!resolved.torchvision_layout());
        assert_eq!(resolved.image_config().unwrap().fit, Fit::Stretch);
    }
}
