//! `cyborg bench`: the benchmark workloads of `cyborg-bench` on every backend compiled in,
//! each workload in a fresh process, as one table (and a JSON file).

use std::path::PathBuf;
use std::process::Command;

use burn::prelude::Device;
use clap::Args;
use cyborg_bench::{Measurement, Workload, markdown_report, measure};

use crate::devices::{compiled_backends, device};
use crate::error::CliError;
use crate::progress::Progress;

/// Which workloads, on which backends, how often.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Backends to measure, comma-separated: flex, ndarray (feature `ndarray`), wgpu (the
    /// first discrete GPU), wgpu-cpu (wgpu on a software adapter), cuda; default: every one
    /// compiled in but wgpu-cpu. A backend followed by `+ckpt` (`flex+ckpt`) runs the loss and
    /// step workloads with Burn's gradient checkpointing, as `cyborg train
    /// --gradient-checkpointing` does.
    #[arg(long, value_delimiter = ',')]
    backends: Vec<String>,
    /// Only the workloads whose name contains this text (repeatable; any match counts).
    #[arg(long)]
    only: Vec<String>,
    /// Timed iterations after the first (default: 20 for the loss alone and the small CNN, 5
    /// for ResNet-18 and DenseNet-121).
    #[arg(long)]
    iters: Option<usize>,
    /// Threads for the CPU backends (RAYON_NUM_THREADS of each child; default: rayon's, all
    /// cores). Match PyTorch's `--threads` for a fair comparison.
    #[arg(long)]
    threads: Option<usize>,
    /// Write every measurement (with the PyTorch ones) to this JSON file, rewritten after each
    /// workload.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Measurements made earlier, shown as more columns: a file written by `python3
    /// scripts/bench_backends.py --json FILE` (PyTorch) or by `cyborg bench --json FILE` on
    /// another machine (repeatable).
    #[arg(long = "with", alias = "pytorch", value_name = "FILE")]
    with: Vec<PathBuf>,
    /// Measure nothing: print the tables of the --with files.
    #[arg(long, requires = "with")]
    report: bool,
    /// Print the workload names and exit.
    #[arg(long)]
    list: bool,
    /// Measure this one workload on the one backend of --backends in this process and print
    /// its JSON line (what each child process does).
    #[arg(long, hide = true)]
    one: Option<String>,
}

impl BenchArgs {
    /// Whether `--only` lets the workload called `name` through (any match counts).
    fn selects(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| name.contains(o.as_str()))
    }
}

/// Runs `cyborg bench`.
pub fn run(args: &BenchArgs) -> Result<(), CliError> {
    let workloads: Vec<Workload> = Workload::all()
        .into_iter()
        .filter(|w| args.selects(&w.to_string()))
        .collect();
    if args.list {
        for workload in &workloads {
            println!("{workload}");
        }
        return Ok(());
    }
    if args.iters == Some(0) {
        return Err(CliError::Usage("--iters must be at least 1".into()));
    }
    if args.threads == Some(0) {
        return Err(CliError::Usage("--threads must be at least 1".into()));
    }
    if let Some(name) = &args.one {
        return run_one(name, args);
    }
    // Read the earlier figures first: a bad file must not waste a long run.
    let mut earlier = Vec::new();
    for path in &args.with {
        earlier.extend(read_measurements(path)?);
    }
    earlier.retain(|m| args.selects(&m.workload));
    if args.report {
        print_report(&earlier);
        return Ok(());
    }
    if workloads.is_empty() {
        return Err(CliError::Usage(format!(
            "no workload matches --only {:?} (see cyborg bench --list)",
            args.only
        )));
    }
    let backends = if args.backends.is_empty() {
        compiled_backends().into_iter().map(String::from).collect()
    } else {
        args.backends.clone()
    };
    for backend in &backends {
        bench_device(backend)?; // an unknown backend fails before any work
    }
    let mut measurements = Vec::new();
    let mut failures = Vec::new();
    let total: usize = backends.iter().map(|b| runs(&workloads, b).count()).sum();
    let exe = std::env::current_exe().map_err(CliError::io("the cyborg executable"))?;
    let mut progress = Progress::new("bench");
    progress.update(0, total);
    for backend in &backends {
        for workload in runs(&workloads, backend) {
            let iters = args.iters.unwrap_or_else(|| workload.default_iterations());
            let current = format!(
                "[{}/{total}] {backend} {workload} ({iters} iterations)",
                measurements.len() + failures.len() + 1
            );
            progress.message(&current);
            let mut command = Command::new(&exe);
            if let Some(threads) = args.threads {
                command.env("RAYON_NUM_THREADS", threads.to_string());
            }
            let output = command
                .args([
                    "bench",
                    "--one",
                    &workload.to_string(),
                    "--backends",
                    backend,
                ])
                .args(["--iters", &iters.to_string()])
                .output()
                .map_err(CliError::io(&exe))?;
            let line = String::from_utf8_lossy(&output.stdout);
            let parsed = serde_json::from_str::<Measurement>(line.trim());
            match (output.status.success(), parsed) {
                (true, Ok(m)) => {
                    progress.println(&format!("{current}: {:.1} ms", m.median_ms));
                    measurements.push(m);
                    // Kept as they come, so a long run stopped half-way is not lost.
                    if let Some(path) = &args.json {
                        write(path, &measurements)?;
                    }
                }
                (success, parsed) => {
                    let stderr = String::from_utf8_lossy(&output.stderr);
                    let reason = match (success, parsed) {
                        (true, Err(error)) => format!("unreadable result ({error})"),
                        _ => format!("{} ({})", failure_reason(&stderr), output.status),
                    };
                    progress.println(&format!("{current}: failed: {reason}"));
                    failures.push(format!("{backend} {workload}: {reason}"));
                }
            }
            progress.update(measurements.len() + failures.len(), total);
        }
    }
    drop(progress);
    measurements.extend(earlier);
    print_report(&measurements);
    if let Some(path) = &args.json {
        write(path, &measurements)?;
        println!("wrote {}", path.display());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "{} workload(s) failed: {}",
            failures.len(),
            failures.join("; ")
        )))
    }
}

