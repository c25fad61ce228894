//! What a report shows of one run folder, read without ever failing: each file that is missing
//! or damaged becomes a line saying so, and the rest of the run is still shown.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::run_folder::history::{HISTORY_FILE, HistoryRow, read_history};
use crate::run_folder::run_file::{csv_files, read_classes};
use crate::run_folder::scores::{RocCurve, SCORES_FOLDER, read_scores};
use crate::training::experiment::ExperimentReport;

/// One run folder as the report reads it.
#[derive(Debug, Clone)]
pub struct ReportRun {
    /// The name the report gives it (its folder's name, made unique).
    pub name: String,
    /// The folder.
    pub dir: PathBuf,
    /// `config.json`: the recipe.
    pub config: Option<Value>,
    /// `model.json`: the model's flags (written by `cyborg train`).
    pub model: Option<Value>,
    /// `best.json`: the best epoch and its validation accuracy.
    pub best: Option<Value>,
    /// `metrics.json`: the best model on the validation and test sets.
    pub metrics: Option<ExperimentReport>,
    /// `history.csv`.
    pub history: Vec<HistoryRow>,
    /// The ROC curves of each score file (`val`, `test-<name>`).
    pub rocs: BTreeMap<String, Vec<RocCurve>>,
    /// What could not be read, one sentence each.
    pub problems: Vec<String>,
}

impl ReportRun {
    /// Reads what there is of the run in `dir`, named `name`.
    pub fn read(dir: &Path, name: String) -> Self {
        let mut problems = Vec::new();
        if !dir.is_dir() {
            problems.push(format!("{} is not a folder", dir.display()));
        }
        let mut json = |file: &str, needed: bool| -> Option<Value> {
            let path = dir.join(file);
            match std::fs::read_to_string(&path) {
                Ok(text) => match serde_json::from_str(&text) {
                    Ok(value) => Some(value),
                    Err(e) => {
                        problems.push(format!("{file} is damaged ({e})"));
                        None
                    }
                },
                Err(_) if !needed => None,
                Err(e) => {
                    problems.push(format!("{file} cannot be read ({e})"));
                    None
                }
            }
        };
        let config = json("config.json", true);
        let model = json("model.json", false);
        let best = json("best.json", true);
        let metrics_value = json("metrics.json", true);
        let metrics = metrics_value.and_then(|v| match serde_json::from_value(v) {
            Ok(m) => Some(m),
            Err(e) => {
                problems.push(format!("metrics.json is not a run's metrics ({e})"));
                None
            }
        });
        let history = match read_history(dir.join(HISTORY_FILE)) {
            Ok(rows) => rows,
            Err(e) => {
                problems.push(format!("{HISTORY_FILE}: {e}"));
                Vec::new()
            }
        };
        let rocs = read_rocs(dir, &mut problems);
        Self {
            name,
            dir: dir.to_path_buf(),
            config,
            model,
            best,
            metrics,
            history,
            rocs,
            problems,
        }
    }

    /// The best epoch, from `metrics.json` or `best.json`.
    pub fn best_epoch(&self) -> Option<usize> {
        self.metrics.as_ref().map(|m| m.best_epoch).or_else(|| {
            let epoch = self.best.as_ref()?.get("epoch")?.as_u64()?;
            usize::try_from(epoch).ok()
        })
    }
}

fn read_rocs(dir: &Path, problems: &mut Vec<String>) -> BTreeMap<String, Vec<RocCurve>> {
    let mut rocs = BTreeMap::new();
    let folder = dir.join(SCORES_FOLDER);
    if !folder.is_dir() {
        return rocs;
    }
    let classes = match read_classes(dir) {
        Ok(classes) => classes,
        Err(e) => {
            problems.push(format!("no ROC curves: {e}"));
            return rocs;
        }
    };
    let files = match csv_files(&folder) {
        Ok(files) => files,
        Err(e) => {
            problems.push(format!("no ROC curves: {e}"));
            return rocs;
        }
    };
    for file in files {
        let set = file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        match read_scores(&file, &classes) {
            Ok(scores) => {
                rocs.insert(set, scores.roc_curves());
            }
            Err(e) => problems.push(format!("no ROC curve for {set}: {e}")),
        }
    }
    rocs
}

/// The folders' names, made unique by prefixing parent folders where two are the same.
pub fn run_names(dirs: &[PathBuf]) -> Vec<String> {
    let name = |dir: &Path, depth: usize| {
        let parts: Vec<String> = dir
            .components()
            .rev()
            .take(depth)
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        parts.into_iter().rev().collect::<Vec<_>>().join("/")
    };
    let mut names: Vec<String> = dirs.iter().map(|d| name(d, 1)).collect();
    for depth in 2..8 {
        let repeated = |n: &String| names.iter().filter(|m| *m == n).count() > 1;
        if !names.iter().any(repeated) {
            break;
        }
        names = dirs
            .iter()
            .zip(&names)
            .map(|(d, n)| {
                if repeated(n) {
                    name(d, depth)
                } else {
                    n.clone()
                }
            })
            .collect();
    }
    for (i, n) in names.iter_mut().enumerate() {
        if n.is_empty() {
            *n = format!("run {}", i + 1);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_folders_made_unique() {
        let dirs = [
            PathBuf::from("runs/a/ce"),
            PathBuf::from("runs/b/ce"),
            PathBuf::from("runs/cyborg"),
        ];
        assert_eq!(run_names(&dirs), ["a/ce", "b/ce", "cyborg"]);
    }

    #[test]
    fn a_missing_or_damaged_folder_is_described_not_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("metrics.json"), "{ not json").unwrap();
        let run = ReportRun::read(dir.path(), "x".into());
        assert!(run.metrics.is_none() && run.history.is_empty());
        let text = run.problems.join("\n");
        assert!(text.contains("metrics.json is damaged"), "{text}");
        assert!(text.contains("config.json cannot be read"), "{text}");
        assert!(text.contains("history.csv"), "{text}");
        let gone = ReportRun::read(&dir.path().join("nothing"), "y".into());
        assert!(
            gone.problems[0].ends_with("is not a folder"),
            "{:?}",
            gone.problems
        );
    }
}
