//! Bilinear resizing on the CPU, with PyTorch's `align_corners=False` convention.

use image::RgbImage;

/// One output coordinate's two source cells and their weights.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Tap {
    low: usize,
    high: usize,
    high_weight: f32,
}

/// Where each of `output` positions samples an axis of `input` cells.
///
/// PyTorch's `upsample_bilinear2d` with `align_corners=False` and no antialiasing: the
/// source coordinate is `(i + 0.5) · input / output − 0.5`, clamped below at 0; it falls
/// between cells `floor(src)` and the next one (the last cell repeats at the far edge).
fn taps(input: usize, output: usize) -> Vec<Tap> {
    let scale = input as f64 / output as f64;
    (0..output)
        .map(|i| {
            let source = ((i as f64 + 0.5) * scale - 0.5).max(0.0);
            // `source` is in [0, input - 0.5), so `low` is a valid cell.
            let low = (source.floor() as usize).min(input - 1);
            let high = (low + 1).min(input - 1);
            Tap {
                low,
                high,
                high_weight: (source - low as f64) as f32,
            }
        })
        .collect()
}

/// Resizes a row-major `height × width` plane to `out_height × out_width` (bilinear,
/// `align_corners=False`, edge-clamped). Resizing to the same size returns the input.
///
/// # Panics
/// If `plane.len() != height * width`, or the plane is empty but the output is not.
pub(crate) fn resize_plane(
    plane: &[f32],
    height: usize,
    width: usize,
    out_height: usize,
    out_width: usize,
) -> Vec<f32> {
    assert_eq!(
        plane.len(),
        height * width,
        "map has {} values, expected height × width = {height} × {width}",
        plane.len()
    );
    if out_height == 0 || out_width == 0 {
        return Vec::new();
    }
    assert!(
        height > 0 && width > 0,
        "cannot resize an empty {height} × {width} map to {out_height} × {out_width}"
    );
    let rows = taps(height, out_height);
    let columns = taps(width, out_width);
    let mut out = Vec::with_capacity(out_height * out_width);
    for row in &rows {
        let top = &plane[row.low * width..][..width];
        let bottom = &plane[row.high * width..][..width];
        for column in &columns {
            // PyTorch's order of operations, so results agree to the last bit where they can.
            let lerp = |line: &[f32]| {
                (1.0 - column.high_weight) * line[column.low]
                    + column.high_weight * line[column.high]
            };
            out.push((1.0 - row.high_weight) * lerp(top) + row.high_weight * lerp(bottom));
        }
    }
    out
}

/// Resizes an RGB image channel by channel with [`resize_plane`]'s convention, rounding each
/// result to the nearest integer.
pub(crate) fn resize_rgb(image: &RgbImage, out_height: u32, out_width: u32) -> RgbImage {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let (out_w, out_h) = (out_width as usize, out_height as usize);
    let channels = [0, 1, 2].map(|channel| {
        let plane: Vec<f32> = image
            .pixels()
            .map(|pixel| f32::from(pixel[channel]))
            .collect();
        resize_plane(&plane, height, width, out_h, out_w)
    });
    RgbImage::from_fn(out_width, out_height, |x, y| {
        let index = y as usize * out_w + x as usize;
        image::Rgb(channels.each_ref().map(|plane| to_u8(plane[index])))
    })
}

/// Rounds to the nearest integer (halves away from zero) and clamps into `0..=255`.
pub(crate) fn to_u8(value: f32) -> u8 {
    // Saturating float-to-int cast; NaN becomes 0.
    value.round().clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_follow_half_pixel_centres() {
        // 2 cells to 4 pixels: sources -0.25 (clamped to 0), 0.25, 0.75, 1.25.
        let expected = [(0, 1, 0.0), (0, 1, 0.25), (0, 1, 0.75), (1, 1, 0.25)];
        let got: Vec<_> = taps(2, 4)
            .iter()
            .map(|t| (t.low, t.high, t.high_weight))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn one_row_matches_pytorch() {
        // PyTorch: F.interpolate(torch.tensor([[[[0., 4.]]]]), size=(1, 4), mode="bilinear",
        //                        align_corners=False) -> [0, 1, 3, 4]
        assert_eq!(resize_plane(&[0.0, 4.0], 1, 2, 1, 4), [0.0, 1.0, 3.0, 4.0]);
    }

    #[test]
    fn downsampling_picks_cell_midpoints() {
        // 4 cells to 2: sources 0.5 and 2.5, the means of the neighbouring pairs.
        assert_eq!(resize_plane(&[0.0, 2.0, 4.0, 8.0], 1, 4, 1, 2), [1.0, 6.0]);
    }

    #[test]
    fn agrees_with_the_tensor_upsampling() {
        // `upsample_bilinear(.., align_corners = false)` is checked against PyTorch in
        // tests/pytorch_reference.rs; the CPU resize must agree with it up and down in size.
        use burn::prelude::*;
        let device = Device::flex();
        let (height, width) = (3, 5);
        let plane: Vec<f32> = (0..height * width)
            .map(|i| ((i * 7) % 11) as f32 / 10.0)
            .collect();
        for (out_height, out_width) in [(7, 9), (2, 3), (3, 5), (1, 1), (6, 2)] {
            let maps =
                Tensor::<1>::from_floats(plane.as_slice(), &device).reshape([1, height, width]);
            let expected = crate::upsample_bilinear(maps, [out_height, out_width], false)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            let got = resize_plane(&plane, height, width, out_height, out_width);
            assert_eq!(got.len(), expected.len());
            for (index, (a, b)) in got.iter().zip(&expected).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-6,
                    "{out_height} × {out_width} value {index}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn same_size_is_the_identity() {
        let plane = [0.1, 0.7, 0.3, 0.9, 0.5, 0.2];
        assert_eq!(resize_plane(&plane, 2, 3, 2, 3), plane);
    }

    #[test]
    fn rgb_resize_rounds_each_channel() {
        let image = RgbImage::from_raw(2, 1, vec![0, 10, 255, 1, 20, 0]).unwrap();
        let resized = resize_rgb(&image, 1, 4);
        // Channel 0: [0, 0.25, 0.75, 1] rounds to [0, 0, 1, 1]; channel 1: [10, 12.5, 17.5, 20]
        // rounds halves away from zero; channel 2: [255, 191.25, 63.75, 0].
        assert_eq!(
            resized.into_raw(),
            [0, 10, 255, 0, 13, 191, 1, 18, 64, 1, 20, 0]
        );
    }
}
