//! Central finite differences.

use burn::prelude::*;

/// The gradient of the scalar `f` at `x` by central differences with step `h`:
/// `(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h` for every element `i`, in row-major order.
///
/// `f` is evaluated `2·x.num_elements()` times, without autodiff; use small inputs and f64.
pub fn finite_difference_gradient<const D: usize>(
    f: impl Fn(Tensor<D>) -> f64,
    x: &Tensor<D>,
    h: f64,
) -> Vec<f64> {
    let shape = x.shape();
    let n = shape.num_elements();
    let flat = x.clone().reshape([n]);
    let device = flat.device();
    let dtype = flat.dtype();
    (0..n)
        .map(|i| {
            let mut bump = vec![0.0f64; n];
            bump[i] = h;
            let bump =
                Tensor::<1>::from_data(burn::tensor::TensorData::new(bump, [n]), (&device, dtype));
            let plus = f(flat.clone().add(bump.clone()).reshape(shape.clone()));
            let minus = f(flat.clone().sub(bump).reshape(shape.clone()));
            (plus - minus) / (2.0 * h)
        })
        .collect()
}
