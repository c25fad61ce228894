//! Resizing maps on the device: up to the image for display, down to the CAM grid for a
//! loss.

use burn::prelude::*;
use burn::tensor::module::{adaptive_avg_pool2d, interpolate};
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};

/// Bilinearly resizes a batch of maps, for drawing a CAM over its image.
///
/// `align_corners = false` is PyTorch's `F.interpolate(mode="bilinear")` default (half-pixel
/// centres) and what you want for overlays; `true` maps corner cells onto corner pixels.
/// Burn's own `InterpolateOptions::new` defaults to `true`, so the choice is explicit here.
/// Differentiable.
///
/// # Shapes
/// - maps: `[batch, height, width]`
/// - size: `[out_height, out_width]`
/// - output: `[batch, out_height, out_width]`
pub fn upsample_bilinear(maps: Tensor<3>, size: [usize; 2], align_corners: bool) -> Tensor<3> {
    let [batch, height, width] = maps.dims();
    let options = InterpolateOptions {
        mode: InterpolateMode::Bilinear,
        align_corners,
        output_size: Some(size),
        scale_factor: None,
    };
    interpolate(maps.reshape([batch, 1, height, width]), options).reshape([batch, size[0], size[1]])
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{TensorData, Tolerance};

    #[test]
    fn two_cells_to_four_pixels_half_pixel_centres() {
        // PyTorch: F.interpolate(torch.tensor([[[[0., 4.]]]]), size=(1, 4), mode="bilinear",
        //                        align_corners=False) -> [0, 1, 3, 4]
        let device = Device::flex();
        let maps = Tensor::<3>::from_floats([[[0.0, 4.0]]], &device);
        upsample_bilinear(maps, [1, 4], false)
            .into_data()
            .assert_approx_eq::<f32>(
                &TensorData::from([[[0.0, 1.0, 3.0, 4.0]]]),
                Tolerance::absolute(1e-6),
            );
    }

    #[test]
    fn two_cells_to_four_pixels_aligned_corners() {
        // align_corners=True: samples at 0, 1/3, 2/3, 1 of the way -> [0, 4/3, 8/3, 4]
        let device = Device::flex();
        let maps = Tensor::<3>::from_floats([[[0.0, 4.0]]], &device);
        upsample_bilinear(maps, [1, 4], true)
            .into_data()
            .assert_approx_eq::<f32>(
                &TensorData::from([[[0.0, 4.0 / 3.0, 8.0 / 3.0, 4.0]]]),
                Tolerance::absolute(1e-5),
            );
    }

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