/// Prints the tables, or says there is nothing to table.
fn print_report(measurements: &[Measurement]) {
    if measurements.is_empty() {
        eprintln!("nothing was measured");
    } else {
        println!("\n{}", markdown_report(measurements));
    }
}

/// Measurements written by `scripts/bench_backends.py --json` (or `cyborg bench --json`).
fn read_measurements(path: &std::path::Path) -> Result<Vec<Measurement>, CliError> {
    let text = std::fs::read_to_string(path).map_err(CliError::io(path))?;
    parse_json_list(path, &text)
}

/// `text`, read from `path`, as a JSON list (of `cyborg bench` or `bench-epoch` figures); the
/// error names the file.
pub fn parse_json_list<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    text: &str,
) -> Result<Vec<T>, CliError> {
    serde_json::from_str(text).map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))
}

/// The line of a failed child's standard error that says why: a panic's message, else the
/// last line that is not a `note:`.
fn failure_reason(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let after_panic = lines
        .iter()
        .position(|l| l.contains("panicked at"))
        .and_then(|i| lines.get(i + 1));
    after_panic
        .or_else(|| lines.iter().rev().find(|l| !l.starts_with("note:")))
        .map_or_else(|| "no output".to_string(), |l| l.to_string())
}

fn write(path: &std::path::Path, measurements: &[Measurement]) -> Result<(), CliError> {
    cyborg_train::write_json(path, &measurements).map_err(|e| CliError::Train(Box::new(e)))
}

/// The suffix of a backend name that turns on gradient checkpointing.
const CHECKPOINTING: &str = "+ckpt";

/// The workloads to run on `backend`: all, but inference with checkpointing, which changes
/// nothing without a backward pass.
fn runs<'a>(workloads: &'a [Workload], backend: &'a str) -> impl Iterator<Item = &'a Workload> {
    workloads.iter().filter(move |w| {
        !(backend.ends_with(CHECKPOINTING) && matches!(w, Workload::Inference { .. }))
    })
}

/// The device of a `--backends` entry: a backend name, with [`CHECKPOINTING`] its autodiff
/// device with Burn's balanced gradient checkpointing.
fn bench_device(backend: &str) -> Result<Device, CliError> {
    match backend.strip_suffix(CHECKPOINTING) {
        Some(name) => Ok(device(name)?.autodiff().gradient_checkpointing()),
        None => device(backend),
    }
}

/// Measures one workload in this process and prints its JSON line.
fn run_one(name: &str, args: &BenchArgs) -> Result<(), CliError> {
    let workload = Workload::from_name(name).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown workload {name:?} (see cyborg bench --list)"
        ))
    })?;
    let [backend] = args.backends.as_slice() else {
        return Err(CliError::Usage(
            "--one needs exactly one backend in --backends".into(),
        ));
    };
    let device = bench_device(backend)?;
    let iters = args.iters.unwrap_or_else(|| workload.default_iterations());
    let mut m = measure(&workload, &device, backend, iters)
        .map_err(|e| CliError::Usage(format!("{backend} {workload}: {e}")))?;
    m.machine = machine(backend);
    println!(
        "{}",
        serde_json::to_string(&m).expect("plain data serialises to JSON")
    );
    Ok(())
}

/// The CPU, its SIMD extensions and, on flex, the level of the `cyborg-ops` kernels
/// (`CYBORG_SIMD` may hold it below the CPU's): what a figure measured on `backend` is
/// reported with.
pub fn machine(backend: &str) -> String {
    let cpu = cyborg_bench::cpu_description();
    #[cfg(feature = "flex")]
    if backend.starts_with("flex") {
        return format!("{cpu}; kernels {}", cyborg_ops::simd_level());
    }
    let _ = backend;
    cpu
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_of_a_failed_child() {
        let panic = "thread 'main' panicked at src/x.rs:3:5:\nNo adapter found\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(failure_reason(panic), "No adapter found");
        assert_eq!(
            failure_reason("cyborg: --backends \"tpu\"\n"),
            "cyborg: --backends \"tpu\""
        );
        assert_eq!(failure_reason("note: only a note\n"), "no output");
        assert_eq!(failure_reason(""), "no output");
    }

    #[test]
    fn a_ckpt_suffix_turns_on_gradient_checkpointing() {
        use burn::tensor::GradientCheckpointingStrategy;
        assert_eq!(
            bench_device("flex+ckpt")
                .unwrap()
                .gradient_checkpointing_strategy(),
            Some(GradientCheckpointingStrategy::Balanced)
        );
        assert_eq!(
            bench_device("flex")
                .unwrap()
                .gradient_checkpointing_strategy(),
            None
        );
        assert!(bench_device("tpu+ckpt").is_err());
    }
}
