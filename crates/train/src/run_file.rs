//! Errors of the CSV files a run folder holds besides Burn's (`history.csv`, `scores/`).

use std::path::{Path, PathBuf};

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
    /// A JSON file of the run is not what it should hold.
    #[error("{path}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The file of a run folder that lists the class names in the model's order (a label `i` is
/// `classes[i]`), written by [`run_experiment`](crate::run_experiment).
pub const CLASSES_FILE: &str = "classes.json";

/// Reads the class names of the run folder `dir` ([`CLASSES_FILE`]).
///
/// # Errors
/// [`RunFileError::Io`] if the file cannot be read, [`RunFileError::Json`] if it is not a
/// JSON list of names.
pub fn read_classes(dir: &Path) -> Result<Vec<String>, RunFileError> {
    let path = dir.join(CLASSES_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| RunFileError::Io {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|error| RunFileError::Json {
        path,
        message: format!("not a list of class names: {error}"),
    })
}

/// The `.csv` files of `folder` itself, sorted by name (`scores/`, `sets/`).
///
/// # Errors
/// [`RunFileError::Io`] if `folder` cannot be read.
pub fn csv_files(folder: &Path) -> Result<Vec<PathBuf>, RunFileError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|source| RunFileError::Io {
            path: folder.to_path_buf(),
            source,
        })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    Ok(files)
}
