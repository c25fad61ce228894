//! Run with: `cargo bench --bench explain`
//!
//! Time per batch of each CAM-family method of `cyborg::models::explain` on the CPU (flex)
//! backend, maps post-processed as pytorch-grad-cam does (ReLU, min-max) at the feature grid:
//!
//! - `small_cnn`: the small CNN (width 16, 64 CAM channels) at 28×28, batch 64, every method
//!   (Score-CAM runs 64 × 64 masked forward passes, in batches of 64); `small_cnn_sess` (SESS
//!   around Grad-CAM, batch 8) and `small_cnn_full_grad` (batch 64);
//! - `resnet18`: full-size ResNet-18 at 224×224, batch 8, every method but Score-CAM (512
//!   masked forward passes per image at 224×224 is minutes on a CPU).
//!
//! Each includes the model's forward pass, so `cam` is essentially the cost of the forward and
//! the difference of the others from it is the method's own cost. Deterministic inputs
//! (seeded). Results are in docs/benchmarks.md.

use burn::prelude::*;
use burn::tensor::Distribution;
use cyborg::models::{
    CamMethod, ExplainConfig, ResNet, ResNetConfig, SessConfig, SmallCnn, SmallCnnConfig, Target,
    explain, full_grad, sess,
};

fn main() {
    divan::main();
}

const SMALL: [&str; 15] = [
    "cam",
    "gradcam",
    "gradcam++",
    "xgradcam",
    "hirescam",
    "layercam",
    "eigencam",
    "gradcamelementwise",
    "kpcacam",
    "eigengradcam",
    "segeigencam",
    "ablationcam",
    "fem",
    "randomcam",
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

/// SESS around Grad-CAM (default settings: about 120 windows per image), batch 8.
#[divan::bench(sample_count = 5)]
fn small_cnn_sess(bencher: divan::Bencher) {
    let device = Device::flex();
    device.seed(0);
    let model: SmallCnn = SmallCnnConfig::new(10).init(&device);
    let (images, target) = inputs([8, 1, 28, 28], &device);
    let (config, sess_config) = (ExplainConfig::new(), SessConfig::new());
    let method = CamMethod::Gradient(cyborg::cam::GradientCam::GradCam);
    bencher.bench_local(|| {
        sess(
            &model,
            images.clone(),
            method,
            &target,
            &config,
            &sess_config,
        )
        .expect("valid input")
        .into_data()
    });
}

/// FullGrad (a forward and a backward of the whole network on autodiff), batch 64.
#[divan::bench(sample_count = 10)]
fn small_cnn_full_grad(bencher: divan::Bencher) {
    let device = Device::flex();
    device.seed(0);
    let model: SmallCnn = SmallCnnConfig::new(10).init(&device);
    let (images, target) = inputs([64, 1, 28, 28], &device);
    bencher.bench_local(|| {
        full_grad(&model, images.clone(), &target)
            .expect("valid input")
            .into_data()
    });
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
