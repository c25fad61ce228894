//! Writing results without ever leaving a half-written file.

use std::path::{Path, PathBuf};

use crate::error::CliError;

/// Writes `value` as pretty JSON to `dir/name` (creating `dir`), through a temporary file
/// renamed into place ([`cyborg_train::write_json`]). Returns the path.
pub fn write_json(dir: &Path, name: &str, value: &serde_json::Value) -> Result<PathBuf, CliError> {
    std::fs::create_dir_all(dir).map_err(CliError::io(dir))?;
    let path = dir.join(name);
    cyborg_train::write_json(&path, value).map_err(|e| CliError::Train(Box::new(e)))?;
    Ok(path)
}
