//! The CAM family against pytorch-grad-cam (`tests/fixtures/gen_cam_reference.py`) on the thin
//! ResNet of `resnet_basic.safetensors`, plus the identities that hold for a global average
//! pooling + linear head, targets, the faithfulness measures (confidence drop, ROAD) and the
//! errors of bad input.

mod common;

use std::sync::Arc;

use burn::prelude::*;
use burn::tensor::activation::softmax;
use cam::{CamNormalization, GradientCam};
use common::{assert_matches_reference, fixture, fixture_key, probe_input};
use cyborg_cam as cam;
use cyborg_models::{
    CamMethod, ExplainConfig, ExplainError, ImportOptions, ResNet, ResNetConfig, RoadConfig,
    RoadError, SessConfig, SessPool, Target, confidence_drop, explain, full_grad,
    load_pytorch_weights, road, sess, try_explain, try_road,
};
use cyborg_testing::{compare_slices, to_f64_vec};

const INPUT: [usize; 4] = [2, 3, 128, 128];

fn model() -> ResNet {
    let device = Device::flex();
    let model = ResNetConfig::new([2, 1, 1, 1], false)
        .with_num_classes(3)
        .with_width(4)
        .init(&device);
    load_pytorch_weights(
        model,
        fixture("resnet_basic.safetensors"),
        &ImportOptions::default(),
    )
    .expect("fixture weights")
    .0
}

fn raw() -> ExplainConfig {
    ExplainConfig::new().with_normalization(CamNormalization::None)
}

fn classes() -> Target {
    Target::Classes(Tensor::from_ints([0, 2], &Device::flex()))
}

fn assert_same(what: &str, a: Tensor<3>, b: Tensor<3>) {
    assert_eq!(a.dims(), b.dims(), "{what}");
    compare_slices(what, &to_f64_vec(a), &to_f64_vec(b), 1e-4, 1e-5);
}

#[test]
fn every_method_matches_pytorch_grad_cam() {
    let model = model();
    let x = probe_input(INPUT, &Device::flex());
    let features = model.forward_classified(x.clone()).features;
    assert_matches_reference("cam_methods", "activations", features);
    // Every method but CAM (the identities below) and the random one.
    let methods = CamMethod::ALL
        .into_iter()
        .filter(|method| !matches!(method, CamMethod::Cam | CamMethod::RandomCam));
    for method in methods {
        let maps = explain(&model, x.clone(), method, &classes(), &raw());
        assert_matches_reference("cam_methods", &fixture_key(method), maps);
    }
}

/// pytorch-grad-cam's `eigen_smooth`: the projection of each method's weighted activations.
#[test]
fn eigen_smooth_matches_pytorch_grad_cam() {
    let model = model();
    let x = probe_input(INPUT, &Device::flex());
    let smooth = raw().with_eigen_smooth(true);
    for (method, key) in [
        (CamMethod::Gradient(GradientCam::GradCam), "gradcam_eigen"),
        (
            CamMethod::Gradient(GradientCam::GradCamPlusPlus),
            "gradcampp_eigen",
        ),
        (CamMethod::Gradient(GradientCam::HiResCam), "hirescam_eigen"),
        (CamMethod::Gradient(GradientCam::LayerCam), "layercam_eigen"),
        (
            CamMethod::Gradient(GradientCam::ElementWise),
            "gradcamelementwise_eigen",
        ),
        (CamMethod::AblationCam, "ablationcam_eigen"),
        (CamMethod::ScoreCam, "scorecam_eigen"),
    ] {
        let maps = explain(&model, x.clone(), method, &classes(), &smooth);
        assert_matches_reference("cam_methods", key, maps);
    }
    // The projections are projections already; CAM's is Grad-CAM's times h·w (16).
    for method in [
        CamMethod::EigenCam,
        CamMethod::KpcaCam,
        CamMethod::EigenGradCam,
    ] {
        assert_same(
            &format!("{method} with eigen_smooth"),
            explain(&model, x.clone(), method, &classes(), &smooth),
            explain(&model, x.clone(), method, &classes(), &raw()),
        );
    }
    let grad_cam = CamMethod::Gradient(GradientCam::GradCam);
    assert_same(
        "smoothed CAM vs smoothed Grad-CAM · 16",
        explain(&model, x.clone(), CamMethod::Cam, &classes(), &smooth),
        explain(&model, x, grad_cam, &classes(), &smooth).mul_scalar(16.0),
    );
}

