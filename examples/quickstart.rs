//! cargo run --release --example quickstart
//!
//! Trains the same tiny CAM network on a generated shortcut task with cross-entropy alone
//! (α = 1), with the CYBORG loss (α = 0.5) and with the masked raw-CAM loss, for several
//! seeds, and prints how each does on a test set where the shortcut no longer holds. About half a minute on two CPU cores once
//! built, with no files and no downloads.
//!
//! The task (see `cyborg::toy`): a faint bar, horizontal or vertical, decides the class; a
//! bright square in the margin predicts the class in training only. The human saliency map
//! marks the bar.

use std::time::Instant;

use burn::prelude::*;
use cyborg::loss::{CamMap, CyborgLossConfig};
use cyborg::toy::{
    ShortcutTaskConfig, ToyEvaluation, ToyLoss, ToyTrainingConfig, evaluate_toy, train_toy,
};

const SEEDS: u64 = 5;
const EPOCHS: usize = 10;

fn main() {
    let device = Device::flex().autodiff();
    let methods = [
        ("cross-entropy (α = 1)", ToyLoss::cyborg(1.0)),
        ("CYBORG (α = 0.5)", ToyLoss::cyborg(0.5)),
        (
            "CYBORG, contrast (α = 0.5)",
            ToyLoss::Cyborg(
                CyborgLossConfig::new()
                    .with_alpha(0.5)
                    .with_cam_map(CamMap::Contrast),
            ),
        ),
        ("masked raw CAM (λ = 1)", ToyLoss::masked(1.0)),
    ];
    let mut results: Vec<Vec<ToyEvaluation>> = vec![Vec::new(); methods.len()];
    let start = Instant::now();
    for seed in 0..SEEDS {
        let task = ShortcutTaskConfig::new().with_seed(seed).generate();
        let train = task.train.to_tensors(&device);
        let test = task.test.to_tensors(&device);
        println!(
            "seed {seed}: {} training, {} test images of {}×{}",
            task.train.len(),
            task.test.len(),
            task.train.image_size,
            task.train.image_size
        );
        for ((name, loss), results) in methods.iter().zip(results.iter_mut()) {
            let config = ToyTrainingConfig::new(loss.clone())
                .with_epochs(EPOCHS)
                .with_seed(seed);
            let (model, history) = train_toy(&config, &train, &device, |_| {});
            let last = history.last().expect("at least one epoch");
            let eval = evaluate_toy(&model, &test);
            println!(
                "  {name:<26}  final CE {:.3}  saliency {:.3}  ->  test accuracy {:.3}, \
                 CAM mass on the bar {:.3}",
                last.cross_entropy, last.saliency, eval.accuracy, eval.cam_mass_inside
            );
            results.push(eval);
        }
    }

    println!(
        "\nTest set, shortcut removed ({SEEDS} seeds, mean ± std, {:.0} s in all):\n",
        start.elapsed().as_secs_f32()
    );
    println!("| loss                       | test accuracy | CAM mass on the bar |");
    println!("|----------------------------|---------------|---------------------|");
    for ((name, _), results) in methods.iter().zip(&results) {
        let (acc, acc_sd) = mean_std(results.iter().map(|r| r.accuracy));
        let (mass, mass_sd) = mean_std(results.iter().map(|r| r.cam_mass_inside));
        println!("| {name:<26} | {acc:.3} ± {acc_sd:.3} | {mass:>11.3} ± {mass_sd:.3} |");
    }
}

fn mean_std(values: impl Iterator<Item = f32> + Clone) -> (f32, f32) {
    let n = values.clone().count() as f32;
    let mean = values.clone().sum::<f32>() / n;
    let var = values.map(|v| (v - mean).powi(2)).sum::<f32>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}
