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
//! `target/quickstart/data/`, and the small CNN (`cyborg::models::SmallCnn`, 35 k parameters)
//! is trained with `cyborg::train::run_experiment`, the trainer behind `cyborg train`: once
//! with cross-entropy alone (α = 1) and once with the CYBORG loss (α = 0.5), same seed, same
//! recipe (Adam, learning rate 0.005, batch 32, 6 epochs, best validation accuracy). Each run
//! folder under `target/quickstart/runs/` holds its checkpoints, `best.bpk` and
//! `metrics.json`. The example prints the test accuracy and AUC of both side by side, and
//! writes `target/quickstart/cams.png`: the CAMs of both models for six test images where the
//! square points to the wrong class.

use std::error::Error;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use burn::data::dataset::Dataset;
use burn::prelude::*;
use cyborg::cam::{GridConfig, GridMap, GridRow, grid, image_from_tensor, save_png};
use cyborg::data::{
    ImageConfig, Normalization, Records, SaliencyConfig, SaliencyDataset, ShortcutTaskConfig,
};
use cyborg::models::{Architecture, Backbone, CamMethod, ExplainConfig, Target, explain};
use cyborg::train::{
    Evaluation, Experiment, ExperimentReport, Optimizer, SaliencyLossConfig, Schedule,
    TrainingConfig, feature_grid, run_experiment,
};

const SEEDS: [u64; 3] = [0, 1, 2];
const EPOCHS: usize = 6;
const SIZE: usize = 28;
const SHOWN: usize = 6;
/// The test images whose square points to the other class.
const MISLEADING: &str = "square misleads";
/// The whole test set.
const ALL: &str = "all";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("quickstart: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let out = Path::new("target/quickstart");
    let device = Device::flex();
    let methods = [
        ("cross-entropy", "α = 1", SaliencyLossConfig::cyborg(1.0)),
        ("CYBORG", "α = 0.5", SaliencyLossConfig::cyborg(0.5)),
    ];
    let start = Instant::now();
    let mut reports: Vec<Vec<ExperimentReport>> = vec![Vec::new(); methods.len()];
    let mut first: Option<Experiment> = None;
    for seed in SEEDS {
        let experiment = write_task(seed, &out.join(format!("data/seed-{seed}")))?;
        for ((name, alpha, loss), reports) in methods.iter().zip(&mut reports) {
            eprintln!("\nseed {seed}: {name} ({alpha})");
            let recipe = recipe(loss.clone(), seed);
            let report = run_experiment(
                small_cnn,
                &recipe,
                experiment.clone(),
                &run_dir(out, name, seed),
                false,
                std::slice::from_ref(&device),
                |_, _, _| {},
            )?;
            reports.push(report);
        }
        first.get_or_insert(experiment);
    }

    println!(
        "\nSmall CNN on the shortcut task, test set ({} seeds, mean ± std; {:.0} s in all):\n",
        SEEDS.len(),
        start.elapsed().as_secs_f32()
    );
    println!(
        "| loss                  | accuracy, all | accuracy, {MISLEADING} | AUC, all      | CAM mass on the bar |"
    );
    println!(
        "|-----------------------|---------------|--------------------------|---------------|---------------------|"
    );
    for ((name, alpha, _), reports) in methods.iter().zip(&reports) {
        let over = |set: &str, f: fn(&Evaluation) -> Option<f64>| {
            mean_std(reports.iter().map(|r| f(&r.test[set])))
        };
        println!(
            "| {:<21} | {:<13} | {:<24} | {:<13} | {:<19} |",
            format!("{name} ({alpha})"),
            over(ALL, |e| Some(e.accuracy)),
            over(MISLEADING, |e| Some(e.accuracy)),
            over(ALL, |e| e.auc),
            over(ALL, |e| e.cam_mass_inside),
        );
    }

    let experiment = first.expect("at least one seed");
    let picture = out.join("cams.png");
    draw_cams(
        &methods.map(|(name, ..)| name),
        &experiment,
        out,
        &picture,
        &device,
    )?;
    println!(
        "\nwrote {}: test images whose square points to the other class (those cross-entropy \
         gets wrong first), the human map, and each model's CAM of the class it predicts \
         (seed {})",
        picture.display(),
        SEEDS[0]
    );
    Ok(())
}