/// pytorch-grad-cam's `aug_smooth`: finished maps (ReLU, min-max, at the image size) averaged
/// over the image mirrored or not × intensities 0.9, 1 and 1.1.
#[test]
fn aug_smooth_matches_pytorch_grad_cam() {
    let model = model();
    let x = probe_input(INPUT, &Device::flex());
    let config = ExplainConfig::new()
        .with_upsample(true)
        .with_aug_smooth(true);
    for (kind, key) in [
        (GradientCam::GradCam, "gradcam_aug"),
        (GradientCam::LayerCam, "layercam_aug"),
    ] {
        let maps = explain(
            &model,
            x.clone(),
            CamMethod::Gradient(kind),
            &classes(),
            &config,
        );
        assert_matches_reference("cam_methods", key, maps);
    }
}

/// Finer-CAM: Grad-CAM of `FinerWeightedTarget` with the targets `FinerCAM` picks when given
/// none (the predicted class against the two others of this three-class model), raw and
/// through the whole pipeline (`FinerCAM(model, [layer4])(x)`).
#[test]
fn the_finer_target_matches_pytorch_grad_cams_finer_cam() {
    let model = model();
    let x = probe_input(INPUT, &Device::flex());
    let grad_cam = CamMethod::Gradient(GradientCam::GradCam);
    let maps = explain(&model, x.clone(), grad_cam, &Target::finer(), &raw());
    assert_matches_reference("cam_methods", "finercam", maps);
    let finished = ExplainConfig::new().with_upsample(true);
    let maps = explain(&model, x, grad_cam, &Target::finer(), &finished);
    assert_matches_reference("cam_methods", "finercam_full", maps);
}

/// FullGrad: the input-gradient term and the bias-gradient term of every batch norm of the
/// thin ResNet, through `cyborg-ops`' taps.
#[test]
fn full_grad_matches_pytorch_grad_cam() {
    let model = model();
    let x = probe_input(INPUT, &Device::flex());
    let maps = full_grad(&model, x, &classes()).unwrap();
    assert_matches_reference("cam_methods", "fullgrad", maps);
}

/// Sobel-CAM (the model-free baseline) of clip((probe + 1.5) / 3, 0, 1) against OpenCV's
/// through pytorch-grad-cam's `sobel_cam`.
#[test]
fn sobel_cam_matches_opencv() {
    let device = Device::flex();
    let pixels = probe_input([2, 3, 40, 48], &device)
        .add_scalar(1.5)
        .div_scalar(3.0)
        .clamp(0.0, 1.0);
    assert_matches_reference("cam_methods", "sobel", cam::sobel_cam(pixels));
}

/// SESS over the thin ResNet: Grad-CAM windows at three scales fused by their mean and
/// blurred; LayerCAM windows at two scales with overlapping steps, the lower half of the
/// windows dropped, fused by their maximum.
#[test]
fn sess_matches_pytorch_grad_cam() {
    let model = model();
    let x = probe_input(INPUT, &Device::flex());
    let config = ExplainConfig::new();
    let mean = SessConfig::new().with_num_scales(3);
    let grad_cam = CamMethod::Gradient(GradientCam::GradCam);
    let maps = sess(&model, x.clone(), grad_cam, &classes(), &config, &mean).unwrap();
    assert_matches_reference("cam_methods", "sess_mean", maps);
    let max = SessConfig::new()
        .with_num_scales(2)
        .with_step_size(Some(64))
        .with_pool(SessPool::Max)
        .with_pre_filter_ratio(0.5)
        .with_smooth(false);
    let layer_cam = CamMethod::Gradient(GradientCam::LayerCam);
    let maps = sess(&model, x.clone(), layer_cam, &classes(), &config, &max).unwrap();
    assert_matches_reference("cam_methods", "sess_max", maps);
    // A scale under the window, a ratio of 1, a custom score: errors.
    let small = SessConfig::new().with_scales(Some(vec![64]));
    assert!(matches!(
        sess(&model, x.clone(), grad_cam, &classes(), &config, &small),
        Err(ExplainError::Sess(_))
    ));
    let all = SessConfig::new().with_pre_filter_ratio(1.0);
    assert!(matches!(
        sess(&model, x.clone(), grad_cam, &classes(), &config, &all),
        Err(ExplainError::Sess(_))
    ));
    assert!(matches!(
        sess(&model, x, grad_cam, &Target::finer(), &config, &mean),
        Err(ExplainError::Unsupported { .. })
    ));
}

