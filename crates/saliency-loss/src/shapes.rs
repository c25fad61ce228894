//! Shape contracts shared by the losses, and bringing human maps to the CAM grid.

use burn::prelude::*;
use burn::tensor::module::adaptive_avg_pool2d;

/// Brings human maps to the CAM grid by area averaging (adaptive average pooling, as
/// PyTorch's `F.adaptive_avg_pool2d`), on the device. Maps already at the grid are returned
/// unchanged.
///
/// # Shapes
/// - maps: `[batch, height, width]` with `height >= grid[0]` and `width >= grid[1]`
/// - grid: `[grid_height, grid_width]`
/// - output: `[batch, grid_height, grid_width]`
///
/// # Panics
/// If a map is smaller than the grid along either axis (upsample it first, this function only
/// averages).
pub fn resize_to_grid(maps: Tensor<3>, grid: [usize; 2]) -> Tensor<3> {
    let [batch, height, width] = maps.dims();
    if [height, width] == grid {
        return maps;
    }
    assert!(
        height >= grid[0] && width >= grid[1],
        "saliency maps {:?} are smaller than the CAM grid {grid:?}; \
         they can only be averaged down to it",
        maps.dims()
    );
    adaptive_avg_pool2d(maps.reshape([batch, 1, height, width]), grid)
        .reshape([batch, grid[0], grid[1]])
}

/// Checks that the loss inputs agree with each other and returns the CAM grid `[h, w]`.
pub(crate) fn check_inputs(
    logits: &Tensor<2>,
    features: &Tensor<4>,
    class_weights: &Tensor<2>,
    labels: &Tensor<1, Int>,
    saliency: &Tensor<3>,
) -> [usize; 2] {
    let [batch, channels, height, width] = features.dims();
    let [logit_batch, num_classes] = logits.dims();
    assert!(
        logit_batch == batch,
        "logits {:?} and features {:?} must have the same batch size",
        logits.dims(),
        features.dims()
    );
    assert!(
        class_weights.dims() == [num_classes, channels],
        "class_weights {:?} must be [num_classes, channels] = [{num_classes}, {channels}] \
         to match logits {:?} and features {:?}",
        class_weights.dims(),
        logits.dims(),
        features.dims()
    );
    assert!(
        labels.dims() == [batch],
        "labels {:?} must hold one class per image of logits {:?}",
        labels.dims(),
        logits.dims()
    );
    assert!(
        saliency.dims()[0] == batch,
        "saliency {:?} must hold one map per image of features {:?}",
        saliency.dims(),
        features.dims()
    );
    [height, width]
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{TensorData, Tolerance};

    #[test]
    fn averages_two_by_two_blocks() {
        let device = Device::flex();
        let maps = Tensor::<3>::from_floats(
            [[
                [1.0, 3.0, 0.0, 0.0],
                [5.0, 7.0, 0.0, 4.0],
                [2.0, 2.0, 1.0, 1.0],
                [2.0, 2.0, 1.0, 1.0],
            ]],
            &device,
        );
        resize_to_grid(maps, [2, 2])
            .into_data()
            .assert_approx_eq::<f32>(
                &TensorData::from([[[4.0, 1.0], [2.0, 1.0]]]),
                Tolerance::absolute(1e-6),
            );
    }

    #[test]
    #[should_panic(expected = "saliency maps [1, 2, 5] are smaller than the CAM grid [3, 3]")]
    fn smaller_map_is_rejected() {
        let device = Device::flex();
        let _ = resize_to_grid(Tensor::<3>::zeros([1, 2, 5], &device), [3, 3]);
    }
}
