//! Progress on long loops: a bar redrawn in place on a terminal, a plain line every 10 %
//! otherwise (logs, CI).

use std::io::{IsTerminal, Write};
use std::time::Instant;

/// Reports `done / total` for one task on standard error.
pub struct Progress {
    label: String,
    terminal: bool,
    last_tenth: usize,
    start: Instant,
}

impl Progress {
    /// A progress report for `label` (e.g. `"test.csv"`).
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            terminal: std::io::stderr().is_terminal(),
            last_tenth: 0,
            start: Instant::now(),
        }
    }

    /// Records that `done` of `total` items are finished.
    pub fn update(&mut self, done: usize, total: usize) {
        let total = total.max(1);
        let elapsed = self.start.elapsed().as_secs_f32();
        let mut err = std::io::stderr().lock();
        if self.terminal {
            const WIDTH: usize = 30;
            let filled = WIDTH * done / total;
            let _ = write!(
                err,
                "\r{} [{}{}] {done}/{total} {elapsed:.0}s",
                self.label,
                "#".repeat(filled),
                " ".repeat(WIDTH - filled)
            );
            if done >= total {
                let _ = writeln!(err);
            }
        } else {
            let tenth = 10 * done / total;
            if tenth > self.last_tenth || done >= total {
                self.last_tenth = tenth;
                let _ = writeln!(err, "{}: {done}/{total} ({elapsed:.0}s)", self.label);
            }
        }
    }
}