#[test]
fn the_predicted_class_target_matches_pytorch_grad_cams_default() {
    let model = model();
    let x = probe_input(INPUT, &Device::flex());
    let grad_cam = CamMethod::Gradient(GradientCam::GradCam);
    let maps = explain(&model, x, grad_cam, &Target::Predicted, &raw());
    assert_matches_reference("cam_methods", "gradcam_predicted", maps);
}

/// With global average pooling and a linear head, ∂logit_c/∂A_k = W[c, k] / (h·w) everywhere:
/// Grad-CAM and HiResCAM are CAM divided by h·w (16 here), equal after min-max scaling.
#[test]
fn grad_cam_and_hires_cam_are_cam_for_a_pooled_linear_head() {
    let model = model();
    let x = probe_input(INPUT, &Device::flex());
    let cam = explain(&model, x.clone(), CamMethod::Cam, &classes(), &raw());
    for kind in [GradientCam::GradCam, GradientCam::HiResCam] {
        let maps = explain(
            &model,
            x.clone(),
            CamMethod::Gradient(kind),
            &classes(),
            &raw(),
        );
        assert_same(
            &format!("{kind:?} · 16 vs CAM"),
            maps.mul_scalar(16.0),
            cam.clone(),
        );
    }
    let scaled = ExplainConfig::new().with_normalization(CamNormalization::MinMax);
    let grad_cam = CamMethod::Gradient(GradientCam::GradCam);
    assert_same(
        "min-max Grad-CAM vs min-max CAM",
        explain(&model, x.clone(), grad_cam, &classes(), &scaled),
        explain(&model, x, CamMethod::Cam, &classes(), &scaled),
    );
}

/// A custom score that is linear in the logits gives the same linear mix of class CAMs.
#[test]
fn a_logit_difference_score_gives_the_difference_of_cams() {
    let model = model();
    let device = Device::flex();
    let x = probe_input(INPUT, &device);
    let difference = Target::Score(Arc::new(|logits: Tensor<2>| {
        let [batch, _] = logits.dims();
        (logits.clone().narrow(1, 0, 1) - logits.narrow(1, 1, 1)).reshape([batch])
    }));
    let maps = explain(&model, x.clone(), CamMethod::Cam, &difference, &raw());
    let cam_of = |class: i32| {
        let target = Target::Classes(Tensor::from_ints([class, class], &device));
        explain(&model, x.clone(), CamMethod::Cam, &target, &raw())
    };
    assert_same("CAM of logit0 − logit1", maps, cam_of(0) - cam_of(1));
}

#[test]
fn score_cam_does_not_depend_on_its_batch_size() {
    let model = model();
    let x = probe_input(INPUT, &Device::flex());
    let small_batches = raw().with_score_cam_batch_size(5);
    let maps = explain(&model, x, CamMethod::ScoreCam, &classes(), &small_batches);
    assert_matches_reference("cam_methods", "scorecam", maps);
}

#[test]
fn upsampled_scaled_maps_span_zero_to_one_at_the_image_size() {
    let model = model();
    let x = probe_input(INPUT, &Device::flex());
    let config = ExplainConfig::new().with_upsample(true);
    for method in CamMethod::ALL {
        let maps = explain(&model, x.clone(), method, &classes(), &config);
        assert_eq!(maps.dims(), [2, 128, 128], "{method}");
        let values = to_f64_vec(maps);
        let (min, max) = values
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        assert!(
            min.abs() < 1e-6 && (max - 1.0).abs() < 1e-6,
            "{method}: {min}..{max}"
        );
    }
}

#[test]
fn cam_through_explain_stays_differentiable() {
    let device = Device::flex().autodiff();
    let model = ResNetConfig::new([1, 1, 1, 1], false)
        .with_num_classes(3)
        .with_width(4)
        .init(&device);
    let x = probe_input([1, 3, 64, 64], &device);
    let target = Target::Classes(Tensor::from_ints([1], &device));
    let maps = explain(&model, x, CamMethod::Cam, &target, &raw());
    let grads = maps.sum().backward();
    let head = model.fc.weight.val().grad(&grads).expect("head gradient");
    let norm: f32 = head.abs().sum().into_scalar();
    assert!(norm > 0.0 && norm.is_finite());
}

