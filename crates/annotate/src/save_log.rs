//! The append-only log of saves: one JSON line per saved map.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::AnnotateError;

/// One line of `DIR/<annotator>-log.jsonl`: a map saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaveEntry {
    /// When it was saved, RFC 3339 in UTC.
    pub time: String,
    /// Who drew it.
    pub annotator: String,
    /// The image's position in the manifest (0-based).
    pub index: usize,
    /// The image file (absolute).
    pub image: PathBuf,
    /// The map written, relative to the output folder.
    pub map: PathBuf,
    /// Seconds the page showed the image before this save.
    pub seconds: f64,
    /// The class the annotator said the image is (`--ask-label`), if they said one.
    pub label_given: Option<String>,
    /// The image's class in the manifest.
    pub label: String,
}

/// Appends entries to the log file, each synced to disk before the save is answered.
#[derive(Debug)]
pub(crate) struct SaveLog {
    path: PathBuf,
}

impl SaveLog {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// Appends `entry` as one line and syncs it.
    pub(crate) fn append(&self, entry: &SaveEntry) -> Result<(), AnnotateError> {
        let mut line = serde_json::to_vec(entry).expect("a SaveEntry serializes");
        line.push(b'\n');
        let new = !self.path.exists();
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(AnnotateError::io(&self.path))?;
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .map_err(AnnotateError::io(&self.path))?;
        if new {
            // The new file's name in its folder, synced like the line.
            if let Some(folder) = self.path.parent() {
                std::fs::File::open(folder)
                    .and_then(|f| f.sync_all())
                    .map_err(AnnotateError::io(folder))?;
            }
        }
        Ok(())
    }

    /// Every entry of the log, oldest first (see [`read_entries`]).
    pub(crate) fn entries(&self) -> Result<Vec<SaveEntry>, AnnotateError> {
        read_entries(&self.path)
    }
}

/// The entries of a log file (none if it does not exist), skipping lines that do not parse.
pub fn read_entries(path: &Path) -> Result<Vec<SaveEntry>, AnnotateError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(AnnotateError::io(path)(e)),
    };
    let mut entries = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(entry) => entries.push(entry),
            Err(error) => tracing::warn!(
                "{}:{}: skipped a line that is not a save entry ({error})",
                path.display(),
                number + 1
            ),
        }
    }
    Ok(entries)
}
