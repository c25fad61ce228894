//! Errors of reading datasets.

use std::path::PathBuf;

/// Everything that can go wrong reading a dataset: each variant names the file (and the line,
/// for tables) and keeps the underlying error as its source.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file or folder could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A file named by a table does not exist.
    #[error("{table}:{line}: {what} {path} does not exist")]
    Missing {
        /// The table (CSV) that names it.
        table: PathBuf,
        /// 1-based line of the table.
        line: usize,
        /// "image" or "saliency map".
        what: &'static str,
        /// The missing file.
        path: PathBuf,
    },
    /// An image could not be decoded (unknown format, truncated, corrupt).
    #[error("cannot decode image {path}: {source}")]
    Decode {
        /// The image file.
        path: PathBuf,
        /// What the decoder said.
        #[source]
        source: image::ImageError,
    },
    /// An image could not be written.
    #[error("cannot write image {path}: {source}")]
    Encode {
        /// The image file.
        path: PathBuf,
        /// What the encoder said.
        #[source]
        source: image::ImageError,
    },
    /// A CSV file could not be parsed.
    #[error("{path}: {source}")]
    Csv {
        /// The table.
        path: PathBuf,
        /// What the CSV reader said (it names the line).
        #[source]
        source: csv::Error,
    },
    /// A CSV row is not what the layout expects.
    #[error("{path}:{line}: {message}")]
    BadRow {
        /// The table.
        path: PathBuf,
        /// 1-based line of the table.
        line: usize,
        /// What is wrong with the row.
        message: String,
    },
    /// A label names no known class.
    #[error("{path}:{line}: unknown class {name:?}; known classes: {known:?}")]
    UnknownClass {
        /// The table.
        path: PathBuf,
        /// 1-based line of the table.
        line: usize,
        /// The label as written.
        name: String,
        /// The classes the dataset has.
        known: Vec<String>,
    },
    /// A task asks for more images than its source holds.
    #[error("{path}: {message}")]
    TooFewImages {
        /// The source.
        path: PathBuf,
        /// What was asked for and what there is.
        message: String,
    },
    /// An IDX file is malformed.
    #[error("{path}: not a valid IDX file: {message}")]
    Idx {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A NumPy `.npy` map could not be read or written.
    #[error("{path}: not a usable .npy map: {source}")]
    Npy {
        /// The file.
        path: PathBuf,
        /// What the `.npy` reader or writer said, or what is wrong with the array.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A source holds no item.
    #[error("{path}: no {what} found")]
    Empty {
        /// The table or folder.
        path: PathBuf,
        /// What was looked for.
        what: &'static str,
    },
    /// Image settings that cannot work (see [`Fit::check`](crate::Fit::check)).
    #[error("image settings: {0}")]
    Settings(String),
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| DataError::Io { path, source }
    }
}