/// Removing every pixel replaces each image by its channel means: the drop is then exactly
/// p(image) − p(mean image).
#[test]
fn confidence_drop_with_everything_removed_by_hand() {
    let model = model();
    let device = Device::flex();
    let x = probe_input(INPUT, &device);
    let maps = Tensor::<3>::ones([2, 128, 128], &device);
    let drop = confidence_drop(&model, x.clone(), maps, &classes(), 1.0);
    let means = x
        .clone()
        .reshape([2, 3, 128 * 128])
        .mean_dim(2)
        .reshape([2, 3, 1, 1])
        .expand([2, 3, 128, 128]);
    let p = |images: Tensor<4>| {
        softmax(model.forward(images), 1)
            .gather(
                1,
                Tensor::<1, Int>::from_ints([0, 2], &device).reshape([2, 1]),
            )
            .reshape([2])
    };
    let expected = p(x) - p(means);
    compare_slices("drop", &to_f64_vec(drop), &to_f64_vec(expected), 1e-5, 1e-6);
}

/// `road_map` of gen_cam_reference.py: `1 − d / max(d)`, `d` the squared distance to a point
/// that differs per image, in f32.
fn road_map(batch: usize, side: usize) -> Tensor<3> {
    let mut values = Vec::with_capacity(batch * side * side);
    for i in 0..batch as i64 {
        let d: Vec<f32> = (0..side as i64)
            .flat_map(|r| {
                (0..side as i64)
                    .map(move |c| ((r - 40 - 20 * i).pow(2) + (c - 70 + 10 * i).pow(2)) as f32)
            })
            .collect();
        let max = d.iter().cloned().fold(f32::MIN, f32::max);
        values.extend(d.iter().map(|v| 1.0 - v / max));
    }
    Tensor::<1>::from_floats(values.as_slice(), &Device::flex()).reshape([batch, side, side])
}

/// ROAD against pytorch-grad-cam's metrics (noise 0: its draws cannot be shared) to 1e-3.
#[test]
fn road_matches_pytorch_grad_cam() {
    let model = model();
    let x = probe_input(INPUT, &Device::flex());
    let config = RoadConfig::new()
        .with_percentiles(vec![20.0, 50.0, 80.0])
        .with_noise(0.0);
    let scores = road(&model, x.clone(), road_map(2, 128), &classes(), &config);
    for (key, values) in [
        ("road_morf", &scores.most_relevant_first),
        ("road_lerf", &scores.least_relevant_first),
        ("road_combined", &scores.combined),
    ] {
        let (_, expected) = common::reference("cam_methods", key);
        compare_slices(key, values, &expected, 1e-3, 1e-3);
    }
    // With noise (at one percentile), a seed gives the same scores again, and they stay near
    // the noiseless ones.
    let one = RoadConfig::new().with_percentiles(vec![50.0]);
    let noiseless = road(
        &model,
        x.clone(),
        road_map(2, 128),
        &classes(),
        &one.clone().with_noise(0.0),
    );
    let noisy = one.with_noise(0.01).with_seed(3);
    let first = road(&model, x.clone(), road_map(2, 128), &classes(), &noisy);
    assert_eq!(first, road(&model, x, road_map(2, 128), &classes(), &noisy));
    assert_ne!(first, noiseless);
    compare_slices(
        "noisy ROAD",
        &first.combined,
        &noiseless.combined,
        0.05,
        0.05,
    );
}

/// Random-CAM has no reference (pytorch-grad-cam draws from NumPy's global generator): its
/// maps are a seeded, per-image channel weighting of the features.
#[test]
fn random_cam_is_a_seeded_channel_weighting() {
    let model = model();
    let x = probe_input(INPUT, &Device::flex());
    let with_seed = |seed| {
        let config = raw().with_random_seed(seed);
        explain(&model, x.clone(), CamMethod::RandomCam, &classes(), &config)
    };
    let maps = with_seed(4);
    assert_same("Random-CAM, same seed", maps.clone(), with_seed(4));
    let other = to_f64_vec(with_seed(5));
    assert_ne!(to_f64_vec(maps.clone()), other);
    // A weighted sum of the channels: inside ±(the channel sum of |A|) everywhere.
    let features = model.forward_classified(x).features;
    let bound = to_f64_vec(features.abs().sum_dim(1));
    for (v, b) in to_f64_vec(maps).iter().zip(&bound) {
        assert!(v.abs() <= b + 1e-5, "{v} beyond {b}");
    }
}

