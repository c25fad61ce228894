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
use clap::Parser;
use cyborg::data::{DecoyConfig, DecoySplit, IdxArray, ImageConfig, Normalization, read_idx};
use cyborg::models::Architecture;
use cyborg::train::{
    Experiment, ExperimentReport, Run, SaliencyLossConfig, TrainingConfig, feature_grid,
    mean_and_std, write_json,
};
use serde::Serialize;

const VALIDATION: usize = 1000;
const DECOY_TEST: &str = "decoy test";
const CLEAN_TEST: &str = "clean test";

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
    /// Where the datasets, run folders and results.json go.
    #[arg(long, default_value = "target/decoy_fashion_mnist")]
    out: PathBuf,
}

/// A count of at least one.
fn positive(value: &str) -> Result<usize, String> {
    value
        .parse::<usize>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("a positive number, got {value:?}"))
}

fn main() -> ExitCode {
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
    let file = |name: &str| args.data.join(name);
    if !file("train-images-idx3-ubyte.gz").is_file() {
        return Err(format!(
            "no Fashion-MNIST under {} (apt-get install dataset-fashion-mnist, or --data DIR)",
            args.data.display()
        )
        .into());
    }
    let train_images = read_idx(file("train-images-idx3-ubyte.gz"))?;
    let train_labels = read_idx(file("train-labels-idx1-ubyte.gz"))?;
    let test_images = read_idx(file("t10k-images-idx3-ubyte.gz"))?;
    let test_labels = read_idx(file("t10k-labels-idx1-ubyte.gz"))?;
    let available = train_images.dims[0];
    if args.train + VALIDATION > available || args.test > test_images.dims[0] {
        return Err(format!(
            "--train {} (+{VALIDATION} validation) and --test {} ask for more than the files \
             hold ({available} and {})",
            args.train, args.test, test_images.dims[0]
        )
        .into());
    }

    // The datasets, written once in the manifest layout; seeds vary the training only.
    let data = args.out.join("data");
    let decoy = DecoyConfig::new();
    let clean = DecoyConfig::new().with_patch_size(0);
    let write = |config: &DecoyConfig, (images, labels): (&IdxArray, &IdxArray), name, split| {
        config.write_dataset(images, labels, &data, name, split, None)
    };
    let train = (
        &rows(&train_images, 0, args.train),
        &rows(&train_labels, 0, args.train),
    );
    let val_range = (args.train, args.train + VALIDATION);
    let val = (
        &rows(&train_images, val_range.0, val_range.1),
        &rows(&train_labels, val_range.0, val_range.1),
    );
    let test = (
        &rows(&test_images, 0, args.test),
        &rows(&test_labels, 0, args.test),
    );
    eprintln!("writing the datasets under {}…", data.display());
    let decoy_train = write(&decoy, train, "train", DecoySplit::Train)?;
    let decoy_val = write(&decoy, val, "val", DecoySplit::Train)?;
    let clean_train = write(&clean, train, "clean_train", DecoySplit::Train)?;
    let clean_val = write(&clean, val, "clean_val", DecoySplit::Train)?;
    let tests = vec![
        (
            DECOY_TEST.to_string(),
            write(&decoy, test, "test", DecoySplit::Test)?,
        ),
        (
            CLEAN_TEST.to_string(),
            write(&clean, test, "clean_test", DecoySplit::Test)?,
        ),
    ];

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
    let device = Device::flex();
    let build = |device: &Device| Architecture::SmallCnn.init(10, 1, false, device);
    let image = ImageConfig::new(28, 28)
        .with_channels(1)
        .with_normalization(Normalization::None);
    let grid = feature_grid(&build(&device), [1, 28, 28], &device);
    let mut results = BTreeMap::new();
    for (index, method) in methods.iter().enumerate() {
        let (train, val) = if method.clean {
            (&clean_train, &clean_val)
        } else {
            (&decoy_train, &decoy_val)
        };
        let mut runs = Vec::new();
        for seed in 0..args.seeds {
            eprintln!("\n{} — seed {seed}", method.name);
            let recipe = TrainingConfig::from_scratch()
                .with_loss(method.loss.clone())
                .with_batch_size(64)
                .with_epochs(args.epochs)
                .with_seed(seed);
            let experiment = Experiment {
                train: train.clone(),
                val: val.clone(),
                tests: tests.clone(),
                image: image.clone(),
                grid,
            };
            let dir = args.out.join(format!("runs/{index}-seed{seed}"));
            runs.push(
                Run::new(recipe, dir)
                    .on(device.clone())
                    .experiment(build, experiment)?,
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

/// Rows `start..end` of an IDX array (along its first axis).
fn rows(array: &IdxArray, start: usize, end: usize) -> IdxArray {
    let row: usize = array.dims[1..].iter().product();
    let mut dims = array.dims.clone();
    dims[0] = end - start;
    IdxArray {
        dims,
        data: array.data[start * row..end * row].to_vec(),
    }
}

/// `mean ± std` (sample standard deviation).
fn mean_std(values: &[f64]) -> String {
    let (mean, std) = mean_and_std(values);
    format!("{mean:.3} ± {std:.3}")
}
