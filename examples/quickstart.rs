//! cargo run --release --example quickstart
//!
//! Trains the same tiny CAM network twice on a generated shortcut task, once with
//! cross-entropy alone (α = 1) and once with the CYBORG loss (α = 0.5), and prints how each
//! does on a test set where the shortcut no longer holds. Runs in well under a minute on two
//! CPU cores, with no files and no downloads.
//!
//! The task (see `cyborg::toy`): a faint bar, horizontal or vertical, decides the class; a
//! bright square in the margin predicts the class in training only. The human saliency map
//! marks the bar.

use std::time::Instant;

use burn::prelude::*;
use cyborg::loss::CyborgLossConfig;
use cyborg::toy::{ShortcutTaskConfig, ToyTrainingConfig, evaluate_toy, train_toy};

fn main() {
    let device = Device::flex().autodiff();
    let task = ShortcutTaskConfig::new().generate();
    println!(
        "Shortcut task: {} training and {} test images of {}×{} (seed 0)",
        task.train.len(),
        task.test.len(),
        task.train.image_size,
        task.train.image_size
    );
    let train = task.train.to_tensors(&device);
    let test = task.test.to_tensors(&device);

    let mut rows = Vec::new();
    for (name, alpha) in [("cross-entropy (α = 1)", 1.0), ("CYBORG (α = 0.5)", 0.5)] {
        println!("\nTraining with {name}");
        let config = ToyTrainingConfig::new(CyborgLossConfig::new().with_alpha(alpha));
        let start = Instant::now();
        let (model, _) = train_toy(&config, &train, &device, |s| {
            println!(
                "  epoch {:>2}/{}  loss {:.4}  CE {:.4}  saliency {:.4}",
                s.epoch, config.epochs, s.total, s.cross_entropy, s.saliency
            );
        });
        let seconds = start.elapsed().as_secs_f32();
        rows.push((
            name,
            evaluate_toy(&model, &train),
            evaluate_toy(&model, &test),
            seconds,
        ));
    }

    println!(
        "\n| loss                  | train acc | test acc | test CAM mass on the bar | time |"
    );
    println!("|-----------------------|-----------|----------|--------------------------|------|");
    for (name, train, test, seconds) in &rows {
        println!(
            "| {name:<21} | {:>9.3} | {:>8.3} | {:>24.3} | {seconds:>3.0} s |",
            train.accuracy, test.accuracy, test.cam_mass_inside
        );
    }
}