#[test]
fn bad_input_is_an_error_naming_the_value() {
    let model = model();
    let device = Device::flex();
    let x = probe_input(INPUT, &device);
    let grad_cam = CamMethod::Gradient(GradientCam::GradCam);
    let config = ExplainConfig::new();
    let with = |classes: &[i32]| Target::Classes(Tensor::from_ints(classes, &device));
    let error = try_explain(&model, x.clone(), grad_cam, &with(&[0, 3]), &config).unwrap_err();
    assert_eq!(
        error,
        ExplainError::ClassOutOfRange {
            image: 1,
            class: 3,
            classes: 3
        }
    );
    assert!(
        error.to_string().contains("target class 3 of image 1"),
        "{error}"
    );
    let error = try_explain(&model, x.clone(), grad_cam, &with(&[0, -1]), &config).unwrap_err();
    assert!(matches!(
        error,
        ExplainError::ClassOutOfRange { class: -1, .. }
    ));
    assert_eq!(
        try_explain(&model, x.clone(), grad_cam, &with(&[0]), &config).unwrap_err(),
        ExplainError::TargetCount { given: 1, batch: 2 }
    );
    let zero = ExplainConfig::new().with_score_cam_batch_size(0);
    assert_eq!(
        try_explain(&model, x.clone(), CamMethod::ScoreCam, &classes(), &zero).unwrap_err(),
        ExplainError::ZeroSetting("score_cam_batch_size")
    );
    let empty = Tensor::<4>::zeros([0, 3, 128, 128], &device);
    assert!(matches!(
        try_explain(&model, empty, grad_cam, &Target::Predicted, &config),
        Err(ExplainError::EmptyImages([0, 3, 128, 128]))
    ));
    // ROAD's input.
    let maps = road_map(2, 128);
    let road_with = |config: RoadConfig, maps: Tensor<3>, target: &Target| {
        try_road(&model, x.clone(), maps, target, &config).unwrap_err()
    };
    assert_eq!(
        road_with(
            RoadConfig::new().with_percentiles(vec![]),
            maps.clone(),
            &classes()
        ),
        RoadError::NoPercentiles
    );
    assert_eq!(
        road_with(
            RoadConfig::new().with_percentiles(vec![50.0, 100.0]),
            maps.clone(),
            &classes()
        ),
        RoadError::Percentile(100.0)
    );
    assert_eq!(
        road_with(RoadConfig::new(), road_map(2, 64), &classes()),
        RoadError::Shape {
            maps: [2, 64, 64],
            images: [2, 3, 128, 128]
        }
    );
    let score = Target::Score(Arc::new(|logits: Tensor<2>| {
        logits.sum_dim(1).squeeze_dim(1)
    }));
    assert_eq!(
        road_with(RoadConfig::new(), maps, &score),
        RoadError::CustomScore
    );
    // Good input: the same maps as explain.
    assert_same(
        "try_explain vs explain",
        try_explain(&model, x.clone(), grad_cam, &classes(), &config).unwrap(),
        explain(&model, x, grad_cam, &classes(), &config),
    );
}

#[test]
fn method_names_round_trip() {
    for method in CamMethod::ALL {
        assert_eq!(method.name().parse::<CamMethod>(), Ok(method));
    }
    assert_eq!(
        "Grad-CAM++".parse::<CamMethod>(),
        Ok(CamMethod::Gradient(GradientCam::GradCamPlusPlus))
    );
    assert_eq!(
        "GradCAMElementWise".parse::<CamMethod>(),
        Ok(CamMethod::Gradient(GradientCam::ElementWise))
    );
    assert_eq!(
        "EigenGradCAM".parse::<CamMethod>(),
        Ok(CamMethod::EigenGradCam)
    );
    let error = "gradcam+".parse::<CamMethod>().unwrap_err().to_string();
    assert!(
        error.contains("\"gradcam+\"") && error.contains("ablationcam, scorecam"),
        "{error}"
    );
}
