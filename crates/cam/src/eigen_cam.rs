//! EigenCAM (Muhammad & Yeasin, IJCNN 2020): the activations projected on their first
//! principal component, computed on the device for the whole batch.

use burn::prelude::*;

/// The first principal component projection of each image's activations, pytorch-grad-cam's
/// `get_2d_projection`: the `[h·w, channels]` matrix of activations is centred per channel
/// and projected on its first right singular vector.
///
/// The singular vector is found by `iterations` steps of power iteration with the
/// `[channels, channels]` covariance (applied as `Xᵀ(X v)`, never formed); it converges as
/// `(σ₂/σ₁)^(2·iterations)`, so 200 steps reach float precision unless the first two singular
/// values are within a few percent of each other, where the principal direction itself is
/// ill-defined. A singular
/// vector's sign is arbitrary (NumPy's SVD picks one); here it is chosen so that the
/// projection correlates positively with the channel sum of the activations, so that the
/// salient region comes out positive.
///
/// # Shapes
/// - activations: `[batch, channels, h, w]`
/// - output: `[batch, h, w]`
pub fn eigen_cam(activations: Tensor<4>, iterations: usize) -> Tensor<3> {
    let [b, _, h, w] = activations.dims();
    let projection = principal_projection(activations.clone(), iterations); // [b, hw]
    let total = activations.sum_dim(1).reshape([b, h * w]);
    let total = total.clone() - total.mean_dim(1);
    let sign = (projection.clone() * total)
        .sum_dim(1)
        .sign()
        .mask_fill_zero_to_one();
    (projection * sign).reshape([b, h, w])
}

/// Seg-Eigen-CAM's projection (Chung & Ying, Applied Sciences 2025; pytorch-grad-cam's
/// `get_2d_projection_with_sign_correction`): the first principal component projection as in
/// [`eigen_cam`], its sign chosen so that the largest magnitude is positive (flipped where
/// `|min| > |max|`).
///
/// # Shapes
/// - activations: `[batch, channels, h, w]`
/// - output: `[batch, h, w]`
pub fn eigen_cam_max_positive(activations: Tensor<4>, iterations: usize) -> Tensor<3> {
    let [b, _, h, w] = activations.dims();
    let projection = principal_projection(activations, iterations); // [b, hw]
    let largest = projection.clone().max_dim(1); // [b, 1]
    let smallest = projection.clone().min_dim(1);
    let flip = smallest.abs().greater(largest.abs());
    let sign = Tensor::<2>::ones([b, 1], &projection.device()).mask_fill(flip, -1.0);
    (projection * sign).reshape([b, h, w])
}

/// Each image's centred `[h·w, channels]` activations projected on their first right
/// singular vector (power iteration; the sign is whatever the iteration gives).
///
/// # Shapes
/// - activations: `[batch, channels, h, w]`
/// - output: `[batch, h·w]`
fn principal_projection(activations: Tensor<4>, iterations: usize) -> Tensor<2> {
    let [b, c, h, w] = activations.dims();
    let device = activations.device();
    let x = activations.clone().reshape([b, c, h * w]).swap_dims(1, 2); // [b, hw, c]
    let centred = x.clone() - x.clone().mean_dim(1); // [b, hw, c]
    let transposed = centred.clone().swap_dims(1, 2); // [b, c, hw]
    // Start from the all-ones direction plus a ramp so that it is not orthogonal to the
    // leading vector by symmetry.
    let ramp = Tensor::<1, Int>::arange(0..c as i64, &device)
        .float()
        .div_scalar(c as f64)
        .add_scalar(1.0);
    let mut v = ramp.reshape([1, c, 1]).repeat_dim(0, b); // [b, c, 1]
    for _ in 0..iterations {
        // Xᵀ(X v): the covariance applied without forming it (2·h·w·c per step, not c²).
        let next = transposed.clone().matmul(centred.clone().matmul(v));
        let norm = next
            .clone()
            .powi_scalar(2)
            .sum_dim(1)
            .sqrt()
            .add_scalar(1e-30);
        v = next / norm;
    }
    centred.matmul(v).reshape([b, h * w])
}

/// `0 → 1` for the sign of a correlation, so an uncorrelated projection keeps its sign.
trait ZeroToOne {
    fn mask_fill_zero_to_one(self) -> Self;
}

impl ZeroToOne for Tensor<2> {
    fn mask_fill_zero_to_one(self) -> Self {
        let zero = self.clone().equal_elem(0.0);
        self.mask_fill(zero, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Tolerance;

    #[test]
    fn rank_one_activations_project_onto_their_pattern() {
        // A_k = s_k · P with P = [0, 1, 2, 3] over the grid and s = [1, 2]:
        // centred rows are s_k (P − 1.5); the first right singular vector is s / |s|, so the
        // projection is |s| (P − 1.5) = √5 · [−1.5, −0.5, 0.5, 1.5], positive where P is large.
        let device = Device::flex();
        let pattern = [0.0f32, 1.0, 2.0, 3.0];
        let values: Vec<f32> = [1.0f32, 2.0]
            .iter()
            .flat_map(|s| pattern.iter().map(move |p| s * p))
            .collect();
        let a = Tensor::<1>::from_floats(values.as_slice(), &device).reshape([1, 2, 2, 2]);
        let map = eigen_cam(a, 50);
        let r5 = 5f64.sqrt();
        map.into_data().assert_approx_eq::<f32>(
            &TensorData::new(vec![-1.5 * r5, -0.5 * r5, 0.5 * r5, 1.5 * r5], [1, 2, 2]),
            Tolerance::absolute(1e-4),
        );
    }

    /// The pattern [0, 0, 0, 4] centred is [−1, −1, −1, 3]: the largest magnitude (3) comes
    /// out positive whichever sign the iteration found, also for the negated activations.
    #[test]
    fn seg_eigen_sign_makes_the_largest_magnitude_positive() {
        let device = Device::flex();
        for s in [1.0f32, -1.0] {
            let values: Vec<f32> = [0.0, 0.0, 0.0, 4.0].iter().map(|v| v * s).collect();
            let a = Tensor::<1>::from_floats(values.as_slice(), &device).reshape([1, 1, 2, 2]);
            eigen_cam_max_positive(a, 20)
                .into_data()
                .assert_approx_eq::<f32>(
                    &TensorData::new(vec![-1.0f32, -1.0, -1.0, 3.0], [1, 2, 2]),
                    Tolerance::absolute(1e-4),
                );
        }
    }
}
