//! The small task and recipe the training tests share.

#![allow(dead_code)] // each test file uses part of it

use std::path::{Path, PathBuf};

use cyborg_data::{ImageConfig, Normalization, SaliencyConfig, SaliencyDataset, read_manifest};
use cyborg_train::{Optimizer, Schedule, TrainData, TrainingConfig};

/// Image side in pixels.
pub const SIZE: u32 = 16;

/// Seeding sets the backend's global random generator: runs in parallel test threads would
/// draw from it in turn. One run at a time.
pub static ONE_RUN_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `n` gray images: class 1 has a bright square on the left, class 0 on the right; the human
/// map marks the square.
pub fn write_split(dir: &Path, name: &str, n: u32) -> PathBuf {
    let mut csv = String::from("image,saliency,label\n");
    for i in 0..n {
        let label = i % 2;
        let ox = if label == 1 { 1 } else { 9 };
        let oy = (i * 3) % 10;
        let inside = move |x: u32, y: u32| x >= ox && x < ox + 6 && y >= oy && y < oy + 6;
        let image = format!("{name}_{i}.png");
        image::GrayImage::from_fn(SIZE, SIZE, |x, y| {
            image::Luma([if inside(x, y) {
                220
            } else {
                ((x * 7 + y * 13 + i) % 60) as u8
            }])
        })
        .save(dir.join(&image))
        .unwrap();
        let map = format!("{name}_{i}_map.png");
        image::GrayImage::from_fn(SIZE, SIZE, |x, y| image::Luma([255 * inside(x, y) as u8]))
            .save(dir.join(&map))
            .unwrap();
        csv.push_str(&format!("{image},{map},{label}\n"));
    }
    let path = dir.join(format!("{name}.csv"));
    std::fs::write(&path, csv).unwrap();
    path
}

/// How the task's images are decoded: gray, pixels in [0, 1].
pub fn image() -> ImageConfig {
    ImageConfig::new(SIZE as usize, SIZE as usize)
        .with_channels(1)
        .with_normalization(Normalization::None)
}

/// The train and valid splits written in `dir`, at a 4×4 CAM grid.
pub fn data(dir: &Path) -> TrainData {
    let image = image();
    let dataset = |csv: PathBuf| {
        SaliencyDataset::new(
            read_manifest(csv, None).unwrap(),
            image.clone(),
            SaliencyConfig::new([4, 4]),
        )
    };
    TrainData {
        train: dataset(dir.join("train.csv")),
        valid: dataset(dir.join("valid.csv")),
        image_shape: [1, SIZE as usize, SIZE as usize],
        grid: [4, 4],
    }
}

/// Adam 0.01, batch 4, seed 7.
pub fn recipe(epochs: usize) -> TrainingConfig {
    TrainingConfig::paper()
        .with_optimizer(Optimizer::Adam { weight_decay: 0.0 })
        .with_schedule(Schedule::Constant)
        .with_learning_rate(0.01)
        .with_batch_size(4)
        .with_epochs(epochs)
        .with_seed(7)
}
