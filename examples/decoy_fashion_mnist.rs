//! cargo run --release --example decoy_fashion_mnist
//!
//! Decoy Fashion-MNIST, real data: cross-entropy vs CYBORG vs the masked raw-CAM loss, and the
//! ceiling (cross-entropy on the same images without decoys), over several seeds.
//!
//! The decoy (Ross, Hughes and Doshi-Velez, *Right for the Right Reasons*, 2017): a 4×4 patch
//! in a random corner whose gray level is `255 − 25·label` in the training and validation
//! images, a shortcut, and random in the test images. The human map is the garment (pixels ≥ 32,
//! dilated and blurred by one pixel), never the patch (`cyborg::data::DecoyConfig`). The small
//! CNN of `cyborg-models` is trained with `cyborg::train::Run` (Adam 0.005, batch 64,
//! best validation accuracy) and tested twice: on decoy test images (random levels) and on the
//! same images without a patch.
//!
//! Reads the IDX files of Debian's `dataset-fashion-mnist` package
//! (`apt-get install dataset-fashion-mnist`; `/usr/share/datasets/fashion-mnist`). Writes the
//! datasets, run folders and `results.json` under `target/decoy_fashion_mnist/`, and prints the
//! table recorded in `docs/results.md`. About 25 minutes on two CPU cores with the defaults.
//!
//! Flags (`-- --help` lists them): --data DIR (the IDX folder), --train N (training images,
//! default 4000; the next 1000 of the training file validate), --test N (test images, default
//! 2000), --epochs N (default 4), --seeds N (default 3), --out DIR.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use burn::prelude::*;
use clap::{Parser, ValueEnum};
use cyborg::data::{DecoyConfig, DecoyPatch, MnistFiles};
use cyborg::models::{Backbone, SmallCnnConfig};
use cyborg::train::{
    CLEAN_TEST, DECOY_TEST, DecoyTaskConfig, ExperimentReport, Run, SaliencyLossConfig,
    TrainingConfig, decoy_experiments, feature_grid, mean_and_std, write_json,
};
use serde::Serialize;

const VALIDATION: usize = 1000;

/// Decoy Fashion-MNIST: cross-entropy vs CYBORG vs the masked loss, and the clean ceiling.
#[derive(Debug, Parser)]
struct Args {
    /// The folder of the Fashion-MNIST IDX files.
    #[arg(long, default_value = "/usr/share/datasets/fashion-mnist")]
    data: PathBuf,
    /// Training images (the next 1000 of the training file validate).
    #[arg(long, default_value_t = 4000, value_parser = positive)]
    train: usize,
    /// Test images.
    #[arg(long, default_value_t = 2000, value_parser = positive)]
    test: usize,
    /// Epochs per run.
    #[arg(long, default_value_t = 4, value_parser = positive)]
    epochs: usize,
    /// Seeds per method.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    seeds: u64,
    /// What the decoy patch shows: a gray level coding the class (Ross et al.), or a class
    /// texture (a shortcut a CNN reads).
    #[arg(long, value_enum, default_value_t = Patch::Level)]
    patch: Patch,
    /// Channels of the CNN's first stage.
    #[arg(long, default_value_t = 16, value_parser = positive)]
    width: usize,
    /// Where the datasets, run folders and results.json go.
    #[arg(long, default_value = "target/decoy_fashion_mnist")]
    out: PathBuf,
}

/// What the decoy patch shows (`cyborg::data::DecoyPatch`).
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Patch {
    /// A gray level, `255 − 25·label`.
    Level,
    /// A black-and-white texture per class.
    Texture,
}

/// A count of at least one.
fn positive(value: &str) -> Result<usize, String> {
    value
        .parse::<usize>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("a positive number, got {value:?}"))
}

#[path = "support/logging.rs"]
mod logging;

fn main() -> ExitCode {
    logging::show_logs();
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("decoy_fashion_mnist: {error}");
            ExitCode::FAILURE
        }
    }
}

/// One row of the table: a loss, and the data it trains on.
struct Method {
    name: &'static str,
    loss: SaliencyLossConfig,
    /// Whether it trains and validates on the images without decoys (the ceiling).
    clean: bool,
}

