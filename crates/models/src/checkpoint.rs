//! Saving and loading this crate's own checkpoints (Burn's burnpack records), atomically.

use std::path::Path;

use burn::module::Module;

use crate::error::ModelError;

/// Writes `model`'s parameters and running statistics to `path` (burnpack format).
///
/// The file is written beside `path` under a temporary name and renamed into place, so an
/// interrupted save never leaves a truncated checkpoint and never destroys the previous one.
pub fn save_checkpoint<M: Module + Clone>(
    model: &M,
    path: impl AsRef<Path>,
) -> Result<(), ModelError> {
    let path = path.as_ref();
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".partial");
    let temporary = std::path::PathBuf::from(temporary);
    model
        .clone()
        .save_file(&temporary)
        .map_err(|source| ModelError::Checkpoint {
            path: temporary.clone(),
            source,
        })?;
    std::fs::rename(&temporary, path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads a checkpoint written by [`save_checkpoint`] into `model`, which must have the same
/// architecture (its configuration decides the shapes).
pub fn load_checkpoint<M: Module>(model: M, path: impl AsRef<Path>) -> Result<M, ModelError> {
    let path = path.as_ref();
    std::fs::metadata(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    model
        .try_load_file(path)
        .map_err(|source| ModelError::Checkpoint {
            path: path.to_path_buf(),
            source,
        })
}
