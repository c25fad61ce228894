//! Errors of the CSV files a run folder holds besides Burn's (`history.csv`, `scores/`).

use std::path::PathBuf;

/// A run folder's CSV file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RunFileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a row of the file.
    #[error("{path}:{line}: {message}")]
    BadRow {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}
