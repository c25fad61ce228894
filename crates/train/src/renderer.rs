//! The training log: one line per epoch and split with every metric, and on a terminal a
//! progress line redrawn in place during each split; with a history file, the same as a row
//! of `history.csv`.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use burn::train::LearnerSummary;
use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::{MetricDefinition, MetricId};
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};

use crate::history::{History, HistoryRow};

/// Prints progress and per-epoch metrics to standard error.
pub struct EpochLog {
    names: HashMap<MetricId, String>,
    order: Vec<MetricId>,
    latest: HashMap<MetricId, f64>,
    split: String,
    epoch: usize,
    epochs: usize,
    total: usize,
    terminal: bool,
    start: Instant,
    split_start: Instant,
    history_path: Option<PathBuf>,
    history: Option<History>,
}

impl EpochLog {
    /// A log that draws a progress line when standard error is a terminal.
    pub fn new() -> Self {
        Self {
            names: HashMap::new(),
            order: Vec::new(),
            latest: HashMap::new(),
            split: String::new(),
            epoch: 1,
            epochs: 0,
            total: 0,
            terminal: std::io::stderr().is_terminal(),
            start: Instant::now(),
            split_start: Instant::now(),
            history_path: None,
            history: None,
        }
    }

    /// Also writes each epoch's metrics to `path` (`history.csv`): kept for the epochs
    /// before the one training starts at, appended after each split.
    pub fn with_history(mut self, path: PathBuf) -> Self {
        self.history_path = Some(path);
        self
    }

    /// The row of the split that just ended, from the metrics' names.
    fn history_row(&self) -> HistoryRow {
        let value = |wanted: &dyn Fn(&str) -> bool| {
            self.order
                .iter()
                .find(|id| wanted(&self.names[*id]))
                .and_then(|id| self.latest.get(id).copied())
        };
        let percent = |v: f64| v / 100.0;
        HistoryRow {
            epoch: self.epoch,
            split: self.split.clone(),
            loss: value(&|n| n == "Loss"),
            cross_entropy: value(&|n| n == "Cross-entropy"),
            saliency: value(&|n| n == "Saliency"),
            accuracy: value(&|n| n == "Accuracy").map(percent),
            auc: value(&|n| n.starts_with("AUROC")).map(percent),
            learning_rate: value(&|n| n == "Learning Rate"),
            seconds: self.split_start.elapsed().as_secs_f64(),
        }
    }

    fn record(&mut self, state: MetricState) {
        if let MetricState::Numeric(entry, Some(value)) = state {
            self.latest.insert(entry.metric_id, value.current());
        }
    }
}

impl Default for EpochLog {
    fn default() -> Self {
        Self::new()
    }
}

impl MetricsRendererTraining for EpochLog {
    fn update_train(&mut self, state: MetricState) {
        self.record(state);
    }

    fn update_valid(&mut self, state: MetricState) {
        self.record(state);
    }

    fn on_train_end(
        &mut self,
        _summary: Option<LearnerSummary>,
    ) -> Result<(), Box<dyn core::error::Error>> {
        Ok(())
    }
}

impl TrainingProgressLogger for EpochLog {
    fn start(
        &mut self,
        total_epochs: usize,
        starting_epoch: usize,
        _: Option<usize>,
        _: Option<&str>,
    ) {
        self.epochs = total_epochs;
        self.epoch = starting_epoch.max(1);
        eprintln!("training epochs {}..={total_epochs}", self.epoch);
        if let Some(path) = &self.history_path {
            match History::start(path.clone(), self.epoch) {
                Ok(history) => self.history = Some(history),
                Err(error) => eprintln!("{}: {error}; no history is kept", path.display()),
            }
        }
    }

    fn update_epoch(&mut self, epoch: usize) {
        self.epoch = epoch + 1;
    }

    fn start_split(&mut self, split: &str, total_items: usize) {
        self.split = split.to_string();
        self.total = total_items;
        self.latest.clear();
        self.split_start = Instant::now();
    }

    fn update_split(&mut self, items_processed: usize) {
        if self.terminal {
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\repoch {}/{} {} {items_processed}/{} ({:.0} s)   ",
                self.epoch,
                self.epochs,
                self.split,
                self.total,
                self.start.elapsed().as_secs_f32()
            );
            let _ = err.flush();
        }
    }

    fn end_split(&mut self) {
        let values: Vec<String> = self
            .order
            .iter()
            .filter_map(|id| {
                let value = self.latest.get(id)?;
                Some(format!("{} {value:.4}", self.names[id]))
            })
            .collect();
        let clear = if self.terminal { "\r" } else { "" };
        eprintln!(
            "{clear}epoch {}/{} {:<5} {}   ({:.0} s)",
            self.epoch,
            self.epochs,
            self.split,
            values.join(", "),
            self.start.elapsed().as_secs_f32()
        );
        if let Some(history) = &self.history
            && let Err(error) = history.append(&self.history_row())
        {
            eprintln!("history.csv: {error}; this epoch's row is missing");
        }
    }

    fn end(&mut self) {}

    fn log_event_training(&mut self, _event: String) {}
}

impl MetricsRendererEvaluation for EpochLog {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}
}

impl EvaluationProgressLogger for EpochLog {
    fn start_global_progress(&mut self, _total_tests: usize) {}
    fn start_test(&mut self, _name: &str, _total_items: usize) {}
    fn update_test_progress(&mut self, _items_processed: usize) {}
    fn end_test(&mut self) {}
    fn end_global_progress(&mut self) {}
    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRenderer for EpochLog {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, definition: MetricDefinition) {
        if !self.names.contains_key(&definition.metric_id) {
            self.order.push(definition.metric_id.clone());
        }
        self.names
            .insert(definition.metric_id, definition.name.to_string());
    }
}
