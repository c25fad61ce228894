//! Saving and loading this crate's own checkpoints (Burn's burnpack records), atomically.

use std::path::Path;

use burn::module::Module;

use crate::error::ModelError;

/// Writes `model`'s parameters and running statistics to `path` (burnpack format).
///
/// Burn's burnpack writer already writes a scratch file beside `path` and renames it into
/// place, so an interrupted save never leaves a truncated checkpoint and never destroys the
/// previous one. As burnpack does, `.bpk` is appended to a path without an extension.
pub fn save_checkpoint<M: Module + Clone>(
    model: &M,
    path: impl AsRef<Path>,
) -> Result<(), ModelError> {
    let path = path.as_ref();
    model
        .clone()
        .save_file(path)
        .map_err(|source| ModelError::Checkpoint {
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
