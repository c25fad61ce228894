//! Writing results without ever leaving a half-written file.

use std::path::{Path, PathBuf};

use crate::error::CliError;

/// Writes `value` as pretty JSON to `dir/name` (creating `dir`), through a temporary file
/// renamed into place. Returns the path.
pub fn write_json(dir: &Path, name: &str, value: &serde_json::Value) -> Result<PathBuf, CliError> {
    std::fs::create_dir_all(dir).map_err(CliError::io(dir))?;
    let path = dir.join(name);
    let temporary = dir.join(format!(".{name}.partial"));
    let text = serde_json::to_string_pretty(value).expect("JSON values serialise");
    std::fs::write(&temporary, text + "\n").map_err(CliError::io(&temporary))?;
    std::fs::rename(&temporary, &path).map_err(CliError::io(&path))?;
    Ok(path)
}
