//! The CAM and the losses on wgpu agree with the CPU (flex) backend and with PyTorch.
//!
//! Run with `cargo test --features wgpu --test wgpu_backend`. Without a GPU, Mesa's software
//! Vulkan driver (lavapipe, Debian's `mesa-vulkan-drivers`) is a real wgpu adapter of kind
//! CPU; the tests ask for it explicitly, since `Device::default()` skips software adapters.
//! Set `CYBORG_WGPU_DEVICE=discrete` to test a discrete GPU instead. All tests live in this
//! one binary with small shapes: each cold process compiles its kernels once.
#![cfg(feature = "wgpu")]

use burn::prelude::*;
use burn::tensor::{DeviceKind, TensorData};
use cyborg::cam::{class_activation_maps, normalize_min_max, upsample_bilinear};
use cyborg::data::SplitMix64;
use cyborg::loss::{
    AnnotatedRegion, CyborgLossConfig, MaskedCamLossConfig, SaliencyDistance, SaliencyLoss,
    SaliencyLossOutput,
};
use cyborg_testing::{Fixture, assert_close, compare_slices, to_f64_vec};

fn wgpu_device() -> Device {
    match std::env::var("CYBORG_WGPU_DEVICE").as_deref() {
        Ok("discrete") => Device::wgpu(DeviceKind::DiscreteGpu(0)),
        _ => Device::wgpu(DeviceKind::Cpu),
    }
}

/// Host data drawn from a seed, identical on both backends.
fn host(rng: &mut SplitMix64, shape: &[usize], scale: f32, offset: f32) -> TensorData {
    let n = shape.iter().product();
    let data: Vec<f32> = (0..n).map(|_| rng.next_f32() * scale + offset).collect();
    TensorData::new(data, shape.to_vec())
}

struct HostInputs {
    logits: TensorData,
    features: TensorData,
    weights: TensorData,
    labels: Vec<i64>,
    saliency: TensorData,
}

fn host_inputs() -> HostInputs {
    let mut rng = SplitMix64::new(42);
    HostInputs {
        logits: host(&mut rng, &[4, 3], 4.0, -2.0),
        features: host(&mut rng, &[4, 8, 5, 5], 2.0, 0.0),
        weights: host(&mut rng, &[3, 8], 2.0, -1.0),
        labels: vec![0, 2, 1, 1],
        saliency: host(&mut rng, &[4, 10, 10], 1.0, 0.0),
    }
}

/// The loss and its gradients w.r.t. logits, features and weights, on `device`.
fn loss_and_grads(
    device: &Device,
    h: &HostInputs,
    loss: impl Fn(Tensor<2>, Tensor<4>, Tensor<2>, Tensor<1, Int>, Tensor<3>) -> SaliencyLossOutput,
) -> Vec<Vec<f64>> {
    let device = device.clone().autodiff();
    let logits = Tensor::<2>::from_data(h.logits.clone(), &device).require_grad();
    let features = Tensor::<4>::from_data(h.features.clone(), &device).require_grad();
    let weights = Tensor::<2>::from_data(h.weights.clone(), &device).require_grad();
    let labels = Tensor::<1, Int>::from_data(TensorData::new(h.labels.clone(), [4]), &device);
    let saliency = Tensor::<3>::from_data(h.saliency.clone(), &device);
    let out = loss(
        logits.clone(),
        features.clone(),
        weights.clone(),
        labels,
        saliency,
    );
    let parts = [&out.total, &out.cross_entropy, &out.saliency].map(|t| to_f64_vec(t.clone()));
    let grads = out.total.backward();
    let mut all = parts.to_vec();
    all.push(to_f64_vec(logits.grad(&grads).expect("leaf")));
    all.push(to_f64_vec(features.grad(&grads).expect("leaf")));
    all.push(to_f64_vec(weights.grad(&grads).expect("leaf")));
    all
}

