//! How much of a map lies inside an annotated region.

use burn::prelude::*;

/// The share of each map's mass inside a region: `Σ(map · region) / (Σ map + eps)`.
///
/// With a min-max-normalised CAM and a binary region at the CAM grid this is the "share of CAM
/// mass inside the annotated region": 1 when the model looks only where the human marked,
/// the region's share of the grid when it looks everywhere alike. Negative map values are
/// clipped to 0 first.
///
/// # Shapes
/// - maps: `[batch, height, width]`
/// - region: `[batch, height, width]`, weights in `[0, 1]` (1 = inside)
/// - output: `[batch]`
///
/// # Panics
/// If the shapes differ; the message names both.
pub fn mass_inside(maps: Tensor<3>, region: Tensor<3>, eps: f64) -> Tensor<1> {
    assert!(
        maps.dims() == region.dims(),
        "maps {:?} and region {:?} must have the same shape",
        maps.dims(),
        region.dims()
    );
    let [batch, _, _] = maps.dims();
    let maps = maps.clamp_min(0.0);
    let inside = (maps.clone() * region).sum_dims(&[1, 2]).reshape([batch]);
    let total = maps.sum_dims(&[1, 2]).reshape([batch]).add_scalar(eps);
    inside / total
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{TensorData, Tolerance};

    #[test]
    fn share_inside_by_hand() {
        let device = Device::flex();
        let maps = Tensor::<3>::from_floats(
            [[[1.0, 3.0], [0.0, -2.0]], [[1.0, 1.0], [1.0, 1.0]]],
            &device,
        );
        let region = Tensor::<3>::from_floats(
            [[[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [0.0, 0.0]]],
            &device,
        );
        // Image 0: negatives clipped -> inside 3 of 4. Image 1: 1 of 4.
        mass_inside(maps, region, 0.0)
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from([0.75, 0.25]), Tolerance::absolute(1e-6));
    }

    #[test]
    fn empty_map_gives_zero_not_nan() {
        let device = Device::flex();
        let maps = Tensor::<3>::zeros([1, 2, 2], &device);
        let region = Tensor::<3>::ones([1, 2, 2], &device);
        mass_inside(maps, region, 1e-8)
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from([0.0]), Tolerance::absolute(0.0));
    }
}
