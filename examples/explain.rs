//! cargo run --release --example explain
//!
//! Explains a trained network with every CAM method. Trains the small CNN
//! (`cyborg::models::SmallCnn`) on the shipped shortcut task (28×28,
//! `cyborg::train::shortcut_experiment`) twice with the trainer (`cyborg::train::Run`), with
//! cross-entropy alone and with the masked raw-CAM loss (a few seconds each), then for each
//! model:
//!
//! - writes `target/explain/<loss>.png`: for six test images, the input, the human map and
//!   every method's map overlaid on the input (viridis), with a colorbar;
//! - prints how well each method's maps agree with the human maps over the whole test set
//!   (Pearson correlation, IoU of the top 20 % pixels, pointing game) and how
//!   faithful they are (drop of the label's probability when the top 20 % pixels are
//!   replaced by the image mean).
//!
//! The model trained with cross-entropy leans on the shortcut (a bright square in the margin),
//! the one trained with the saliency loss on the bar that defines the class: the methods
//! should show it.

use std::error::Error;
use std::path::Path;
use std::process::ExitCode;

use burn::data::dataset::Dataset;
use burn::prelude::*;
use cyborg::cam::{
    GridConfig, GridMap, GridRow, grid, image_from_tensor, normalize_min_max, pearson,
    pointing_game, save_png, top_fraction_iou,
};
use cyborg::data::{SaliencyConfig, SaliencyDataset, ShortcutTaskConfig};
use cyborg::loss::resize_to_grid;
use cyborg::models::{
    Backbone, CamMethod, ExplainConfig, SmallCnnConfig, Target, confidence_drop, explain,
};
use cyborg::train::{
    ALL_TEST_IMAGES, Run, SaliencyLossConfig, TrainingConfig, feature_grid, shortcut_experiment,
};

const SHOWN: usize = 6;
const SIZE: usize = 28;

#[path = "support/logging.rs"]
mod logging;

fn main() -> ExitCode {
    logging::show_logs();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("explain: {error}");
            ExitCode::FAILURE
        }
    }
}

fn small_cnn(device: &Device) -> Backbone {
    Backbone::SmallCnn(SmallCnnConfig::new(2).init(device))
}

fn run() -> Result<(), Box<dyn Error>> {
    let device = Device::flex();
    let out = Path::new("target/explain");
    let grid_size = feature_grid(&small_cnn(&device), [1, SIZE, SIZE], &device);
    let task = ShortcutTaskConfig::new().with_image_size(SIZE);
    let experiment = shortcut_experiment(&task, 256, &out.join("data"), grid_size)?;
    let (_, records) = experiment
        .tests
        .iter()
        .find(|(name, _)| name == ALL_TEST_IMAGES)
        .ok_or("the experiment has no test set of all images")?;
    let dataset = SaliencyDataset::new(
        records.clone(),
        experiment.image.clone(),
        SaliencyConfig::new([SIZE, SIZE]),
    );
    let test = dataset.load_batch(0..dataset.len(), &device)?;
    let n = dataset.len();
    let target = Target::Classes(test.labels.clone());
    let human = normalize_min_max(resize_to_grid(test.saliency.clone(), grid_size), 1e-8);
    for (name, loss) in [
        ("cross_entropy", SaliencyLossConfig::cyborg(1.0)),
        ("masked_cam", SaliencyLossConfig::masked(1.0)),
    ] {
        println!(
            "\n{name}: training 6 epochs on {} images…",
            experiment.train.items.len()
        );
        let recipe = TrainingConfig::from_scratch().with_loss(loss).with_seed(0);
        let dir = out.join("runs").join(name);
        Run::new(recipe, &dir)
            .on(device.clone())
            .experiment(small_cnn, experiment.clone())?;
        let model = small_cnn(&device).load_checkpoint(dir.join("best.bpk"))?;

        println!(
            "{:<11} {:>8} {:>13} {:>14} {:>16}",
            "method", "Pearson", "top-20% IoU", "pointing game", "confidence drop"
        );
        let mut columns = vec!["input", "human"];
        let mut tiles: Vec<Vec<Option<GridMap>>> = (0..SHOWN)
            .map(|i| vec![Some(GridMap::from_batch(&test.saliency, i))])
            .collect();
        for method in CamMethod::ALL {
            let maps = explain(
                &model,
                test.images.clone(),
                method,
                &target,
                &ExplainConfig::new(),
            );
            let upsampled = explain(
                &model,
                test.images.clone(),
                method,
                &target,
                &ExplainConfig::new().with_upsample(true),
            );
            let mean = |x: Tensor<1>| x.mean().into_scalar::<f32>();
            println!(
                "{:<11} {:>8.3} {:>13.3} {:>14.3} {:>16.3}",
                method.label(),
                mean(pearson(maps.clone(), human.clone(), 1e-8)),
                mean(top_fraction_iou(maps.clone(), human.clone(), 0.2)),
                mean(pointing_game(maps, human.clone(), 0.5)),
                mean(confidence_drop(
                    &model,
                    test.images.clone(),
                    upsampled.clone(),
                    &target,
                    0.2
                )),
            );
            columns.push(method.label());
            for (i, row) in tiles.iter_mut().enumerate() {
                row.push(Some(GridMap::from_batch(&upsampled, i)));
            }
        }
        let rows: Vec<GridRow> = tiles
            .into_iter()
            .enumerate()
            .map(|(i, maps)| {
                let image = test.images.clone().narrow(0, i, 1).squeeze_dim::<3>(0);
                GridRow::new(image_from_tensor(image), maps)
            })
            .collect();
        let picture = grid(&GridConfig::new().with_tile_size(96), &columns, &rows);
        let path = out.join(format!("{name}.png"));
        save_png(&picture, &path)?;
        println!(
            "wrote {} ({n} test images scored, {SHOWN} shown)",
            path.display()
        );
    }
    Ok(())
}
