//! Image files named on the command line, and loading them as one batch.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use cyborg_data::{
    IMAGE_EXTENSIONS, ImageConfig, Normalization, files_with_extensions, load_image,
};

use crate::error::CliError;

/// The image files (png, jpg, jpeg, bmp) of `folder` itself, sorted by name.
///
/// # Errors
/// If `folder` cannot be read, or holds no image file.
pub fn image_files(folder: &Path) -> Result<Vec<PathBuf>, CliError> {
    let files = files_with_extensions(folder, &IMAGE_EXTENSIONS).map_err(CliError::io(folder))?;
    if files.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: no png, jpg, jpeg or bmp file",
            folder.display()
        )));
    }
    Ok(files)
}

/// `paths` decoded as `config` says and stacked into a `[n, channels, height, width]` batch
/// on `device`; `shape` is `[channels, height, width]`.
///
/// # Errors
/// The first image that cannot be read or decoded, naming its file.
pub fn load_images(
    paths: &[PathBuf],
    config: &ImageConfig,
    shape: [usize; 3],
    device: &Device,
) -> Result<Tensor<4>, CliError> {
    let [c, h, w] = shape;
    let mut values = Vec::with_capacity(paths.len() * c * h * w);
    for path in paths {
        values.extend(load_image(path, config)?);
    }
    Ok(Tensor::<1>::from_floats(values.as_slice(), device).reshape([paths.len(), c, h, w]))
}

/// `paths` decoded once and returned both as the model reads them (`config`) and, for
/// pictures, as decoded before the normalisation ([`Normalization::apply`] gives the numbers
/// [`load_images`] would).
///
/// # Errors
/// As [`load_images`].
pub fn load_images_and_pictures(
    paths: &[PathBuf],
    config: &ImageConfig,
    shape: [usize; 3],
    device: &Device,
) -> Result<(Tensor<4>, Tensor<4>), CliError> {
    let plain = config.clone().with_normalization(Normalization::None);
    let pictures = load_images(paths, &plain, shape, device)?;
    Ok((config.normalization.apply(pictures.clone()), pictures))
}
