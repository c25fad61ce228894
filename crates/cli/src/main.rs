//! The `cyborg` command.
//!
//! ```text
//! cyborg train --model resnet50 --weights resnet50.pth --train train.csv --val val.csv --test test.csv --out runs/cyborg
//! cyborg eval --model resnet50 --checkpoint best.bpk --test test.csv --out runs/eval
//! cyborg cam  --model resnet50 --checkpoint best.bpk --manifest test.csv --methods all
//! cyborg annotate --manifest train.csv --out annotations
//! cyborg maps --manifest train.csv --boxes boxes.csv --out with-maps
//! cyborg maps --merge annotations/maps/* --out merged
//! cyborg plot --run runs/cyborg
//! cyborg report runs/ce runs/cyborg --out report.html
//! cyborg predict --run runs/cyborg photos/ --out predictions.csv
//! cyborg export --run runs/cyborg --to model.safetensors
//! cyborg bench --with pytorch.json --json bench.json
//! cyborg bench-epoch --model resnet18 --data /tmp/epoch-data --workers 2 --json epoch.json
//! ```
//!
//! A flag clap refuses (unknown, missing, or a value outside its possible values, which
//! `--help` lists for every enum-like flag) exits with status 2 and clap's message; errors in
//! values or data found later print one line and exit with status 1.

// The crate's only unsafe code: two calls setting and reading mimalloc's options.
#[allow(unsafe_code)]
mod allocator;
mod annotate;
mod bench;
mod bench_epoch;
mod cam;
mod choices;
mod devices;
mod error;
mod eval;
mod export;
mod faithfulness;
mod images;
mod maps;
mod model;
mod output;
mod plot;
mod predict;
mod progress;
mod report;
mod test_names;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Train image classifiers whose attention follows human saliency (CYBORG), evaluate them and
/// look at their Class Activation Maps.
#[derive(Debug, Parser)]
#[command(name = "cyborg", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train with the CYBORG loss (the paper's recipe by default), keep the best model by
    /// validation accuracy, evaluate it on the validation and test manifests.
    Train(Box<train::TrainArgs>),
    /// Accuracy, ROC AUC and CAM agreement with human maps on manifest CSVs.
    Eval(eval::EvalArgs),
    /// CAM-family heatmaps for the images of a manifest or a folder, as PNG grids.
    Cam(cam::CamArgs),
    /// Which CAM method is most faithful to a model: ROAD and the confidence drop per method
    /// on a test manifest, with intervals over its images.
    Faithfulness(faithfulness::FaithfulnessArgs),
    /// Draw human maps in the browser (a local web page), saved with a manifest that
    /// `cyborg train` reads.
    Annotate(annotate::AnnotateArgs),
    /// Human maps from bounding boxes or eye-tracking fixations, as float .npy maps and a
    /// manifest that points at them; or several annotators' maps merged, with their agreement.
    Maps(maps::MapsArgs),
    /// One self-contained HTML page comparing runs: results side by side, learning and ROC
    /// curves, recipes, and the same test images' CAMs through each run's best model.
    Report(report::ReportArgs),
    /// Redraw a run folder's pictures (curves.png, roc-<set>.png) from its files alone.
    Plot(plot::PlotArgs),
    /// The predicted class and class probabilities of a trained run's model, per image.
    Predict(predict::PredictArgs),
    /// A trained model's weights as a PyTorch-layout safetensors file (torchvision loads it).
    Export(export::ExportArgs),
    /// Time and peak memory of the loss alone, training steps (cross-entropy and CYBORG) and
    /// inference, on every backend compiled in: one table, optionally beside PyTorch's.
    Bench(bench::BenchArgs),
    /// Images per second and peak memory of whole training epochs as `cyborg train` runs them
    /// (decoding, resizing and batching included), on a folder of generated images with human
    /// maps; `scripts/bench_epoch.py` is PyTorch's side.
    BenchEpoch(bench_epoch::BenchEpochArgs),
}

fn main() -> ExitCode {
    allocator::keep_freed_memory();
    allocator::no_transparent_huge_pages();
    // The library crates' `tracing` warnings as plain lines; `RUST_LOG` chooses more or less.
    cyborg_train::show_logs("warn");
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Train(args) => train::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Cam(args) => cam::run(args),
        Command::Faithfulness(args) => faithfulness::run(args),
        Command::Annotate(args) => annotate::run(args),
        Command::Maps(args) => maps::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Report(args) => report::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Export(args) => export::run(args),
        Command::Bench(args) => bench::run(args),
        Command::BenchEpoch(args) => bench_epoch::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cyborg: {error}");
            ExitCode::FAILURE
        }
    }
}