/// What `results.json` holds for one method.
#[derive(Serialize)]
struct MethodResults {
    loss: SaliencyLossConfig,
    clean_training: bool,
    runs: Vec<ExperimentReport>,
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    if !args.data.join("train-images-idx3-ubyte.gz").is_file() {
        return Err(format!(
            "no Fashion-MNIST under {} (apt-get install dataset-fashion-mnist, or --data DIR)",
            args.data.display()
        )
        .into());
    }
    let files = MnistFiles::read(&args.data)?;
    let device = Device::flex();
    let cnn = SmallCnnConfig::new(10).with_width(args.width);
    let build = |device: &Device| Backbone::SmallCnn(cnn.init(device));
    let grid = feature_grid(&build(&device), [1, 28, 28], &device);
    let patch = match args.patch {
        Patch::Level => DecoyPatch::Level,
        Patch::Texture => DecoyPatch::Texture { classes: 10 },
    };
    let task = DecoyTaskConfig::new()
        .with_train_size(args.train)
        .with_validation_size(VALIDATION)
        .with_test_size(args.test)
        .with_decoy(DecoyConfig::new().with_patch(patch));
    // The datasets, written once in the manifest layout; seeds vary the training only.
    let data = args.out.join("data");
    eprintln!("writing the datasets under {}…", data.display());
    let experiments = decoy_experiments(&files, &task, &data, grid)?;

    let methods = [
        Method {
            name: "cross-entropy",
            loss: SaliencyLossConfig::cyborg(1.0),
            clean: false,
        },
        Method {
            name: "CYBORG (α = 0.5)",
            loss: SaliencyLossConfig::cyborg(0.5),
            clean: false,
        },
        Method {
            name: "masked CAM (λ = 1)",
            loss: SaliencyLossConfig::masked(1.0),
            clean: false,
        },
        Method {
            name: "ceiling: cross-entropy, no decoys",
            loss: SaliencyLossConfig::cyborg(1.0),
            clean: true,
        },
    ];
    let mut results = BTreeMap::new();
    for (index, method) in methods.iter().enumerate() {
        let experiment = if method.clean {
            &experiments.clean
        } else {
            &experiments.decoy
        };
        let mut runs = Vec::new();
        for seed in 0..args.seeds {
            eprintln!("\n{} — seed {seed}", method.name);
            let recipe = TrainingConfig::from_scratch()
                .with_loss(method.loss.clone())
                .with_batch_size(64)
                .with_epochs(args.epochs)
                .with_seed(seed);
            let dir = args.out.join(format!("runs/{index}-seed{seed}"));
            runs.push(
                Run::new(recipe, dir)
                    .on(device.clone())
                    .experiment(build, experiment.clone())?,
            );
        }
        results.insert(
            method.name,
            MethodResults {
                loss: method.loss.clone(),
                clean_training: method.clean,
                runs,
            },
        );
    }
    write_json(&args.out.join("results.json"), &results)?;

    println!(
        "\nDecoy Fashion-MNIST, small CNN, {} training images, {} epochs, {} seeds \
         (mean ± std), {:.0} min in all:\n",
        args.train,
        args.epochs,
        args.seeds,
        start.elapsed().as_secs_f32() / 60.0
    );
    println!(
        "| method | validation accuracy | decoy test accuracy | clean test accuracy | CAM mass on the garment (decoy test) |"
    );
    println!("|---|---|---|---|---|");
    let accuracy = |m: &MethodResults, set: &str| -> Vec<f64> {
        m.runs.iter().map(|r| r.test[set].accuracy).collect()
    };
    for method in &methods {
        let m = &results[method.name];
        let decoy = accuracy(m, DECOY_TEST);
        let mass: Option<Vec<f64>> = m
            .runs
            .iter()
            .map(|r| r.test[DECOY_TEST].cam_mass_inside)
            .collect();
        let val: Vec<f64> = m.runs.iter().map(|r| r.val.accuracy).collect();
        println!(
            "| {} | {} | {} | {} | {} |",
            method.name,
            mean_std(&val),
            mean_std(&decoy),
            mean_std(&accuracy(m, CLEAN_TEST)),
            mass.map_or("—".into(), |v| mean_std(&v)),
        );
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let floor = mean(&accuracy(&results["cross-entropy"], DECOY_TEST));
    let ceiling = mean(&accuracy(
        &results["ceiling: cross-entropy, no decoys"],
        DECOY_TEST,
    ));
    println!(
        "\nThe gap the decoy opens on the decoy test (ceiling − cross-entropy): {:+.3}. A method \
         closes (its accuracy − cross-entropy's) / gap of it, which means something only where \
         the gap is well above the spread over seeds.",
        ceiling - floor
    );
    println!("\nwrote {}", args.out.join("results.json").display());
    Ok(())
}

/// `mean ± std` (sample standard deviation).
fn mean_std(values: &[f64]) -> String {
    let (mean, std) = mean_and_std(values);
    format!("{mean:.3} ± {std:.3}")
}
