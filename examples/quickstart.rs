//! cargo run --release --example quickstart
//!
//! CYBORG against cross-entropy, end to end, on a task that ships with the project (generated
//! on the spot: no files to fetch, no downloads). About three minutes on two CPU cores once
//! built.
//!
//! The task (`cyborg::data::ShortcutTaskConfig`, 28×28 gray): a faint bar decides the class
//! (horizontal or vertical); a bright square in the right margin also predicts the class in
//! the training and validation images (top for horizontal, bottom for vertical), but sits at a
//! random place in the test images, so on half of them it points to the wrong class. The human
//! map marks the bar. A model that learned the square fails exactly there.
//!
//! For three seeds, the data is written in the manifest layout under
//! `target/quickstart/data/` (`cyborg::train::shortcut_experiment`), and the small CNN
//! (`cyborg::models::SmallCnn`, 35 k parameters) is trained with `cyborg::train::Run`, the
//! trainer behind `cyborg train`: once with cross-entropy alone (α = 1) and once with the
//! CYBORG loss (α = 0.5), same seed, same recipe (Adam, learning rate 0.005, batch 32,
//! 6 epochs, best validation accuracy). Each run folder under `target/quickstart/runs/` holds
//! its checkpoints, `best.bpk`, `metrics.json`, `history.csv`, `scores/`, `curves.png` and `roc-*.png`. The example prints the test accuracy and AUC
//! of both side by side, and writes `target/quickstart/cams.png`: the CAMs of both models for
//! six test images where the square points to the wrong class, and
//! `target/quickstart/report.html`: the seed-0 runs compared on one page (`cyborg report`'s
//! page: results side by side, learning and ROC curves, recipes, a CAM gallery).
//!
//! Flags change the study (`--help`): `--image-size`, `--width` of the CNN, `--epochs`,
//! `--seeds`, and `--losses` (`ce`, `cyborg`, `contrast` for CYBORG on the contrast CAM,
//! `masked` for the masked raw-CAM loss, `energy` and `l1` for Rao et al.'s losses, `ceiling`
//! for cross-entropy trained without the square: the clean ceiling; with `ce` and `ceiling`
//! a second table gives each loss's share of the cross-entropy → ceiling gap closed, with
//! 95 % bootstrap intervals over seeds), e.g. the harder 16×16 setting of docs/results.md:
//! `cargo run --release --example quickstart -- --image-size 16 --width 4 --epochs 10
//! --seeds 5 --losses ce,cyborg,contrast,masked`.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use burn::data::dataset::Dataset;
use burn::prelude::*;
use clap::Parser;
use cyborg::cam::{GridConfig, GridMap, GridRow, grid, image_from_tensor, save_png};
use cyborg::data::{SaliencyConfig, SaliencyDataset, ShortcutTaskConfig};
use cyborg::models::{Backbone, CamMethod, ExplainConfig, SmallCnnConfig, Target, explain};
// `Loss::weighted` serves the benchmark's --lambda only.
#[allow(dead_code)]
#[path = "support/study_loss.rs"]
mod study_loss;

use study_loss::Loss;

use cyborg::train::{
    ALL_TEST_IMAGES, Evaluation, Experiment, ExperimentReport, GalleryConfig, GalleryModel,
    REPORT_FILE, Run, SQUARE_MISLEADS, SaliencyLossConfig, TrainingConfig, cam_gallery,
    draw_run_pictures, feature_grid, gap_closed, interval95, mean_and_std, read_report_runs,
    shortcut_experiment, write_report,
};

const SHOWN: usize = 6;

/// CYBORG against cross-entropy on the shipped shortcut task, over several seeds.
#[derive(Debug, Parser)]
struct Args {
    /// Side of the square images (the CAM grid is a quarter of it).
    #[arg(long, default_value_t = 28, value_parser = clap::value_parser!(u64).range(12..))]
    image_size: u64,
    /// Channels of the CNN's first stage (the CAM features have four times as many).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    width: u64,
    /// Epochs per run.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u64).range(1..))]
    epochs: u64,
    /// Seeds per loss (0, 1, …): each seed draws its own data and weights.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    seeds: u64,
    /// The losses to train with, in the table's order; the first one's mistakes choose the
    /// pictured images.
    #[arg(long, value_delimiter = ',', default_values_t = [Loss::Ce, Loss::Cyborg])]
    losses: Vec<Loss>,
    /// Where the data, the run folders and cams.png go.
    #[arg(long, default_value = "target/quickstart")]
    out: PathBuf,
}

#[path = "support/logging.rs"]
mod logging;