/// The shared recipe: Adam suits a small network trained from scratch for a few epochs
/// (the paper's SGD recipe is for ImageNet-initialised backbones over 50 epochs).
fn recipe(loss: SaliencyLossConfig, seed: u64) -> TrainingConfig {
    TrainingConfig::new()
        .with_loss(loss)
        .with_optimizer(Optimizer::Adam { weight_decay: 0.0 })
        .with_schedule(Schedule::Constant)
        .with_learning_rate(5e-3)
        .with_batch_size(32)
        .with_epochs(EPOCHS)
        .with_seed(seed)
}

fn small_cnn(device: &Device) -> Backbone {
    Architecture::SmallCnn.init(2, 1, false, device)
}

fn run_dir(out: &Path, name: &str, seed: u64) -> std::path::PathBuf {
    out.join(format!("runs/{}-seed{seed}", name.to_lowercase()))
}

fn image_config() -> ImageConfig {
    ImageConfig::new(SIZE, SIZE)
        .with_channels(1)
        .with_normalization(Normalization::None)
}

/// Generates the task for `seed` and writes it under `dir`: 512 training and 256 validation
/// images with the shortcut, 512 test images without it (all of them, and those whose square
/// points to the other class).
fn write_task(seed: u64, dir: &Path) -> Result<Experiment, Box<dyn Error>> {
    let task = ShortcutTaskConfig::new()
        .with_image_size(SIZE)
        .with_seed(seed)
        .generate();
    let val = ShortcutTaskConfig::new()
        .with_image_size(SIZE)
        .with_train_size(256)
        .with_test_size(0)
        .with_seed(seed + 1000)
        .generate()
        .train;
    let train = task.train.write(dir, "train")?;
    let val = val.write(dir, "val")?;
    let test = task.test.write(dir, "test")?;
    let misleading = Records {
        items: test
            .items
            .iter()
            .zip(&task.test.cue_agrees)
            .filter(|&(_, &agrees)| !agrees)
            .map(|(record, _)| record.clone())
            .collect(),
        classes: test.classes.clone(),
    };
    let grid = feature_grid(
        &small_cnn(&Device::flex()),
        [1, SIZE, SIZE],
        &Device::flex(),
    );
    Ok(Experiment {
        train,
        val,
        tests: vec![
            (MISLEADING.to_string(), misleading),
            (ALL.to_string(), test),
        ],
        image: image_config(),
        grid,
    })
}

/// Up to [`SHOWN`] test images whose square points to the other class, preferring those the
/// cross-entropy model gets wrong: input, human map, and each model's CAM of the class it
/// predicts (what its decision rests on).
fn draw_cams(
    names: &[&str],
    experiment: &Experiment,
    out: &Path,
    path: &Path,
    device: &Device,
) -> Result<(), Box<dyn Error>> {
    let (_, records) = &experiment.tests[0];
    let dataset = SaliencyDataset::new(
        records.clone(),
        image_config(),
        SaliencyConfig::new([SIZE, SIZE]),
    );
    let all = dataset.load_batch(0..dataset.len(), device)?;
    let models = names
        .iter()
        .map(|name| {
            small_cnn(device).load_checkpoint(run_dir(out, name, SEEDS[0]).join("best.bpk"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // The images the first model (cross-entropy) misclassifies come first.
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
    for model in &models {
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
    columns.extend(
        names
            .iter()
            .map(|n| if *n == "CYBORG" { "CYBORG" } else { "CE" }),
    );
    let picture = grid(&GridConfig::new().with_tile_size(112), &columns, &rows);
    Ok(save_png(&picture, path)?)
}

/// `mean ± std` over seeds, or `—` if a value is missing.
fn mean_std(values: impl Iterator<Item = Option<f64>>) -> String {
    let Some(values) = values.collect::<Option<Vec<f64>>>() else {
        return "—".into();
    };
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    format!("{mean:.3} ± {:.3}", var.sqrt())
}
