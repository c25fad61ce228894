//! Run with: `cargo run --release --example model_memory -- [resnet18|densenet121] [forward|forward_backward] [batch]`
//!
//! Peak resident memory of one benchmark workload of [`cyborg::bench`] (default: every model
//! and mode at batch 16, each in a fresh process so one does not inherit another's heap):
//! how far the process's peak RSS rises above its RSS before the model is built (weights,
//! activations, gradients and allocator slack), across one warm-up and three timed
//! iterations, with the median time of those three. Compare with
//! `python3 scripts/bench_models.py`, which measures PyTorch the same way.

use std::process::Command;
use std::time::Instant;

use cyborg::bench::{Mode, Model, Workload, memory, reset_peak_memory};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        // Every workload, each in its own process.
        let exe = std::env::current_exe().expect("own path");
        println!(
            "{:<12} {:<17} {:>5} {:>12} {:>14}",
            "model", "mode", "batch", "median ms", "peak MiB"
        );
        for model in Model::ALL {
            for mode in Mode::ALL {
                let status = Command::new(&exe)
                    .args([model.name(), mode.name(), "16"])
                    .status()
                    .expect("run a workload");
                assert!(status.success(), "{} {} failed", model.name(), mode.name());
            }
        }
        return;
    }
    let usage = "usage: model_memory [resnet18|densenet121] [forward|forward_backward] [batch]";
    let model = args.first().and_then(|name| Model::from_name(name));
    let mode = args.get(1).and_then(|name| Mode::from_name(name));
    let batch = args.get(2).map_or(Some(16), |b| b.parse::<usize>().ok());
    let (Some(model), Some(mode), Some(batch)) = (model, mode, batch) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let (before, _) = memory().expect("/proc/self/status (Linux only)");
    assert!(
        reset_peak_memory(),
        "cannot reset the peak RSS (/proc/self/clear_refs)"
    );
    let workload = Workload::new(model, mode, batch);
    workload.run();
    let mut times: Vec<f64> = (0..3)
        .map(|_| {
            let start = Instant::now();
            workload.run();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let (_, peak) = memory().expect("/proc/self/status");
    let mib = (peak.saturating_sub(before)) as f64 / (1024.0 * 1024.0);
    println!(
        "{:<12} {:<17} {:>5} {:>12.0} {:>14.0}",
        model.name(),
        mode.name(),
        batch,
        times[1],
        mib
    );
}
