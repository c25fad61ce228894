//! Run with: `cargo bench --bench loss`
//!
//! Forward + backward of the classifier head's loss on the CPU (flex) backend, B = 64 images,
//! C = 512 feature channels, two classes, 7×7 and 14×14 CAM grids (224×224 saliency maps
//! area-averaged on the device), from leaf features and class weights:
//!
//! - `cross_entropy`: global average pooling → linear head → cross-entropy, what a plain
//!   training step computes after the backbone;
//! - `cyborg`: the same head and the CYBORG loss (α = 0.5, MSE, label CAM);
//! - `masked`: the same head and the masked raw-CAM loss.
//!
//! The difference between the rows is the cost the saliency term adds to a training step
//! (before the backbone's own forward and backward, which dominate real steps).
//! Results are recorded in docs/benchmarks.md.

use burn::prelude::*;
use burn::tensor::Distribution;
use cyborg::cam::global_average_pool;
use cyborg::loss::{CyborgLossConfig, CyborgLossOutput, MaskedCamLossConfig, SaliencyLoss};

const BATCH: usize = 64;
const CHANNELS: usize = 512;
const CLASSES: usize = 2;
const GRIDS: [usize; 2] = [7, 14];

fn main() {
    divan::main();
}

struct Inputs {
    features: Tensor<4>,
    weights: Tensor<2>,
    labels: Tensor<1, Int>,
    saliency: Tensor<3>,
}

fn inputs(grid: usize) -> Inputs {
    let device = Device::flex().autodiff();
    device.seed(0);
    Inputs {
        features: Tensor::random(
            [BATCH, CHANNELS, grid, grid],
            Distribution::Default,
            &device,
        ),
        weights: Tensor::random(
            [CLASSES, CHANNELS],
            Distribution::Normal(0.0, 0.05),
            &device,
        ),
        labels: Tensor::<1, Int>::arange(0..BATCH as i64, &device).remainder_scalar(2),
        saliency: Tensor::random([BATCH, 224, 224], Distribution::Default, &device),
    }
}

/// Leaf copies, the head's logits, and the loss; then backward.
fn step(i: &Inputs, loss: impl Fn(Tensor<2>, Tensor<4>, Tensor<2>) -> Tensor<1>) {
    let features = i.features.clone().detach().require_grad();
    let weights = i.weights.clone().detach().require_grad();
    let pooled = global_average_pool(features.clone());
    let logits = pooled.matmul(weights.clone().transpose());
    let grads = loss(logits, features.clone(), weights.clone()).backward();
    divan::black_box(features.grad(&grads));
    divan::black_box(weights.grad(&grads));
}

#[divan::bench(args = GRIDS, sample_count = 20)]
fn cross_entropy(bencher: divan::Bencher, grid: usize) {
    let i = inputs(grid);
    let ce = burn::nn::loss::CrossEntropyLoss::new(None, &i.features.device());
    bencher.bench_local(|| step(&i, |logits, _, _| ce.forward(logits, i.labels.clone())));
}

#[divan::bench(args = GRIDS, sample_count = 20)]
fn cyborg(bencher: divan::Bencher, grid: usize) {
    let i = inputs(grid);
    let loss = CyborgLossConfig::new().init();
    let total = |out: CyborgLossOutput| out.total;
    bencher.bench_local(|| {
        step(&i, |logits, features, weights| {
            total(loss.forward(
                logits,
                features,
                weights,
                i.labels.clone(),
                i.saliency.clone(),
            ))
        })
    });
}

#[divan::bench(args = GRIDS, sample_count = 20)]
fn masked(bencher: divan::Bencher, grid: usize) {
    let i = inputs(grid);
    let loss = MaskedCamLossConfig::new().init();
    bencher.bench_local(|| {
        step(&i, |logits, features, weights| {
            loss.forward(
                logits,
                features,
                weights,
                i.labels.clone(),
                i.saliency.clone(),
            )
            .total
        })
    });
}
