//! What training reports as it goes ([`TrainingProgress`]), for whatever shows it: the
//! `cyborg` command's progress bars, a GUI, a test. The default, [`LogProgress`], sends each
//! split's summary line to `tracing`.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::run_folder::history::HistoryRow;

/// Receives training's progress: one pass (split) at a time, batch by batch. Every method
/// has an empty default, so an implementation takes what it shows.
///
/// The calls come in this order: [`start`](Self::start) once, then for each epoch and split
/// [`start_split`](Self::start_split), [`update`](Self::update) any number of times and
/// [`end_split`](Self::end_split).
pub trait TrainingProgress: Send {
    /// Training runs epochs `first..=last` (`first > 1` when resuming).
    fn start(&mut self, first: usize, last: usize) {
        let _ = (first, last);
    }

    /// A pass over `split` (`train` or `valid`) of `epoch` (from 1) begins; it has `items`
    /// items (burn-train counts images, or batches with several devices).
    fn start_split(&mut self, epoch: usize, split: &str, items: usize) {
        let _ = (epoch, split, items);
    }

    /// `done` of the split's items are processed.
    fn update(&mut self, done: usize) {
        let _ = done;
    }

    /// The split ended: `summary` is its one-line report (`epoch 3/10 train  Loss 0.4121,
    /// …   (12 s)`), `row` its figures as `history.csv` records them.
    fn end_split(&mut self, summary: &str, row: &HistoryRow) {
        let _ = (summary, row);
    }
}

/// The default [`TrainingProgress`]: each split's summary line as a `tracing` event at the
/// `INFO` level (target `cyborg_train::progress`), nothing per batch. Install a subscriber
/// (`tracing_subscriber::fmt::init()`) to see them.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogProgress;

impl TrainingProgress for LogProgress {
    fn start(&mut self, first: usize, last: usize) {
        tracing::info!("training epochs {first}..={last}");
    }

    fn end_split(&mut self, summary: &str, _row: &HistoryRow) {
        tracing::info!("{summary}");
    }
}

/// A [`TrainingProgress`] shared between a [`Run`](crate::Run) (which is `Clone`) and the
/// training loop that calls it.
#[derive(Clone)]
pub struct SharedProgress(Arc<Mutex<Box<dyn TrainingProgress>>>);

impl SharedProgress {
    /// Shares `progress`.
    pub fn new(progress: impl TrainingProgress + 'static) -> Self {
        Self(Arc::new(Mutex::new(Box::new(progress))))
    }

    /// The progress receiver (a panic while it was held does not poison it for the next
    /// call: progress is display only).
    pub fn lock(&self) -> MutexGuard<'_, Box<dyn TrainingProgress>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for SharedProgress {
    fn default() -> Self {
        Self::new(LogProgress)
    }
}

impl fmt::Debug for SharedProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedProgress")
    }
}
