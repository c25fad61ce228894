//! Decoding images and saliency maps into normalised float planes.

use std::path::Path;

use burn::config::Config;
use burn::prelude::*;
use image::DynamicImage;
use serde::{Deserialize, Serialize};

use crate::npy::is_npy;
use crate::{Augmentation, DataError, Fit, ResizeFilter, read_npy_map, resize_plane};

/// How image values in `[0, 1]` are standardised, per channel: `(x − mean) / std`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum Normalization {
    /// Values stay in `[0, 1]`.
    None,
    /// ImageNet statistics, what torchvision's pretrained weights expect: mean
    /// (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225); one channel uses their averages
    /// 0.449 and 0.226. The default.
    #[default]
    ImageNet,
    /// Your own statistics, one value per channel.
    Custom {
        /// Mean of each channel.
        mean: Vec<f32>,
        /// Standard deviation of each channel.
        std: Vec<f32>,
    },
}

impl Normalization {
    /// Standardises a batch of images with values in `[0, 1]` (decoded with
    /// [`Normalization::None`]) as [`load_image`] standardises each value, `(x − mean) / std`
    /// per channel: the same numbers, so one decoded batch serves both a picture and the
    /// model.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, channels, height, width]`
    pub fn apply(&self, images: Tensor<4>) -> Tensor<4> {
        let [_, channels, _, _] = images.dims();
        let device = images.device();
        let (mean, std): (Vec<f32>, Vec<f32>) =
            (0..channels).map(|c| self.stats(c, channels)).unzip();
        let per_channel = |values: Vec<f32>| {
            Tensor::<1>::from_floats(values.as_slice(), &device).reshape([1, channels, 1, 1])
        };
        images.sub(per_channel(mean)).div(per_channel(std))
    }

    /// Mean and standard deviation of `channel` among `channels`.
    fn stats(&self, channel: usize, channels: usize) -> (f32, f32) {
        const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
        const STD: [f32; 3] = [0.229, 0.224, 0.225];
        match self {
            Normalization::None => (0.0, 1.0),
            Normalization::ImageNet if channels == 1 => (0.449, 0.226),
            Normalization::ImageNet => (MEAN[channel % 3], STD[channel % 3]),
            Normalization::Custom { mean, std } => (
                mean[channel.min(mean.len() - 1)],
                std[channel.min(std.len() - 1)],
            ),
        }
    }
}

/// How images become model inputs: decoded, converted to `channels`, brought to
/// `height × width` (stretched, or torchvision's resize-then-centre-crop: [`Fit`]),
/// normalised. Used by [`load_image`].
#[derive(Config, Debug)]
pub struct ImageConfig {
    /// Output height in pixels.
    pub height: usize,
    /// Output width in pixels.
    pub width: usize,
    /// 1 (gray, ITU-R 601-2 luma as Pillow's `convert("L")`) or 3 (RGB).
    #[config(default = 3)]
    pub channels: usize,
    /// Standardisation after scaling to `[0, 1]`.
    #[config(default = "Normalization::ImageNet")]
    pub normalization: Normalization,
    /// The resampling filter.
    #[config(default = "ResizeFilter::Bilinear")]
    pub filter: ResizeFilter,
    /// How the image reaches `height × width`: stretched (the default) or, as torchvision
    /// evaluates ImageNet models, the short side resized and the centre cropped. Human maps
    /// loaded for the image ([`load_saliency_aligned`], the datasets) are cropped alike.
    #[config(default = "Fit::Stretch")]
    pub fit: Fit,
}

impl ImageConfig {
    /// `Err` with a message if these settings cannot give an image ([`Fit::check`]).
    pub fn check(&self) -> Result<(), DataError> {
        self.fit
            .check([self.height, self.width])
            .map_err(DataError::Settings)
    }
}

/// How human maps become loss targets: gray, resized to the CAM grid, min-max normalised.
/// Used by [`load_saliency`].
#[derive(Config, Debug)]
pub struct SaliencyConfig {
    /// The CAM grid `[height, width]` (e.g. 7×7 for ResNet-50 at 224×224).
    pub grid: [usize; 2],
    /// The resampling filter: antialiased bilinear as in the paper, or area averaging.
    #[config(default = "ResizeFilter::Bilinear")]
    pub filter: ResizeFilter,
    /// Added to `max − min` so a constant map normalises to zeros, not NaN.
    #[config(default = 1e-8)]
    pub eps: f64,
}

/// Decodes an image file into a row-major `[channels, height, width]` float array, as
/// `config` says.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be read, [`DataError::Decode`] if it is not a readable
/// image (unknown format, truncated, corrupt).
pub fn load_image(path: impl AsRef<Path>, config: &ImageConfig) -> Result<Vec<f32>, DataError> {
    load_image_augmented(path, config, &Augmentation::IDENTITY)
}

/// [`load_image`] with an augmentation applied at the decoded resolution, before resizing.
///
/// # Errors
/// As [`load_image`].
pub fn load_image_augmented(
    path: impl AsRef<Path>,
    config: &ImageConfig,
    augmentation: &Augmentation,
) -> Result<Vec<f32>, DataError> {
    config.check()?;
    let image = decode(path.as_ref())?;
    let size = [image.height() as usize, image.width() as usize];
    let mut out = Vec::with_capacity(config.channels * config.height * config.width);
    for (c, plane) in planes(&image, config.channels).iter().enumerate() {
        let (mean, std) = config.normalization.stats(c, config.channels);
        let (plane, size) = augment(plane, size, augmentation);
        let fitted = config
            .fit
            .apply(&plane, size, [config.height, config.width], config.filter);
        out.extend(fitted.into_iter().map(|v| (v - mean) / std));
    }
    Ok(out)
}

