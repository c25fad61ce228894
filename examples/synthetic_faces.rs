//! cargo run --release --example synthetic_faces -- --root DATA --train train.csv --val val.csv --test test.csv [--model densenet121] [--weights densenet121.pth]
//!
//! The CYBORG paper's experiment on its data (which you must already have; nothing is
//! downloaded): real vs GAN-generated faces, the paper's CSV layout (`split,class,path` rows,
//! classes Real/Synthetic, training heatmaps under `ROOT/heatmaps/` named like the images),
//! the paper's recipe (SGD 0.005, momentum 0.9, weight decay 1e-6, ×0.1 every 12 epochs, batch
//! 20, 50 epochs, best validation accuracy), trained twice: cross-entropy alone (α = 1) and
//! CYBORG (α = 0.5). Prints the test AUC of each (score: sigmoid of the Synthetic logit, as
//! the paper) side by side; each run's folder holds its checkpoints, best model and
//! metrics.json.
//!
//! Flags: --root DIR, --train CSV, --val CSV, --test CSV (repeatable), --model
//! densenet121|resnet50|inception-v3|xception (default densenet121), --weights FILE (ImageNet
//! weights in torchvision/timm layout, as in the paper; without it the model starts from
//! scratch), --heatmaps DIR (default heatmaps), --epochs N (default 50), --out DIR (default
//! runs/synthetic_faces). CSV paths are relative to the working directory.

use std::path::PathBuf;
use std::process::ExitCode;

use burn::prelude::*;
use clap::Parser;
use cyborg::data::{CyborgSplit, ImageConfig, read_cyborg_csv};
use cyborg::models::{Architecture, HeadPolicy, ImportOptions};
use cyborg::train::{Experiment, Run, TrainingConfig, feature_grid};

/// The CYBORG paper's experiment on its data: cross-entropy vs CYBORG.
#[derive(Debug, Parser)]
struct Args {
    /// The data root (images, and the training heatmaps under --heatmaps).
    #[arg(long)]
    root: PathBuf,
    /// The training CSV (`split,class,path`).
    #[arg(long)]
    train: PathBuf,
    /// The validation CSV.
    #[arg(long)]
    val: PathBuf,
    /// A test CSV (repeatable).
    #[arg(long = "test")]
    tests: Vec<PathBuf>,
    /// densenet121, resnet50, inception-v3 or xception.
    #[arg(long, default_value = "densenet121")]
    model: Architecture,
    /// ImageNet weights in torchvision/timm layout (as in the paper); without them the model
    /// starts from scratch.
    #[arg(long)]
    weights: Option<PathBuf>,
    /// The heatmap folder under --root.
    #[arg(long, default_value = "heatmaps")]
    heatmaps: PathBuf,
    /// Epochs.
    #[arg(long, default_value_t = 50)]
    epochs: usize,
    /// Where the run folders go.
    #[arg(long, default_value = "runs/synthetic_faces")]
    out: PathBuf,
}

#[path = "support/logging.rs"]
mod logging;

fn main() -> ExitCode {
    logging::show_logs();
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("synthetic_faces: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let device = Device::flex();
    let read = |csv: &PathBuf, split| {
        read_cyborg_csv(csv, &args.root, &args.heatmaps, split).map_err(|e| e.to_string())
    };
    let train = read(&args.train, CyborgSplit::Train)?;
    let val = read(&args.val, CyborgSplit::Test)?;
    let tests = args
        .tests
        .iter()
        .map(|csv| {
            let name = csv
                .file_stem()
                .map_or("test".into(), |s| s.to_string_lossy().into_owned());
            Ok((name, read(csv, CyborgSplit::Test)?))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let size = args.model.default_image_size();
    let build = |device: &Device| {
        let net = args.model.init(2, 3, args.weights.is_some(), device);
        match &args.weights {
            Some(weights) => {
                let options = ImportOptions {
                    head: HeadPolicy::Replace,
                    ..Default::default()
                };
                net.load_pytorch_weights(weights, &options)
                    .map(|(net, _)| net)
                    .map_err(|e| e.to_string())
            }
            None => Ok(net),
        }
    };
    let mut results = Vec::new();
    for (name, alpha) in [("cross-entropy", 1.0), ("cyborg", 0.5)] {
        let recipe = TrainingConfig::paper()
            .with_alpha(alpha)
            .with_epochs(args.epochs);
        device.seed(recipe.seed);
        let net = build(&device)?;
        let grid = feature_grid(&net, [3, size, size], &device);
        let experiment = Experiment {
            train: train.clone(),
            val: val.clone(),
            tests: tests.clone(),
            image: ImageConfig::new(size, size),
            grid,
        };
        println!("\n{name} (α = {alpha}), {} on {}×{size}:", args.model, size);
        let dir = args.out.join(name);
        let report = Run::new(recipe, &dir)
            .on(device.clone())
            .experiment(|_| net, experiment)
            .map_err(|e| e.to_string())?;
        results.push((name, report));
    }
    println!(
        "\n{:<24} {:>14} {:>14}",
        "test set (AUC)", "cross-entropy", "CYBORG"
    );
    for (test, _) in &tests {
        let auc = |i: usize| {
            results[i].1.test[test]
                .auc
                .map_or("—".to_string(), |a| format!("{a:.4}"))
        };
        println!("{test:<24} {:>14} {:>14}", auc(0), auc(1));
    }
    Ok(())
}
