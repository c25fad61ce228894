//! Per-image min-max normalisation of maps.

use burn::prelude::*;

/// Rescales each map of the batch to `[0, 1]`: `(m − min) / (max − min + eps)`.
///
/// The minimum and maximum are taken per image over all cells. `eps > 0` keeps a constant map
/// finite: it normalises to zeros, never NaN (the official CYBORG code divides by
/// `max − min` alone and produces NaN there). Gradients flow through `m`, `min` and `max`.
///
/// # Shapes
/// - maps: `[batch, height, width]`
/// - output: `[batch, height, width]`
///
/// # Panics
/// If `eps` is negative or not finite.
pub fn normalize_min_max(maps: Tensor<3>, eps: f64) -> Tensor<3> {
    assert!(
        eps.is_finite() && eps >= 0.0,
        "eps must be finite and >= 0, got {eps}"
    );
    let [batch, height, width] = maps.dims();
    let flat = maps.reshape([batch, height * width]);
    let min = flat.clone().min_dim(1);
    let max = flat.clone().max_dim(1);
    let range = (max - min.clone()).add_scalar(eps);
    ((flat - min) / range).reshape([batch, height, width])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{TensorData, Tolerance};

    #[test]
    fn rescales_each_image_separately() {
        let device = Device::flex();
        let maps = Tensor::<3>::from_floats(
            [[[1.0, 3.0], [5.0, 9.0]], [[-2.0, -1.0], [0.0, 2.0]]],
            &device,
        );
        normalize_min_max(maps, 0.0)
            .into_data()
            .assert_approx_eq::<f32>(
                &TensorData::from([[[0.0, 0.25], [0.5, 1.0]], [[0.0, 0.25], [0.5, 1.0]]]),
                Tolerance::absolute(1e-6),
            );
    }

    #[test]
    fn constant_map_gives_zeros_not_nan() {
        let device = Device::flex();
        let maps = Tensor::<3>::full([2, 3, 3], 4.5, &device);
        let out = normalize_min_max(maps, 1e-8);
        out.into_data().assert_approx_eq::<f32>(
            &TensorData::from([[[0.0f32; 3]; 3]; 2]),
            Tolerance::absolute(0.0),
        );
    }

    #[test]
    fn constant_map_has_finite_gradient() {
        let device = Device::flex().autodiff();
        let maps = Tensor::<3>::full([1, 2, 2], -1.0, &device).require_grad();
        let loss = normalize_min_max(maps.clone(), 1e-8).powi_scalar(2).sum();
        let grads = loss.backward();
        let grad = maps.grad(&grads).expect("maps require grad");
        assert!(
            grad.is_finite().all().into_scalar::<bool>(),
            "gradient must be finite"
        );
    }

    #[test]
    #[should_panic(expected = "eps must be finite and >= 0, got -1")]
    fn negative_eps_is_rejected() {
        let device = Device::flex();
        let _ = normalize_min_max(Tensor::<3>::zeros([1, 2, 2], &device), -1.0);
    }
}
