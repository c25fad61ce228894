//! FEM's channel weights (Fuad et al., IPTA 2020, *Features understanding in 3D CNNs for
//! actions recognition in video*), as pytorch-grad-cam's `FEM` defines them.

use burn::prelude::*;

/// FEM's channel weights, `[batch, channels]`: the share of each channel's cells whose
/// activation exceeds the channel's mean plus `k` standard deviations (population standard
/// deviation over the cells, as NumPy's `std`): the channels with a few strong, localised
/// responses weigh most. No target involved.
///
/// # Shapes
/// - activations: `[batch, channels, h, w]`
/// - output: `[batch, channels]`
pub(crate) fn fem_weights(activations: &Tensor<4>, k: f64) -> Tensor<2> {
    let [batch, channels, h, w] = activations.dims();
    let cells = activations.clone().reshape([batch, channels, h * w]);
    let mean = cells.clone().mean_dim(2); // [batch, channels, 1]
    let deviation = (cells.clone() - mean.clone())
        .powi_scalar(2)
        .mean_dim(2)
        .sqrt();
    let threshold = (mean + deviation.mul_scalar(k)).expand([batch, channels, h * w]);
    cells
        .greater(threshold)
        .float()
        .mean_dim(2)
        .reshape([batch, channels])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One channel with cells 0, 0, 0, 10: mean 2.5, std √18.75 ≈ 4.33; with k = 1 the
    /// threshold is 6.83 and one cell of four exceeds it (weight 0.25); with k = 2 (11.16)
    /// none does. A constant channel has no cell above its mean.
    #[test]
    fn weights_are_the_share_of_cells_above_mean_plus_k_std() {
        let device = Device::flex();
        let activations =
            Tensor::<1>::from_floats([0.0, 0.0, 0.0, 10.0, 3.0, 3.0, 3.0, 3.0], &device)
                .reshape([1, 2, 2, 2]);
        let one: Vec<f32> = fem_weights(&activations, 1.0)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_eq!(one, [0.25, 0.0]);
        let two: Vec<f32> = fem_weights(&activations, 2.0)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_eq!(two, [0.0, 0.0]);
    }
}
