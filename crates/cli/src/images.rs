//! Image files named on the command line, and loading them as one batch.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use cyborg_data::{IMAGE_EXTENSIONS, ImageConfig, load_image};

use crate::error::CliError;

/// The image files (png, jpg, jpeg, bmp) of `folder` itself, sorted by name.
///
/// # Errors
/// If `folder` cannot be read, or holds no image file.
pub fn image_files(folder: &Path) -> Result<Vec<PathBuf>, CliError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(CliError::io(folder))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
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
