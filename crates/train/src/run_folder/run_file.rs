//! The small files and folders of a run folder: `classes.json`, `sets/`, and the listing of
//! its CSV files.

use std::path::{Path, PathBuf};

use crate::error::RunFileError;

/// The file of a run folder that lists the class names in the model's order (a label `i` is
/// `classes[i]`), written by [`run_experiment`](crate::run_experiment).
pub const CLASSES_FILE: &str = "classes.json";

/// The folder of a run's evaluated sets: `sets/val.csv`, `sets/test-<name>.csv`, manifests
/// with absolute paths.
pub const SETS_FOLDER: &str = "sets";

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
