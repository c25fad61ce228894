//! Resizing maps to image size for display.

use burn::prelude::*;
use burn::tensor::module::interpolate;
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
}