fn main() -> ExitCode {
    logging::show_logs();
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("quickstart: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let device = Device::flex();
    let size = args.image_size as usize;
    let cnn = SmallCnnConfig::new(2).with_width(args.width as usize);
    let small_cnn = |device: &Device| Backbone::SmallCnn(cnn.init(device));
    let grid = feature_grid(&small_cnn(&device), [1, size, size], &device);
    let start = Instant::now();
    let mut reports: Vec<Vec<ExperimentReport>> = vec![Vec::new(); args.losses.len()];
    let mut first: Option<Experiment> = None;
    for seed in 0..args.seeds {
        let task = ShortcutTaskConfig::new()
            .with_image_size(size)
            .with_seed(seed);
        let data = args.out.join(format!("data/seed-{seed}"));
        let experiment = shortcut_experiment(&task, 256, &data, grid)?;
        // The ceiling trains and validates without the square, and is tested on the same
        // images as the others.
        let clean = if args.losses.contains(&Loss::Ceiling) {
            let clean_data = args.out.join(format!("data/seed-{seed}-no-square"));
            let clean =
                shortcut_experiment(&task.clone().with_cue_contrast(0.0), 256, &clean_data, grid)?;
            Some(Experiment {
                train: clean.train,
                val: clean.val,
                ..experiment.clone()
            })
        } else {
            None
        };
        for (loss, reports) in args.losses.iter().zip(&mut reports) {
            eprintln!("\nseed {seed}: {}", loss.label());
            let recipe = recipe(loss.config(1.0), args.epochs as usize, seed);
            let data = match (loss, &clean) {
                (Loss::Ceiling, Some(clean)) => clean.clone(),
                _ => experiment.clone(),
            };
            let dir = run_dir(&args.out, *loss, seed);
            let (image, grid, first_test) =
                (data.image.clone(), data.grid, data.tests[0].1.clone());
            let report = Run::new(recipe, &dir)
                .on(device.clone())
                .experiment(small_cnn, data)?;
            // curves.png and the ROC pictures (what `cyborg plot --run DIR` redraws), and
            // cams.png: the best model's CAMs where they agree least with the human maps.
            draw_run_pictures(&dir)?;
            let best = small_cnn(&device).load_checkpoint(dir.join("best.bpk"))?;
            cyborg::train::draw_cams(&best, &first_test, &image, grid, &dir, &device)?;
            reports.push(report);
        }
        first.get_or_insert(experiment);
    }

    println!(
        "\nSmall CNN (width {}) on the {size}×{size} shortcut task, test set ({} seeds, mean ± \
         std; {:.0} s in all):\n",
        args.width,
        args.seeds,
        start.elapsed().as_secs_f32()
    );
    println!(
        "| loss                               | accuracy, all | accuracy, {SQUARE_MISLEADS} | AUC, all      | CAM mass on the bar |"
    );
    println!(
        "|------------------------------------|---------------|---------------------------|---------------|---------------------|"
    );
    for (loss, reports) in args.losses.iter().zip(&reports) {
        let over = |set: &str, f: fn(&Evaluation) -> Option<f64>| {
            mean_std(reports.iter().map(|r| f(&r.test[set])))
        };
        println!(
            "| {:<34} | {:<13} | {:<25} | {:<13} | {:<19} |",
            loss.label(),
            over(ALL_TEST_IMAGES, |e| Some(e.accuracy)),
            over(SQUARE_MISLEADS, |e| Some(e.accuracy)),
            over(ALL_TEST_IMAGES, |e| e.auc),
            over(ALL_TEST_IMAGES, |e| e.cam_mass_inside),
        );
    }

    print_gap_closed(&args.losses, &reports);

    let experiment = first.expect("at least one seed");
    let picture = args.out.join("cams.png");
    let models = args
        .losses
        .iter()
        .map(|&loss| {
            small_cnn(&device).load_checkpoint(run_dir(&args.out, loss, 0).join("best.bpk"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let columns: Vec<&str> = args.losses.iter().map(|loss| loss.short()).collect();
    draw_cams(&columns, &models, &experiment, &picture, &device)?;
    println!(
        "\nwrote {}: test images whose square points to the other class (those the first \
         model gets wrong first), the human map, and each model's CAM of the class it predicts \
         (seed 0)",
        picture.display()
    );

    // One page comparing the seed-0 runs: results, curves, ROC, recipes and a CAM gallery of
    // the test images where the square misleads.
    let dirs: Vec<PathBuf> = args
        .losses
        .iter()
        .map(|&l| run_dir(&args.out, l, 0))
        .collect();
    let runs = read_report_runs(&dirs);
    let gallery_models: Vec<GalleryModel<Backbone>> = runs
        .iter()
        .zip(models)
        .map(|(run, model)| GalleryModel {
            name: run.name.clone(),
            model,
            image: experiment.image.clone(),
        })
        .collect();
    let misleading = experiment
        .tests
        .iter()
        .find(|(name, _)| name == SQUARE_MISLEADS)
        .map_or(&experiment.tests[0].1, |(_, records)| records);
    let gallery = cam_gallery(
        &gallery_models,
        SQUARE_MISLEADS,
        misleading,
        &device,
        &GalleryConfig::default(),
    )?;
    let report = args.out.join(REPORT_FILE);
    write_report(&runs, Some(&gallery), &report)?;
    println!(
        "wrote {}: the seed-0 runs compared on one page",
        report.display()
    );
    Ok(())
}

/// `TrainingConfig::from_scratch` (Adam 0.005, batch 32) with the study's loss, epochs and
/// seed.
fn recipe(loss: SaliencyLossConfig, epochs: usize, seed: u64) -> TrainingConfig {
    TrainingConfig::from_scratch()
        .with_loss(loss)
        .with_epochs(epochs)
        .with_seed(seed)
}

fn run_dir(out: &Path, loss: Loss, seed: u64) -> PathBuf {
    out.join(format!("runs/{loss}-seed{seed}"))
}

/// Up to [`SHOWN`] test images whose square points to the other class, preferring those the
/// first model gets wrong: input, human map, and each model's CAM of the class it predicts
/// (what its decision rests on).
fn draw_cams(
    names: &[&str],
    models: &[Backbone],
    experiment: &Experiment,
    path: &Path,
    device: &Device,
) -> Result<(), Box<dyn Error>> {
    let (_, records) = &experiment.tests[0];
    let [height, width] = [experiment.image.height, experiment.image.width];
    let dataset = SaliencyDataset::new(
        records.clone(),
        experiment.image.clone(),
        SaliencyConfig::new([height, width]),
    );
    let all = dataset.load_batch(0..dataset.len(), device)?;
    // The images the first model (cross-entropy by default) misclassifies come first.
    let n = dataset.len();
    let wrong = models[0]
        .forward(all.images.clone())
        .argmax(1)
        .reshape([n])
        .not_equal(all.labels.clone())
        .into_data()
        .convert::<bool>()
        .try_into_vec::<bool>()
        .map_err(|e| format!("{e:?}"))?;
    let mut order: Vec<i64> = (0..n as i64).collect();
    order.sort_by_key(|&i| !wrong[i as usize]);
    order.truncate(SHOWN);
    let shown = order.len();
    let indices = Tensor::<1, Int>::from_ints(order.as_slice(), device);
    let images = all.images.select(0, indices.clone());
    let saliency = all.saliency.select(0, indices);
    let config = ExplainConfig::new().with_upsample(true);
    let mut tiles: Vec<Vec<Option<GridMap>>> = (0..shown)
        .map(|i| vec![Some(GridMap::from_batch(&saliency, i))])
        .collect();
    for model in models {
        let maps = explain(
            model,
            images.clone(),
            CamMethod::Cam,
            &Target::Predicted,
            &config,
        );
        for (i, row) in tiles.iter_mut().enumerate() {
            row.push(Some(GridMap::from_batch(&maps, i)));
        }
    }
    let rows: Vec<GridRow> = tiles
        .into_iter()
        .enumerate()
        .map(|(i, maps)| {
            let image = images.clone().narrow(0, i, 1).squeeze_dim::<3>(0);
            GridRow::new(image_from_tensor(image), maps)
        })
        .collect();
    let mut columns = vec!["input", "human"];
    columns.extend(names);
    let picture = grid(&GridConfig::new().with_tile_size(112), &columns, &rows);
    Ok(save_png(&picture, path)?)
}

/// With cross-entropy and the ceiling among the losses: each other loss's accuracy where the
/// square misleads and its share of the cross-entropy → ceiling gap closed (per seed, then
/// averaged), each with a 95 % percentile-bootstrap interval over seeds.
fn print_gap_closed(losses: &[Loss], reports: &[Vec<ExperimentReport>]) {
    let misled = |i: usize| -> Vec<f64> {
        reports[i]
            .iter()
            .map(|r| r.test[SQUARE_MISLEADS].accuracy)
            .collect()
    };
    let (Some(ce), Some(ceiling)) = (
        losses.iter().position(|&l| l == Loss::Ce),
        losses.iter().position(|&l| l == Loss::Ceiling),
    ) else {
        return;
    };
    let (ce, ceiling) = (misled(ce), misled(ceiling));
    println!(
        "\nWhere the square misleads, mean [95 % bootstrap interval over seeds]; the gap is \
         cross-entropy's to the ceiling's, per seed:\n"
    );
    println!("| loss | accuracy | share of the gap closed |\n|---|---|---|");
    for (i, loss) in losses.iter().enumerate() {
        let accuracy = misled(i);
        let closed = match (loss, gap_closed(&accuracy, &ce, &ceiling, 0.05)) {
            (Loss::Ce | Loss::Ceiling, _) => String::new(),
            (_, None) => "— (cross-entropy within 5 points of the ceiling)".into(),
            (_, Some(shares)) => interval95(&shares).to_string(),
        };
        println!(
            "| {} | {} | {closed} |",
            loss.label(),
            interval95(&accuracy)
        );
    }
}

/// `mean ± std` over seeds, or `—` if a value is missing.
fn mean_std(values: impl Iterator<Item = Option<f64>>) -> String {
    let Some(values) = values.collect::<Option<Vec<f64>>>() else {
        return "—".into();
    };
    let (mean, std) = mean_and_std(&values);
    format!("{mean:.3} ± {std:.3}")
}
