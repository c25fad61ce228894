//! The CYBORG, masked, Energy and L1 losses against PyTorch (`scripts/gen_reference.py`):
//! values and gradients w.r.t. logits, features and class weights for every distance, both
//! CAM classes, partially annotated batches and the other losses; then the same gradients
//! against central finite differences in f64.
//!
//! The reference CYBORG loss, in PyTorch (float64):
//! ```python
//! ce = F.cross_entropy(logits, labels)
//! classes = labels if cam_class == "Label" else logits.argmax(1)
//! cam = normalize_min_max(torch.einsum("bchw,bc->bhw", features, weights[classes]), 1e-8)
//! human = normalize_min_max(F.adaptive_avg_pool2d(saliency[:, None], (h, w))[:, 0], 1e-8)
//! total = alpha * ce + (1 - alpha) * ((cam - human) ** 2).flatten(1).mean(1).mean()
//! ```
//! and the masked one:
//! ```python
//! outside = 1 - F.adaptive_avg_pool2d(region[:, None], (h, w))[:, 0]
//! cams = torch.einsum("bchw,kc->bkhw", features, weights)
//! total = ce + lam * ((cams * outside[:, None]) ** 2).mean(dim=(1, 2, 3)).mean()
//! ```
//! The Energy and L1 losses are written one image at a time, as the authors' `losses.py` and
//! attributor post-processing compute them (see the script).

use burn::prelude::*;
use burn::tensor::{DType, TensorData};
use cyborg_cam::CamClass;
use cyborg_saliency_loss::{
    AnnotatedRegion, CyborgLossConfig, EnergyLossConfig, MaskL1LossConfig, MaskedCamLossConfig,
    SaliencyDistance, SaliencyLoss, SaliencyLossOutput,
};
use cyborg_testing::{
    Fixture, assert_close, compare_slices, f64_from_json, finite_difference_gradient,
    ints_from_json, tensor_from_json, to_f64_vec,
};
use serde_json::Value;

const REL: f64 = 1e-5;
const ABS: f64 = 1e-5;

fn fixture() -> Fixture {
    Fixture::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/loss_reference.json"
    ))
}

#[derive(Clone)]
struct Inputs {
    logits: Tensor<2>,
    features: Tensor<4>,
    weights: Tensor<2>,
    labels: Tensor<1, Int>,
    saliency: Tensor<3>,
    region: Tensor<3>,
}

fn inputs(f: &Fixture, device: &Device, dtype: DType) -> Inputs {
    Inputs {
        logits: tensor_from_json(f.at("/inputs/logits"), device, dtype),
        features: tensor_from_json(f.at("/inputs/features"), device, dtype),
        weights: tensor_from_json(f.at("/inputs/class_weights"), device, dtype),
        labels: ints_from_json(f.at("/inputs/labels"), device),
        saliency: tensor_from_json(f.at("/inputs/saliency"), device, dtype),
        region: tensor_from_json(f.at("/inputs/region"), device, dtype),
    }
}

fn parse<T: serde::de::DeserializeOwned>(value: &Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("bad config {value}: {e}"))
}

/// Runs the loss a fixture case describes.
fn run_case(case: &Value, i: Inputs) -> SaliencyLossOutput {
    let device = i.logits.device();
    let annotated = case["annotated"].as_array().map(|flags| {
        let flags: Vec<bool> = flags.iter().map(|v| v.as_bool().expect("bool")).collect();
        let n = flags.len();
        Tensor::<1, Bool>::from_data(TensorData::new(flags, [n]), &device)
    });
    let config = &case["config"];
    match case["kind"].as_str() {
        Some("cyborg") => CyborgLossConfig::new()
            .with_alpha(f64_from_json(&config["alpha"]))
            .with_cam_class(parse::<CamClass>(&config["cam_class"]))
            .with_distance(parse::<SaliencyDistance>(&config["dist"]))
            .init()
            .forward_annotated(
                i.logits, i.features, i.weights, i.labels, i.saliency, annotated,
            ),
        Some("masked") => MaskedCamLossConfig::new()
            .with_lambda(f64_from_json(&config["lambda"]))
            .with_region(parse::<AnnotatedRegion>(&config["region"]))
            .init()
            .forward_annotated(
                i.logits, i.features, i.weights, i.labels, i.region, annotated,
            ),
        Some("energy") => EnergyLossConfig::new()
            .with_lambda(f64_from_json(&config["lambda"]))
            .init()
            .forward_annotated(
                i.logits, i.features, i.weights, i.labels, i.region, annotated,
            ),
        Some("mask_l1") => MaskL1LossConfig::new()
            .with_lambda(f64_from_json(&config["lambda"]))
            .init()
            .forward_annotated(
                i.logits, i.features, i.weights, i.labels, i.region, annotated,
            ),
        other => panic!("unknown case kind {other:?}"),
    }
}