/// Decodes a saliency map into a row-major `[grid_height, grid_width]` array in `[0, 1]`:
/// gray (colour maps are converted with Pillow's luma weights), resized to the grid,
/// min-max normalised. A file ending in `.npy` is read as a float map ([`read_npy_map`]),
/// not an image: maps that are not quantised to 8 bits.
///
/// # Errors
/// As [`load_image`], and [`DataError::Npy`] for a `.npy` file that is not a usable map.
pub fn load_saliency(
    path: impl AsRef<Path>,
    config: &SaliencyConfig,
) -> Result<Vec<f32>, DataError> {
    load_saliency_augmented(path, config, &Augmentation::IDENTITY)
}

/// [`load_saliency`] with an augmentation applied at the map's own resolution, before
/// resizing. Crops are fractions of the plane, so an image and a map of different resolutions
/// stay aligned.
///
/// # Errors
/// As [`load_image`].
pub fn load_saliency_augmented(
    path: impl AsRef<Path>,
    config: &SaliencyConfig,
    augmentation: &Augmentation,
) -> Result<Vec<f32>, DataError> {
    let (gray, size) = read_map_plane(path.as_ref())?;
    let (gray, size) = augment(&gray, size, augmentation);
    let mut map = resize_plane(&gray, size, config.grid, config.filter);
    normalize_min_max(&mut map, config.eps);
    Ok(map)
}

/// [`load_saliency_augmented`] for a map that goes with an image loaded with `image`: the map
/// is brought to the image's `height × width` the way the image is ([`ImageConfig::fit`]:
/// with a centre crop, the same part of the picture is kept), then resized to the grid. With
/// [`Fit::Stretch`] this is [`load_saliency_augmented`]. The map should have the image's
/// aspect ratio (any resolution).
///
/// # Errors
/// As [`load_saliency_augmented`], and [`DataError::Settings`] when `image` cannot work.
pub fn load_saliency_aligned(
    path: impl AsRef<Path>,
    config: &SaliencyConfig,
    image: &ImageConfig,
    augmentation: &Augmentation,
) -> Result<Vec<f32>, DataError> {
    if image.fit == Fit::Stretch {
        return load_saliency_augmented(path, config, augmentation);
    }
    image.check()?;
    let (gray, size) = read_map_plane(path.as_ref())?;
    let (gray, size) = augment(&gray, size, augmentation);
    let out = [image.height, image.width];
    let fitted = image.fit.apply(&gray, size, out, config.filter);
    let mut map = resize_plane(&fitted, out, config.grid, config.filter);
    normalize_min_max(&mut map, config.eps);
    Ok(map)
}

/// A map file as one gray plane and its `[height, width]`: a `.npy` float map, or an image
/// converted with Pillow's luma weights.
fn read_map_plane(path: &Path) -> Result<(Vec<f32>, [usize; 2]), DataError> {
    if is_npy(path) {
        let map = read_npy_map(path)?;
        Ok((map.values, map.size))
    } else {
        let image = decode(path)?;
        let size = [image.height() as usize, image.width() as usize];
        Ok((planes(&image, 1).remove(0), size))
    }
}

/// The plane after `augmentation`, borrowed unchanged when it is the identity.
fn augment<'a>(
    plane: &'a [f32],
    size: [usize; 2],
    augmentation: &Augmentation,
) -> (std::borrow::Cow<'a, [f32]>, [usize; 2]) {
    if *augmentation == Augmentation::IDENTITY {
        (std::borrow::Cow::Borrowed(plane), size)
    } else {
        let (plane, size) = augmentation.apply(plane, size);
        (std::borrow::Cow::Owned(plane), size)
    }
}

/// Rescales `values` to `[0, 1]`: `(v − min) / (max − min + eps)`.
pub fn normalize_min_max(values: &mut [f32], eps: f64) {
    let (min, max) = values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let range = (max - min) as f64 + eps;
    values
        .iter_mut()
        .for_each(|v| *v = ((*v - min) as f64 / range) as f32);
}

fn decode(path: &Path) -> Result<DynamicImage, DataError> {
    let reader = image::ImageReader::open(path).map_err(DataError::io(path))?;
    let reader = reader.with_guessed_format().map_err(DataError::io(path))?;
    let image = reader.decode().map_err(|source| DataError::Decode {
        path: path.to_path_buf(),
        source,
    })?;
    if image.width() == 0 || image.height() == 0 {
        return Err(DataError::Decode {
            path: path.to_path_buf(),
            source: image::ImageError::Limits(image::error::LimitError::from_kind(
                image::error::LimitErrorKind::DimensionError,
            )),
        });
    }
    Ok(image)
}

/// The image as `channels` planes of `[0, 1]` floats.
fn planes(image: &DynamicImage, channels: usize) -> Vec<Vec<f32>> {
    let rgb = image.to_rgb32f();
    let pixels = rgb.pixels();
    match channels {
        1 => vec![
            pixels
                .map(|p| 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2])
                .collect(),
        ],
        _ => (0..channels)
            .map(|c| rgb.pixels().map(|p| p[c % 3]).collect())
            .collect(),
    }
}
