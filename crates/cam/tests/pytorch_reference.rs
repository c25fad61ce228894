//! CAM, normalisation and upsampling against PyTorch (`scripts/gen_reference.py`), plus a
//! finite-difference check of the gradients in f64.
//!
//! The reference, in PyTorch:
//! ```python
//! cam = torch.einsum("bchw,bc->bhw", features, weights[classes])
//! flat = cam.flatten(1); lo = flat.min(1, keepdim=True).values; hi = flat.max(1, keepdim=True).values
//! norm = ((flat - lo) / (hi - lo + 1e-8)).view_as(cam)
//! objective = (norm * probe).sum() + 0.1 * (cam ** 2).sum()
//! F.interpolate(maps[:, None], size=(7, 9), mode="bilinear", align_corners=False)
//! ```

use burn::prelude::*;
use burn::tensor::DType;
use cyborg_cam::{
    all_class_activation_maps, class_activation_maps, normalize_min_max, upsample_bilinear,
};
use cyborg_testing::{
    Fixture, assert_close, compare_slices, finite_difference_gradient, ints_from_json,
    tensor_from_json, to_f64_vec,
};

const REL: f64 = 1e-5;
const ABS: f64 = 1e-5;

fn fixture() -> Fixture {
    Fixture::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cam_reference.json"
    ))
}

struct Inputs {
    features: Tensor<4>,
    weights: Tensor<2>,
    classes: Tensor<1, Int>,
    probe: Tensor<3>,
}

fn inputs(f: &Fixture, device: &Device, dtype: DType) -> Inputs {
    Inputs {
        features: tensor_from_json(f.at("/features"), device, dtype),
        weights: tensor_from_json(f.at("/class_weights"), device, dtype),
        classes: ints_from_json(f.at("/classes"), device),
        probe: tensor_from_json(f.at("/probe"), device, dtype),
    }
}

fn objective(
    features: Tensor<4>,
    weights: Tensor<2>,
    classes: Tensor<1, Int>,
    probe: Tensor<3>,
) -> Tensor<1> {
    let cam = class_activation_maps(features, weights, classes);
    let norm = normalize_min_max(cam.clone(), 1e-8);
    (norm * probe).sum() + cam.square().sum().mul_scalar(0.1)
}

#[test]
fn maps_match_pytorch() {
    let f = fixture();
    let device = Device::flex();
    let i = inputs(&f, &device, DType::F32);
    let cam = class_activation_maps(i.features.clone(), i.weights.clone(), i.classes);
    assert_close("cam", cam.clone(), f.at("/cam"), REL, ABS);
    assert_close(
        "normalized",
        normalize_min_max(cam, 1e-8),
        f.at("/normalized"),
        REL,
        ABS,
    );
    assert_close(
        "all_cams",
        all_class_activation_maps(i.features, i.weights),
        f.at("/all_cams"),
        REL,
        ABS,
    );
}

#[test]
fn gradients_match_pytorch() {
    let f = fixture();
    let device = Device::flex().autodiff();
    let i = inputs(&f, &device, DType::F32);
    let features = i.features.require_grad();
    let weights = i.weights.require_grad();
    let value = objective(features.clone(), weights.clone(), i.classes, i.probe);
    assert_close("objective", value.clone(), f.at("/objective"), REL, ABS);
    let grads = value.backward();
    let grad_features = features.grad(&grads).expect("features require grad");
    let grad_weights = weights.grad(&grads).expect("weights require grad");
    assert_close(
        "d/dfeatures",
        grad_features,
        f.at("/grad_features"),
        REL,
        ABS,
    );
    assert_close(
        "d/dweights",
        grad_weights,
        f.at("/grad_class_weights"),
        REL,
        ABS,
    );
}

#[test]
fn gradients_match_finite_differences_in_f64() {
    let f = fixture();
    let device = Device::flex().autodiff();
    let i = inputs(&f, &device, DType::F64);
    let features = i.features.clone().require_grad();
    let weights = i.weights.clone().require_grad();
    let grads = objective(
        features.clone(),
        weights.clone(),
        i.classes.clone(),
        i.probe.clone(),
    )
    .backward();
    let analytic_features = features.grad(&grads).expect("features require grad");
    let analytic_weights = weights.grad(&grads).expect("weights require grad");

    let plain = Device::flex();
    let at = |t: &Tensor<4>| t.clone().detach().to_device(&plain);
    let (feat, wts) = (
        at(&i.features),
        i.weights.clone().detach().to_device(&plain),
    );
    let (classes, probe) = (
        i.classes.to_device(&plain),
        i.probe.detach().to_device(&plain),
    );
    let eval = |v: Tensor<1>| v.into_scalar::<f64>();
    let numeric_features = finite_difference_gradient(
        |x| eval(objective(x, wts.clone(), classes.clone(), probe.clone())),
        &feat,
        1e-6,
    );
    let numeric_weights = finite_difference_gradient(
        |w| eval(objective(feat.clone(), w, classes.clone(), probe.clone())),
        &wts,
        1e-6,
    );
    compare_slices(
        "d/dfeatures",
        &to_f64_vec(analytic_features.reshape([-1])),
        &numeric_features,
        1e-6,
        1e-7,
    );
    compare_slices(
        "d/dweights",
        &to_f64_vec(analytic_weights.reshape([-1])),
        &numeric_weights,
        1e-6,
        1e-7,
    );
}

#[test]
fn upsampling_matches_pytorch_interpolate() {
    let f = fixture();
    let device = Device::flex();
    let maps: Tensor<3> = tensor_from_json(f.at("/maps"), &device, DType::F32);
    assert_close(
        "align_corners=False",
        upsample_bilinear(maps.clone(), [7, 9], false),
        f.at("/upsampled_7x9"),
        REL,
        ABS,
    );
    assert_close(
        "align_corners=True",
        upsample_bilinear(maps, [7, 9], true),
        f.at("/upsampled_7x9_align_corners"),
        REL,
        ABS,
    );
}
