//! Errors of weight import and checkpoint I/O.

use std::path::PathBuf;

use burn::store::{PytorchStoreError, RecordError, SafetensorsStoreError};

/// A parameter whose shape in the file differs from the model's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeMismatch {
    /// The parameter's path in the model (`layer1.0.conv1.weight`).
    pub key: String,
    /// Its shape in the model.
    pub expected: Vec<usize>,
    /// Its shape in the file.
    pub found: Vec<usize>,
}

impl std::fmt::Display for ShapeMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: model {:?}, file {:?}",
            self.key, self.expected, self.found
        )
    }
}

/// Everything that can go wrong loading or saving model weights.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The extension says neither PyTorch (`.pt`, `.pth`, `.bin`) nor safetensors.
    #[error("{path}: unknown weight format (expected .pt, .pth, .bin or .safetensors)")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The PyTorch file could not be parsed.
    #[error("{path}: cannot read PyTorch weights: {source}")]
    Pytorch {
        /// The file.
        path: PathBuf,
        /// The reader's error.
        #[source]
        source: PytorchStoreError,
    },
    /// The safetensors file could not be parsed.
    #[error("{path}: cannot read safetensors weights: {source}")]
    Safetensors {
        /// The file.
        path: PathBuf,
        /// The reader's error.
        #[source]
        source: SafetensorsStoreError,
    },
    /// Parameters of the model that the file does not have.
    #[error("{path}: {} parameter(s) of the model are missing from the file: {}", keys.len(), list(keys))]
    MissingKeys {
        /// The file.
        path: PathBuf,
        /// Model paths, after key remapping.
        keys: Vec<String>,
    },
    /// Tensors of the file that the model has no place for.
    #[error("{path}: {} tensor(s) in the file do not belong to the model: {}", keys.len(), list(keys))]
    UnexpectedKeys {
        /// The file.
        path: PathBuf,
        /// File keys, after key remapping.
        keys: Vec<String>,
    },
    /// Tensors whose shapes differ between file and model.
    #[error("{path}: shapes differ: {}", list(mismatches))]
    ShapeMismatch {
        /// The file.
        path: PathBuf,
        /// Each differing parameter.
        mismatches: Vec<ShapeMismatch>,
    },
    /// A tensor could not be converted (dtype, or any other per-tensor failure).
    #[error("{path}: cannot load tensor(s): {}", list(problems))]
    Tensor {
        /// The file.
        path: PathBuf,
        /// One message per tensor.
        problems: Vec<String>,
    },
    /// [`save_pytorch_weights`](crate::save_pytorch_weights) was asked to replace a file
    /// without `overwrite`.
    #[error(
        "{path}: already exists and was left as it was (export with overwrite, `--force` on the command line, to replace it)"
    )]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// An export path whose extension is not `.safetensors`.
    #[error("{path}: weights are exported as safetensors; name the file *.safetensors")]
    ExportFormat {
        /// The file.
        path: PathBuf,
    },
    /// The safetensors file could not be written.
    #[error("{path}: cannot write safetensors weights: {source}")]
    Export {
        /// The file.
        path: PathBuf,
        /// The writer's error.
        #[source]
        source: SafetensorsStoreError,
    },
    /// A Burn checkpoint could not be written or read back into this model.
    #[error("{path}: checkpoint: {source}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// Burn's record error.
        #[source]
        source: RecordError,
    },
}

/// The first few items, then a count of the rest.
fn list<T: std::fmt::Display>(items: &[T]) -> String {
    const SHOWN: usize = 8;
    let mut text = items
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" … and {} more", items.len() - SHOWN));
    }
    text
}
