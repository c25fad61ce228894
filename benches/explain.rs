//! Run with: `cargo bench --bench explain`
//!
//! Time per batch of each CAM-family method of `cyborg::models::explain` on the CPU (flex)
//! backend, maps post-processed as pytorch-grad-cam does (ReLU, min-max) at the feature grid:
//!
//! - `small_cnn`: the small CNN (width 16, 64 CAM channels) at 28×28, batch 64, every method
//!   (Score-CAM runs 64 × 64 masked forward passes, in batches of 64);
//! - `resnet18`: full-size ResNet-18 at 224×224, batch 8, every method but Score-CAM (512
//!   masked forward passes per image at 224×224 is minutes on a CPU).
//!
//! Each includes the model's forward pass, so `cam` is essentially the cost of the forward and
//! the difference of the others from it is the method's own cost. Deterministic inputs
//! (seeded). Results are in docs/benchmarks.md.

use burn::prelude::*;
use burn::tensor::Distribution;
use cyborg::models::{
    CamMethod, ExplainConfig, ResNet, ResNetConfig, SmallCnn, SmallCnnConfig, Target, explain,
};

fn main() {
    divan::main();
}

const SMALL: [&str; 8] = [
    "cam",
    "gradcam",
    "gradcam++",
    "xgradcam",
    "hirescam",
    "layercam",
    "eigencam",
    "scorecam",
];

fn inputs(shape: [usize; 4], device: &Device) -> (Tensor<4>, Target) {
    device.seed(1);
    let images = Tensor::random(shape, Distribution::Normal(0.0, 1.0), device);
    let classes: Vec<i64> = (0..shape[0] as i64).map(|i| i % 2).collect();
    let target = Target::Classes(Tensor::from_ints(classes.as_slice(), device));
    (images, target)
}

#[divan::bench(args = SMALL, sample_count = 10)]
fn small_cnn(bencher: divan::Bencher, method: &str) {
    let method: CamMethod = method.parse().expect("known method");
    let device = Device::flex();
    device.seed(0);
    let model: SmallCnn = SmallCnnConfig::new(10).init(&device);
    let (images, target) = inputs([64, 1, 28, 28], &device);
    let config = ExplainConfig::new().with_score_cam_batch_size(64);
    bencher.bench_local(|| explain(&model, images.clone(), method, &target, &config).into_data());
}

#[divan::bench(args = &SMALL[..7], sample_count = 5)]
fn resnet18(bencher: divan::Bencher, method: &str) {
    let method: CamMethod = method.parse().expect("known method");
    let device = Device::flex();
    device.seed(0);
    let model: ResNet = ResNetConfig::resnet18(1000).init(&device);
    let (images, target) = inputs([8, 3, 224, 224], &device);
    let config = ExplainConfig::new();
    bencher.bench_local(|| explain(&model, images.clone(), method, &target, &config).into_data());
}
