//! Global average pooling, the operation a CAM decomposes.

use burn::prelude::*;

/// The mean of each feature map over its grid: what a CAM network's linear head reads.
///
/// One reduction over the flattened grid, which on the CPU backend costs about half of
/// `mean_dims(&[2, 3])` in forward + backward (see docs/benchmarks.md).
///
/// # Shapes
/// - features: `[batch, channels, height, width]`
/// - output: `[batch, channels]`
pub fn global_average_pool(features: Tensor<4>) -> Tensor<2> {
    let [batch, channels, height, width] = features.dims();
    features
        .reshape([batch, channels, height * width])
        .mean_dim(2)
        .reshape([batch, channels])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{TensorData, Tolerance};

    #[test]
    fn means_of_each_map() {
        let device = Device::flex();
        let features = Tensor::<4>::from_floats(
            [[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [0.0, 8.0]]]],
            &device,
        );
        global_average_pool(features)
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from([[2.5, 2.0]]), Tolerance::absolute(1e-6));
    }
}
