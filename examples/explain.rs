//! cargo run --release --example explain
//!
//! Explains a trained network with every CAM method. Trains the tiny CAM network of
//! `cyborg::toy` on the shipped shortcut task twice, with cross-entropy alone and with the
//! masked raw-CAM loss (a few seconds each), then for each model:
//!
//! - writes `target/explain/<loss>.png`: for six test images, the input, the human map and
//!   every method's map overlaid on the input (viridis), with a colorbar;
//! - prints how well each method's maps agree with the human maps over the whole test set
//!   (Pearson correlation, IoU of the top 20 % pixels, pointing game) and how
//!   faithful they are (drop of the label's probability when the top 20 % pixels are
//!   replaced by the image mean).
//!
//! The model trained with cross-entropy looks at the shortcut (a bright square in the margin),
//! the one trained with the saliency loss at the bar that defines the class: every method
//! should show it.

use std::path::Path;

use burn::prelude::*;
use cyborg::cam::{
    GridConfig, GridMap, GridRow, Rgb, RgbImage, grid, pearson, pointing_game, save_png,
    top_fraction_iou,
};
use cyborg::loss::SaliencyLossConfig;
use cyborg::loss::resize_to_grid;
use cyborg::models::{CamMethod, ExplainConfig, Target, confidence_drop, explain};
use cyborg::toy::{ShortcutTaskConfig, ToyTrainingConfig, train_toy};

const SHOWN: usize = 6;

fn main() {
    let train_device = Device::flex().autodiff();
    let device = Device::flex();
    let task = ShortcutTaskConfig::new().with_seed(0).generate();
    let train = task.train.to_tensors(&train_device);
    let test = task.test.to_tensors(&device);
    let [n, _, size, _] = test.images.dims();
    let out = Path::new("target/explain");
    if let Err(error) = std::fs::create_dir_all(out) {
        eprintln!("cannot create {}: {error}", out.display());
        std::process::exit(1);
    }
    let target = Target::Classes(test.labels.clone());
    for (name, loss) in [
        ("cross_entropy", SaliencyLossConfig::cyborg(1.0)),
        ("masked_cam", SaliencyLossConfig::masked(1.0)),
    ] {
        println!(
            "\n{name}: training 10 epochs on {} images…",
            task.train.len()
        );
        let config = ToyTrainingConfig::new(loss).with_epochs(10).with_seed(0);
        let (model, _) = train_toy(&config, &train, &train_device, |_| {});
        let model = model.valid().to_device(&device);

        // Human maps at the CAM grid, and at the image size for the pictures.
        let grid_maps = explain(
            &model,
            test.images.clone(),
            CamMethod::Cam,
            &target,
            &ExplainConfig::new(),
        );
        let [_, h, w] = grid_maps.dims();
        let human =
            cyborg::cam::normalize_min_max(resize_to_grid(test.saliency.clone(), [h, w]), 1e-8);

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
            .map(|(i, maps)| GridRow::new(gray(test.images.clone().narrow(0, i, 1), size), maps))
            .collect();
        let picture = grid(&GridConfig::new().with_tile_size(96), &columns, &rows);
        let path = out.join(format!("{name}.png"));
        match save_png(&picture, &path) {
            Ok(()) => println!(
                "wrote {} ({n} test images scored, {SHOWN} shown)",
                path.display()
            ),
            Err(error) => {
                eprintln!("{error}");
                std::process::exit(1);
            }
        }
    }
}

/// One `[1, 1, s, s]` image, min-max scaled to grey levels.
fn gray(image: Tensor<4>, size: usize) -> RgbImage {
    let values = image
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("float data");
    let (lo, hi) = values
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let scale = if hi > lo { 255.0 / (hi - lo) } else { 0.0 };
    RgbImage::from_fn(size as u32, size as u32, |x, y| {
        let v = ((values[y as usize * size + x as usize] - lo) * scale).round() as u8;
        Rgb([v, v, v])
    })
}
