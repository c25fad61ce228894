//! Saving and loading model checkpoints (Burn's burnpack format), atomically, with the bare
//! parameter names of the model inside any enum (so `Backbone`'s files load into the model it
//! holds and back).

use std::path::Path;

use burn::module::Module;
use burn::store::{ModuleSnapshot, RecordError, burn_pack};

use crate::error::ModelError;

/// Writes `model`'s parameters and running statistics to `path` (burnpack format).
///
/// Parameter names leave out enum variants: a model held in an enum such as
/// [`Backbone`](crate::Backbone) is written with the names the bare model has
/// (`conv1.weight`, not `SmallCnn.conv1.weight`), so the file loads into either. For a model
/// without enums the file is the one Burn's `Module::save_file` writes, and `load_file` reads
/// it back.
///
/// Burn's burnpack writer writes a scratch file beside `path` and renames it into place, so
/// an interrupted save never leaves a truncated checkpoint and never destroys the previous
/// one. As burnpack does, `.bpk` is appended to a path without an extension.
pub fn save_checkpoint<M: Module>(model: &M, path: impl AsRef<Path>) -> Result<(), ModelError> {
    let path = path.as_ref();
    let tensors = model.collect(None, None, true);
    burn_pack::Writer::new(tensors)
        .write_to_file(path)
        .map_err(|source| ModelError::Checkpoint {
            path: path.to_path_buf(),
            source: source.into(),
        })
}

/// Loads a checkpoint written by [`save_checkpoint`] (or by Burn's `save_file` for a model
/// without enums) into `model`, which must have the same architecture (its configuration
/// decides the shapes): every parameter is read, with its shape, and the file has no other.
pub fn load_checkpoint<M: Module>(mut model: M, path: impl AsRef<Path>) -> Result<M, ModelError> {
    let path = path.as_ref();
    let checkpoint = |source: RecordError| ModelError::Checkpoint {
        path: path.to_path_buf(),
        source,
    };
    std::fs::metadata(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let tensors = burn_pack::Reader::from_file(path)
        .and_then(burn_pack::Reader::into_tensors)
        .map_err(|error| checkpoint(error.into()))?;
    let result = model.apply(tensors, None, None, true);
    let mut problems: Vec<String> = result.errors.iter().map(|e| e.to_string()).collect();
    if !result.missing.is_empty() {
        let names: Vec<&str> = result
            .missing
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        problems.push(format!("missing {}", list(&names)));
    }
    if !result.unused.is_empty() {
        let names: Vec<&str> = result.unused.iter().map(String::as_str).collect();
        problems.push(format!("not in this model: {}", list(&names)));
    }
    if problems.is_empty() {
        Ok(model)
    } else {
        Err(checkpoint(RecordError::Validation(format!(
            "another architecture or configuration? {}",
            problems.join("; ")
        ))))
    }
}

/// The first few names, and how many more.
fn list(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut text = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        text += &format!(" and {} more", names.len() - SHOWN);
    }
    text
}