fn cases(f: &Fixture) -> Vec<Value> {
    f.at("/cases").as_array().expect("cases").clone()
}

/// Inputs whose logits, features and weights are autodiff leaves.
fn leaves(i: Inputs) -> Inputs {
    Inputs {
        logits: i.logits.require_grad(),
        features: i.features.require_grad(),
        weights: i.weights.require_grad(),
        ..i
    }
}

#[test]
fn every_case_matches_pytorch_values_and_gradients() {
    let f = fixture();
    let device = Device::flex().autodiff();
    let all = cases(&f);
    assert_eq!(all.len(), 14, "the fixture holds fourteen cases");
    for case in &all {
        let name = case["name"].as_str().expect("name");
        let expected = &case["expected"];
        let i = leaves(inputs(&f, &device, DType::F32));
        let out = run_case(case, i.clone());
        assert_close(
            &format!("{name}: total"),
            out.total.clone(),
            &expected["total"],
            REL,
            ABS,
        );
        assert_close(
            &format!("{name}: cross_entropy"),
            out.cross_entropy,
            &expected["cross_entropy"],
            REL,
            ABS,
        );
        assert_close(
            &format!("{name}: saliency"),
            out.saliency,
            &expected["saliency"],
            REL,
            ABS,
        );
        let grads = out.total.backward();
        let grad = |t: &Tensor<4>| t.grad(&grads).expect("leaf");
        assert_close(
            &format!("{name}: d/dfeatures"),
            grad(&i.features),
            &expected["grad_features"],
            REL,
            ABS,
        );
        let grad2 = |t: &Tensor<2>| t.grad(&grads).expect("leaf");
        assert_close(
            &format!("{name}: d/dlogits"),
            grad2(&i.logits),
            &expected["grad_logits"],
            REL,
            ABS,
        );
        assert_close(
            &format!("{name}: d/dclass_weights"),
            grad2(&i.weights),
            &expected["grad_class_weights"],
            REL,
            ABS,
        );
    }
}

#[test]
fn every_case_matches_finite_differences_in_f64() {
    let f = fixture();
    let grad_device = Device::flex().autodiff();
    let plain = Device::flex();
    let base = inputs(&f, &plain, DType::F64);
    let value = |case: &Value, i: Inputs| run_case(case, i).total.into_scalar::<f64>();
    for case in &cases(&f) {
        let name = case["name"].as_str().expect("name");
        let i = leaves(inputs(&f, &grad_device, DType::F64));
        let grads = run_case(case, i.clone()).total.backward();
        let analytic_features = to_f64_vec(i.features.grad(&grads).expect("leaf"));
        let analytic_logits = to_f64_vec(i.logits.grad(&grads).expect("leaf"));
        let analytic_weights = to_f64_vec(i.weights.grad(&grads).expect("leaf"));

        let numeric_features = finite_difference_gradient(
            |features| {
                value(
                    case,
                    Inputs {
                        features,
                        ..base.clone()
                    },
                )
            },
            &base.features,
            1e-6,
        );
        let numeric_logits = finite_difference_gradient(
            |logits| {
                value(
                    case,
                    Inputs {
                        logits,
                        ..base.clone()
                    },
                )
            },
            &base.logits,
            1e-6,
        );
        let numeric_weights = finite_difference_gradient(
            |weights| {
                value(
                    case,
                    Inputs {
                        weights,
                        ..base.clone()
                    },
                )
            },
            &base.weights,
            1e-6,
        );
        compare_slices(
            &format!("{name}: d/dfeatures"),
            &analytic_features,
            &numeric_features,
            1e-5,
            1e-7,
        );
        compare_slices(
            &format!("{name}: d/dlogits"),
            &analytic_logits,
            &numeric_logits,
            1e-5,
            1e-7,
        );
        compare_slices(
            &format!("{name}: d/dclass_weights"),
            &analytic_weights,
            &numeric_weights,
            1e-5,
            1e-7,
        );
    }
}
