//! `history.csv` in a run folder: one row per epoch and split, appended as training goes, so
//! a killed run keeps what it did and a resumed one continues it.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::RunFileError;

/// The name of the history file in a run folder.
pub const HISTORY_FILE: &str = "history.csv";

/// The header of `history.csv`; the columns of [`HistoryRow`] in order.
const HEADER: &str = "epoch,split,loss,cross_entropy,saliency,accuracy,auc,learning_rate,seconds";

/// One row of `history.csv`: what one epoch's training or validation pass measured. Empty
/// cells (`None`) are metrics the split does not have (no saliency term without maps, AUC for
/// two classes only, the learning rate in training only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// The epoch, from 1.
    pub epoch: usize,
    /// `train` or `valid`.
    pub split: String,
    /// The loss the optimiser minimised, the epoch's mean.
    pub loss: Option<f64>,
    /// Its cross-entropy term.
    pub cross_entropy: Option<f64>,
    /// Its saliency term (over annotated images).
    pub saliency: Option<f64>,
    /// Accuracy in `[0, 1]`.
    pub accuracy: Option<f64>,
    /// ROC AUC in `[0, 1]` (two classes).
    pub auc: Option<f64>,
    /// The learning rate of the epoch's last step.
    pub learning_rate: Option<f64>,
    /// Wall-clock seconds the pass took.
    pub seconds: f64,
}

impl HistoryRow {
    fn to_line(&self) -> String {
        let cell = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
        format!(
            "{},{},{},{},{},{},{},{},{:.3}",
            self.epoch,
            self.split,
            cell(self.loss),
            cell(self.cross_entropy),
            cell(self.saliency),
            cell(self.accuracy),
            cell(self.auc),
            cell(self.learning_rate),
            self.seconds
        )
    }

    fn parse(line: &str) -> Result<Self, String> {
        let cells: Vec<&str> = line.split(',').collect();
        let [epoch, split, loss, ce, saliency, accuracy, auc, lr, seconds] = cells[..] else {
            return Err(format!("{} cells, expected 9", cells.len()));
        };
        let number = |name: &str, cell: &str| -> Result<Option<f64>, String> {
            if cell.is_empty() {
                return Ok(None);
            }
            cell.parse::<f64>()
                .map(Some)
                .map_err(|_| format!("{name} must be a number, got {cell:?}"))
        };
        Ok(HistoryRow {
            epoch: epoch
                .parse()
                .map_err(|_| format!("epoch must be a whole number, got {epoch:?}"))?,
            split: split.to_string(),
            loss: number("loss", loss)?,
            cross_entropy: number("cross_entropy", ce)?,
            saliency: number("saliency", saliency)?,
            accuracy: number("accuracy", accuracy)?,
            auc: number("auc", auc)?,
            learning_rate: number("learning_rate", lr)?,
            seconds: number("seconds", seconds)?.ok_or("seconds is empty")?,
        })
    }
}

/// Reads a run's `history.csv` (the file, or the run folder holding it).
///
/// # Errors
/// [`RunFileError::Io`] if it cannot be read, [`RunFileError::BadRow`] naming the line that
/// is not a row (a wrong header included).
pub fn read_history(path: impl AsRef<Path>) -> Result<Vec<HistoryRow>, RunFileError> {
    let path = path.as_ref();
    let path = if path.is_dir() {
        path.join(HISTORY_FILE)
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&path).map_err(|source| RunFileError::Io {
        path: path.clone(),
        source,
    })?;
    let bad = |line: usize, message: String| RunFileError::BadRow {
        path: path.clone(),
        line,
        message,
    };
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(HEADER) {
        return Err(bad(1, format!("the header must be {HEADER:?}")));
    }
    lines
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| HistoryRow::parse(line.trim()).map_err(|m| bad(i + 2, m)))
        .collect()
}

/// The writer of a run's `history.csv`.
#[derive(Debug)]
pub(crate) struct History {
    path: PathBuf,
}

impl History {
    /// Prepares `path` for a run whose first epoch is `starting_epoch`: rows of earlier epochs
    /// (those a resumed run keeps) stay, later ones (a killed epoch's, or a run that starts
    /// over) go. Rewritten through a temporary file, so a failure leaves the old file.
    pub(crate) fn start(path: PathBuf, starting_epoch: usize) -> std::io::Result<Self> {
        let kept: Vec<String> = match read_history(&path) {
            Ok(rows) => rows
                .into_iter()
                .filter(|row| row.epoch < starting_epoch)
                .map(|row| row.to_line())
                .collect(),
            Err(_) => Vec::new(),
        };
        let mut text = format!("{HEADER}\n");
        for line in kept {
            text.push_str(&line);
            text.push('\n');
        }
        cyborg_atomic_write::write_bytes_atomically(&path, text.as_bytes())?;
        Ok(Self { path })
    }

    /// Appends `row` and flushes it to the file.
    pub(crate) fn append(&self, row: &HistoryRow) -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new().append(true).open(&self.path)?;
        writeln!(file, "{}", row.to_line())?;
        file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(epoch: usize, split: &str) -> HistoryRow {
        HistoryRow {
            epoch,
            split: split.into(),
            loss: Some(0.5),
            cross_entropy: Some(0.25),
            saliency: None,
            accuracy: Some(0.875),
            auc: None,
            learning_rate: Some(0.005),
            seconds: 1.5,
        }
    }

    #[test]
    fn rows_round_trip_with_empty_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(HISTORY_FILE);
        let history = History::start(path.clone(), 1).unwrap();
        history.append(&row(1, "train")).unwrap();
        history.append(&row(1, "valid")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!(
                "{HEADER}\n1,train,0.5,0.25,,0.875,,0.005,1.500\n1,valid,0.5,0.25,,0.875,,0.005,1.500\n"
            )
        );
        assert_eq!(
            read_history(dir.path()).unwrap(),
            vec![row(1, "train"), row(1, "valid")]
        );
    }

    #[test]
    fn a_resumed_run_keeps_earlier_epochs_and_drops_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(HISTORY_FILE);
        let history = History::start(path.clone(), 1).unwrap();
        for epoch in 1..=3 {
            history.append(&row(epoch, "train")).unwrap();
            history.append(&row(epoch, "valid")).unwrap();
        }
        // Killed during epoch 4's validation: its training row is there.
        history.append(&row(4, "train")).unwrap();
        // Resumed from the checkpoint of epoch 2: epochs 3 and 4 run again.
        History::start(path.clone(), 3).unwrap();
        let epochs: Vec<usize> = read_history(&path)
            .unwrap()
            .iter()
            .map(|r| r.epoch)
            .collect();
        assert_eq!(epochs, [1, 1, 2, 2]);
        // A run that starts over keeps nothing.
        History::start(path.clone(), 1).unwrap();
        assert!(read_history(&path).unwrap().is_empty());
    }

    #[test]
    fn bad_files_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(HISTORY_FILE);
        std::fs::write(&path, format!("{HEADER}\n1,train,x,,,,,,1\n")).unwrap();
        let error = read_history(&path).unwrap_err().to_string();
        assert!(
            error.ends_with("history.csv:2: loss must be a number, got \"x\""),
            "{error}"
        );
        std::fs::write(&path, "epoch,split\n").unwrap();
        let error = read_history(&path).unwrap_err().to_string();
        assert!(
            error.contains("history.csv:1: the header must be"),
            "{error}"
        );
        let missing = read_history(dir.path().join("nope.csv")).unwrap_err();
        assert!(matches!(missing, RunFileError::Io { .. }));
    }
}
