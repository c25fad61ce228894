//! Progress on long loops, on standard error: on a terminal an `indicatif` bar with the rate
//! and the time left, redrawn in place; otherwise (logs, CI) plain lines, at most one per
//! tenth of the work.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use cyborg_train::{HistoryRow, TrainingProgress};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};

/// The bar's look: label, bar, count, rate, elapsed and estimated time left.
const TEMPLATE: &str = "{prefix} [{bar:25}] {pos}/{len} {rate}, {elapsed} elapsed, ETA {eta} {msg}";

/// A bar for `total` items labelled `label`, drawing at most 10 times a second.
fn bar(label: &str, total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64).with_prefix(label.to_string());
    bar.set_style(
        ProgressStyle::with_template(TEMPLATE)
            .expect("the template is valid")
            .with_key(
                "rate",
                |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{:.1}/s", state.per_sec());
                },
            )
            .progress_chars("#>-"),
    );
    bar.enable_steady_tick(Duration::from_millis(500));
    bar
}

/// Reports `done / total` of one task.
pub struct Progress {
    label: String,
    output: Output,
}

/// Where a [`Progress`] goes.
enum Output {
    /// A bar, created at the first update (when the total is known).
    Terminal(Option<ProgressBar>),
    /// Plain lines: the last tenth reported, and when the task began.
    Lines { last_tenth: usize, start: Instant },
}

impl Output {
    fn for_stderr() -> Self {
        if std::io::stderr().is_terminal() {
            Output::Terminal(None)
        } else {
            Output::Lines {
                last_tenth: 0,
                start: Instant::now(),
            }
        }
    }
}

impl Progress {
    /// A progress report for `label` (e.g. `"test.csv"`).
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            output: Output::for_stderr(),
        }
    }

    /// Records that `done` of `total` items are finished.
    pub fn update(&mut self, done: usize, total: usize) {
        match &mut self.output {
            Output::Terminal(bar) => {
                let bar = bar.get_or_insert_with(|| self::bar(&self.label, total));
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                if done >= total && !bar.is_finished() {
                    // The finished task as one plain line, the cursor below it.
                    bar.finish_and_clear();
                    let elapsed = bar.elapsed().as_secs_f32();
                    eprintln!("{}: {done}/{total} ({elapsed:.0}s)", self.label);
                }
            }
            Output::Lines { last_tenth, start } => {
                let total = total.max(1);
                let tenth = 10 * done / total;
                if tenth > *last_tenth || done >= total {
                    *last_tenth = tenth;
                    let elapsed = start.elapsed().as_secs_f32();
                    eprintln!("{}: {done}/{total} ({elapsed:.0}s)", self.label);
                }
            }
        }
    }

    /// Shows `text` beside the bar as the item in progress (nothing off a terminal).
    pub fn message(&self, text: &str) {
        if let Output::Terminal(Some(bar)) = &self.output {
            bar.set_message(text.to_string());
        }
    }

    /// Prints `line` above the bar (or as a plain line).
    pub fn println(&self, line: &str) {
        match &self.output {
            Output::Terminal(Some(bar)) => bar.println(line),
            _ => eprintln!("{line}"),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Output::Terminal(Some(bar)) = &self.output
            && !bar.is_finished()
        {
            bar.abandon();
        }
    }
}

/// Training's progress for `cyborg train`: a bar per epoch and split on a terminal, and each
/// split's summary line (also the only output off a terminal).
pub struct TrainingBars {
    terminal: bool,
    bar: Option<ProgressBar>,
}

impl TrainingBars {
    /// Bars when standard error is a terminal, summary lines only otherwise.
    pub fn new() -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
            bar: None,
        }
    }
}

impl TrainingProgress for TrainingBars {
    fn start(&mut self, first: usize, last: usize) {
        eprintln!("training epochs {first}..={last}");
    }

    fn start_split(&mut self, epoch: usize, split: &str, items: usize) {
        if self.terminal {
            self.bar = Some(bar(&format!("epoch {epoch} {split:<5}"), items));
        }
    }

    fn update(&mut self, done: usize) {
        if let Some(bar) = &self.bar {
            bar.set_position(done as u64);
        }
    }

    fn end_split(&mut self, summary: &str, _row: &HistoryRow) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        eprintln!("{summary}");
    }
}
