//! The training log: burn-train's metrics turned into one summary line per epoch and split
//! for a [`TrainingProgress`], batch counts for its progress display, and with a history
//! file the same as a row of `history.csv`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use burn::train::LearnerSummary;
use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::{MetricDefinition, MetricId};
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};

use crate::progress::training_progress::SharedProgress;
use crate::run_folder::history::{History, HistoryRow};

/// Reports progress and per-epoch metrics to a [`TrainingProgress`](crate::TrainingProgress)
/// (by default [`LogProgress`](crate::LogProgress): `tracing`).
pub struct EpochLog {
    names: HashMap<MetricId, String>,
    order: Vec<MetricId>,
    latest: HashMap<MetricId, f64>,
    split: String,
    epoch: usize,
    epochs: usize,
    start: Instant,
    split_start: Instant,
    history_path: Option<PathBuf>,
    history: Option<History>,
    progress: SharedProgress,
}

impl EpochLog {
    /// A log that reports to [`LogProgress`](crate::LogProgress).
    pub fn new() -> Self {
        Self {
            names: HashMap::new(),
            order: Vec::new(),
            latest: HashMap::new(),
            split: String::new(),
            epoch: 1,
            epochs: 0,
            start: Instant::now(),
            split_start: Instant::now(),
            history_path: None,
            history: None,
            progress: SharedProgress::default(),
        }
    }

    /// Reports to `progress` instead.
    pub fn with_progress(mut self, progress: SharedProgress) -> Self {
        self.progress = progress;
        self
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
            // Milliseconds, as history.csv keeps them.
            seconds: (self.split_start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
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
        self.progress.lock().start(self.epoch, total_epochs);
        if let Some(path) = &self.history_path {
            match History::start(path.clone(), self.epoch) {
                Ok(history) => self.history = Some(history),
                Err(error) => tracing::warn!("{}: {error}; no history is kept", path.display()),
            }
        }
    }

    fn update_epoch(&mut self, epoch: usize) {
        self.epoch = epoch + 1;
    }

    fn start_split(&mut self, split: &str, total_items: usize) {
        self.split = split.to_string();
        self.latest.clear();
        self.split_start = Instant::now();
        self.progress
            .lock()
            .start_split(self.epoch, split, total_items);
    }

    fn update_split(&mut self, items_processed: usize) {
        self.progress.lock().update(items_processed);
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
        let summary = format!(
            "epoch {}/{} {:<5} {}   ({:.0} s)",
            self.epoch,
            self.epochs,
            self.split,
            values.join(", "),
            self.start.elapsed().as_secs_f32()
        );
        let row = self.history_row();
        self.progress.lock().end_split(&summary, &row);
        if let Some(history) = &self.history
            && let Err(error) = history.append(&row)
        {
            tracing::warn!("history.csv: {error}; this epoch's row is missing");
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