#[test]
fn losses_agree_with_the_cpu_backend() {
    let gpu = wgpu_device();
    let cpu = Device::flex();
    let h = host_inputs();
    let names = [
        "total",
        "cross_entropy",
        "saliency",
        "d/dlogits",
        "d/dfeatures",
        "d/dweights",
    ];
    for distance in [
        SaliencyDistance::Mse,
        SaliencyDistance::L1,
        SaliencyDistance::Bce,
        SaliencyDistance::Kl,
    ] {
        let loss = CyborgLossConfig::new().with_distance(distance).init();
        let run = |device: &Device| {
            loss_and_grads(device, &h, |l, f, w, y, s| loss.forward(l, f, w, y, s))
        };
        for (name, (g, c)) in names.iter().zip(run(&gpu).iter().zip(run(&cpu).iter())) {
            compare_slices(&format!("{distance:?} {name}"), g, c, 1e-4, 1e-5);
        }
    }
    let masked = MaskedCamLossConfig::new()
        .with_region(AnnotatedRegion::Forbidden)
        .init();
    let run =
        |device: &Device| loss_and_grads(device, &h, |l, f, w, y, s| masked.forward(l, f, w, y, s));
    for (name, (g, c)) in names.iter().zip(run(&gpu).iter().zip(run(&cpu).iter())) {
        compare_slices(&format!("masked {name}"), g, c, 1e-4, 1e-5);
    }
}

#[test]
fn paper_loss_matches_pytorch_on_wgpu() {
    let f = Fixture::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/saliency-loss/tests/fixtures/loss_reference.json"
    ));
    let device = wgpu_device().autodiff();
    let dtype = burn::tensor::DType::F32;
    let logits: Tensor<2> =
        cyborg_testing::tensor_from_json(f.at("/inputs/logits"), &device, dtype).require_grad();
    let features: Tensor<4> =
        cyborg_testing::tensor_from_json(f.at("/inputs/features"), &device, dtype).require_grad();
    let weights: Tensor<2> =
        cyborg_testing::tensor_from_json(f.at("/inputs/class_weights"), &device, dtype)
            .require_grad();
    let labels = cyborg_testing::ints_from_json(f.at("/inputs/labels"), &device);
    let saliency = cyborg_testing::tensor_from_json(f.at("/inputs/saliency"), &device, dtype);
    let expected = f.at("/cases/0/expected");
    assert_eq!(f.at("/cases/0/name"), "paper");
    let out = CyborgLossConfig::new().init().forward(
        logits.clone(),
        features.clone(),
        weights.clone(),
        labels,
        saliency,
    );
    assert_close("total", out.total.clone(), &expected["total"], 1e-5, 1e-5);
    let grads = out.total.backward();
    let grad_features = features.grad(&grads).expect("leaf");
    let grad_logits = logits.grad(&grads).expect("leaf");
    let grad_weights = weights.grad(&grads).expect("leaf");
    assert_close(
        "d/dfeatures",
        grad_features,
        &expected["grad_features"],
        1e-4,
        1e-5,
    );
    assert_close(
        "d/dlogits",
        grad_logits,
        &expected["grad_logits"],
        1e-4,
        1e-5,
    );
    assert_close(
        "d/dweights",
        grad_weights,
        &expected["grad_class_weights"],
        1e-4,
        1e-5,
    );
}

#[test]
fn cam_normalisation_and_upsampling_agree_with_the_cpu_backend() {
    let h = host_inputs();
    let run = |device: &Device| {
        let features = Tensor::<4>::from_data(h.features.clone(), device);
        let weights = Tensor::<2>::from_data(h.weights.clone(), device);
        let labels = Tensor::<1, Int>::from_data(TensorData::new(h.labels.clone(), [4]), device);
        let cam = normalize_min_max(class_activation_maps(features, weights, labels), 1e-8);
        // A constant map must stay finite on every backend.
        let constant = normalize_min_max(Tensor::<3>::ones([2, 3, 3], device), 1e-8);
        [
            to_f64_vec(upsample_bilinear(cam, [16, 16], false)),
            to_f64_vec(constant),
        ]
    };
    let (g, c) = (run(&wgpu_device()), run(&Device::flex()));
    compare_slices("upsampled CAM", &g[0], &c[0], 1e-4, 1e-5);
    compare_slices("constant map", &g[1], &c[1], 0.0, 0.0);
}
