//! Helpers shared by the model tests: the probe input, the PyTorch reference outputs, and the
//! CAM identity check.

#![allow(dead_code)]

use std::path::PathBuf;

use burn::prelude::*;
use cyborg_cam::class_activation_maps;
use cyborg_models::CamBackbone;
use cyborg_testing::{compare_slices, to_f64_vec};
use safetensors::SafeTensors;

/// `crates/models/tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The input of `gen_model_reference.py::probe_input`:
/// `x[i] = sin(0.1 i) + 0.5 cos(0.037 i)` in f64, rounded to f32.
pub fn probe_input(shape: [usize; 4], device: &Device) -> Tensor<4> {
    let n: usize = shape.iter().product();
    let values: Vec<f32> = (0..n)
        .map(|i| {
            let i = i as f64;
            ((0.1 * i).sin() + 0.5 * (0.037 * i).cos()) as f32
        })
        .collect();
    Tensor::<1>::from_floats(values.as_slice(), device).reshape(shape)
}

/// One tensor of `<name>.io.safetensors` as (shape, values).
pub fn reference(name: &str, tensor: &str) -> (Vec<usize>, Vec<f64>) {
    let path = fixture(&format!("{name}.io.safetensors"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = SafeTensors::deserialize(&bytes).expect("valid safetensors");
    let view = file
        .tensor(tensor)
        .unwrap_or_else(|e| panic!("{}: {tensor}: {e}", path.display()));
    let values = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
        .collect();
    (view.shape().to_vec(), values)
}

/// Asserts `actual` matches the reference tensor in shape and values (`1e-4` relative and
/// absolute).
pub fn assert_matches_reference<const D: usize>(name: &str, tensor: &str, actual: Tensor<D>) {
    let (shape, expected) = reference(name, tensor);
    assert_eq!(actual.dims().to_vec(), shape, "{name}: {tensor} shape");
    compare_slices(
        &format!("{name}: {tensor}"),
        &to_f64_vec(actual),
        &expected,
        1e-4,
        1e-4,
    );
}

/// Asserts `mean_hw(CAM_c) + bias_c == logit_c` for every class `c` and every image.
pub fn assert_cam_identity(model: &impl CamBackbone, images: Tensor<4>) {
    let device = images.device();
    let batch = images.dims()[0];
    let out = model.forward_classified(images);
    let [_, classes] = out.logits.dims();
    let bias = model
        .class_bias()
        .unwrap_or_else(|| Tensor::zeros([classes], &device));
    for class in 0..classes {
        let index = Tensor::<1, Int>::from_ints(vec![class as i32; batch].as_slice(), &device);
        let cam = class_activation_maps(out.features.clone(), model.class_weights(), index);
        let from_cam = cam.mean_dims(&[1, 2]).reshape([batch]) + bias.clone().narrow(0, class, 1);
        let logit = out.logits.clone().narrow(1, class, 1).reshape([batch]);
        compare_slices(
            &format!("class {class}: mean CAM + bias vs logit"),
            &to_f64_vec(from_cam),
            &to_f64_vec(logit),
            1e-4,
            1e-4,
        );
    }
}

/// The key of `method`'s maps in the CAM fixtures: its name, `++` spelled `pp`.
pub fn fixture_key(method: cyborg_models::CamMethod) -> String {
    method.name().replace("++", "pp")
}
