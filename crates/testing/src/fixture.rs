//! JSON reference fixtures.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use burn::tensor::{DType, TensorData};
use serde_json::Value;

/// A parsed JSON fixture. Tests panic on a malformed fixture: it is a file of the repository,
/// not user input.
#[derive(Debug, Clone)]
pub struct Fixture {
    path: PathBuf,
    value: Value,
}

impl Fixture {
    /// Reads `path` (e.g. `concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/x.json")`).
    pub fn load(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("fixture {} is not JSON: {e}", path.display()));
        Self { path, value }
    }

    /// The fixture's root value.
    pub fn root(&self) -> &Value {
        &self.value
    }

    /// The value at a JSON pointer such as `/inputs/logits`.
    pub fn at(&self, pointer: &str) -> &Value {
        self.value
            .pointer(pointer)
            .unwrap_or_else(|| panic!("fixture {} has no {pointer}", self.path.display()))
    }
}

/// The `{"shape": [...], "data": [...]}` object `value` as a float tensor of `dtype`.
pub fn tensor_from_json<const D: usize>(value: &Value, device: &Device, dtype: DType) -> Tensor<D> {
    let (data, shape) = floats_and_shape(value);
    assert_eq!(
        shape.len(),
        D,
        "fixture tensor has shape {shape:?}, expected rank {D}"
    );
    Tensor::from_data(TensorData::new(data, shape), (device, dtype))
}

/// A JSON array of integers as an `Int` tensor.
pub fn ints_from_json(value: &Value, device: &Device) -> Tensor<1, Int> {
    let ints: Vec<i64> = value
        .as_array()
        .unwrap_or_else(|| panic!("expected an array of integers, got {value}"))
        .iter()
        .map(|v| {
            v.as_i64()
                .unwrap_or_else(|| panic!("expected an integer, got {v}"))
        })
        .collect();
    let n = ints.len();
    Tensor::from_data(TensorData::new(ints, [n]), device)
}

/// A JSON number as `f64`.
pub fn f64_from_json(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {value}"))
}

fn floats_and_shape(value: &Value) -> (Vec<f64>, Vec<usize>) {
    let shape: Vec<usize> = value["shape"]
        .as_array()
        .unwrap_or_else(|| panic!("expected {{shape, data}}, got {value}"))
        .iter()
        .map(|v| v.as_u64().expect("shape entries are integers") as usize)
        .collect();
    let data: Vec<f64> = value["data"]
        .as_array()
        .unwrap_or_else(|| panic!("expected {{shape, data}}, got {value}"))
        .iter()
        .map(f64_from_json)
        .collect();
    assert_eq!(
        data.len(),
        shape.iter().product::<usize>(),
        "data does not fill {shape:?}"
    );
    (data, shape)
}

/// Asserts `|actual − expected| <= abs + rel·|expected|` element-wise, where `expected` is a
/// `{"shape", "data"}` JSON tensor or a single number. Names the worst element on failure.
pub fn assert_close<const D: usize>(
    what: &str,
    actual: Tensor<D>,
    expected: &Value,
    rel: f64,
    abs: f64,
) {
    let (expected, shape) = match expected.as_f64() {
        Some(x) => (vec![x], vec![1]),
        None => floats_and_shape(expected),
    };
    let actual_shape = actual.dims().to_vec();
    assert_eq!(
        actual_shape.iter().product::<usize>(),
        shape.iter().product::<usize>(),
        "{what}: shape {actual_shape:?} vs reference {shape:?}"
    );
    compare_slices(what, &to_f64_vec(actual), &expected, rel, abs);
}

/// The elements of a float tensor as `f64`, row-major.
pub fn to_f64_vec<const D: usize>(tensor: Tensor<D>) -> Vec<f64> {
    tensor
        .into_data()
        .convert::<f64>()
        .try_to_vec::<f64>()
        .expect("float tensor data")
}

/// Element-wise `|a − e| <= abs + rel·|e|`, naming the worst element on failure.
pub fn compare_slices(what: &str, actual: &[f64], expected: &[f64], rel: f64, abs: f64) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    let worst = actual
        .iter()
        .zip(expected)
        .enumerate()
        .map(|(i, (a, e))| (i, *a, *e, (a - e).abs() - (abs + rel * e.abs())))
        .max_by(|x, y| x.3.total_cmp(&y.3));
    if let Some((i, a, e, excess)) = worst {
        assert!(
            excess <= 0.0 && a.is_finite(),
            "{what}: element {i} is {a}, reference {e} (|diff| {} > {abs} + {rel}·|ref|)",
            (a - e).abs()
        );
    }
}
