//! Sobel-CAM, pytorch-grad-cam's `sobel_cam`: the image's edges, a model-free baseline for the
//! faithfulness measures (a map that follows the image's structure but knows nothing of the
//! model).

use burn::prelude::*;

/// pytorch-grad-cam's `sobel_cam(np.uint8(image * 255))`, batched: each image brought to 8-bit
/// (`⌊255·v⌋`), to gray as OpenCV's `COLOR_RGB2GRAY` does (`(9798·R + 19235·G + 3735·B + 2¹⁴) >>
/// 15`; a one-channel image is its own gray), Sobel derivatives along x and y (3×3, borders
/// reflected without repeating the edge), their absolute values saturated to 8 bits, and
/// their average rounded half to even: maps of 0–255 at the image size (scale them with
/// [`finish_maps`](crate::finish_maps) or [`normalize_min_max`](crate::normalize_min_max)).
/// Computed on the host.
///
/// # Shapes
/// - images: `[batch, 1 or 3, height, width]`, plain pixels in `[0, 1]` (not normalised)
/// - output: `[batch, height, width]`
///
/// # Panics
/// If the images have another number of channels than 1 or 3.
pub fn sobel_cam(images: Tensor<4>) -> Tensor<3> {
    let [batch, channels, h, w] = images.dims();
    assert!(
        channels == 1 || channels == 3,
        "sobel_cam takes gray or RGB images, got {channels} channels"
    );
    let device = images.device();
    let values: Vec<f32> = images
        .inner()
        .into_data()
        .convert::<f32>()
        .iter::<f32>()
        .collect();
    // NumPy's uint8 cast of a float in [0, 255] truncates.
    let byte = |v: f32| (v * 255.0).clamp(0.0, 255.0) as u8 as i32;
    let mut out = Vec::with_capacity(batch * h * w);
    for image in values.chunks_exact(channels * h * w) {
        let gray: Vec<i32> = (0..h * w)
            .map(|i| match channels {
                1 => byte(image[i]),
                _ => {
                    let [r, g, b] = [0, 1, 2].map(|c| byte(image[c * h * w + i]));
                    (9798 * r + 19235 * g + 3735 * b + (1 << 14)) >> 15
                }
            })
            .collect();
        let at = |y: isize, x: isize| gray[reflect_101(y, h) * w + reflect_101(x, w)];
        for y in 0..h as isize {
            for x in 0..w as isize {
                let gx = (at(y - 1, x + 1) - at(y - 1, x - 1))
                    + 2 * (at(y, x + 1) - at(y, x - 1))
                    + (at(y + 1, x + 1) - at(y + 1, x - 1));
                let gy = (at(y + 1, x - 1) - at(y - 1, x - 1))
                    + 2 * (at(y + 1, x) - at(y - 1, x))
                    + (at(y + 1, x + 1) - at(y - 1, x + 1));
                let (ax, ay) = (gx.abs().min(255), gy.abs().min(255));
                // 0.5·a + 0.5·b rounded half to even (OpenCV's saturate_cast of a float).
                let sum = ax + ay;
                let half = sum / 2 + i32::from(sum % 2 == 1 && (sum / 2) % 2 == 1);
                out.push(half as f32);
            }
        }
    }
    Tensor::from_data(TensorData::new(out, [batch, h, w]), &device.inner())
}

/// OpenCV's `BORDER_REFLECT_101` index: `… 2 1 | 0 1 2 … n−1 | n−2 n−3 …`.
pub(crate) fn reflect_101(mut p: isize, length: usize) -> usize {
    let n = length as isize;
    if n == 1 {
        return 0;
    }
    loop {
        if p < 0 {
            p = -p;
        } else if p >= n {
            p = 2 * n - p - 2;
        } else {
            return p as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vertical step from 0 to 1 between columns 1 and 2 of a 3×4 gray image: the x
    /// derivative there is (1 + 2 + 1)·255 = 1020, saturated to 255, the y derivative 0, so
    /// the map is round(255 / 2) = 128 (half to even) on both sides of the step, 0 elsewhere.
    #[test]
    fn a_vertical_step_by_hand() {
        let device = Device::flex();
        let row = [0.0f32, 0.0, 1.0, 1.0];
        let values: Vec<f32> = (0..3).flat_map(|_| row).collect();
        let images = Tensor::<1>::from_floats(values.as_slice(), &device).reshape([1, 1, 3, 4]);
        let map: Vec<f32> = sobel_cam(images).into_data().try_to_vec::<f32>().unwrap();
        for r in 0..3 {
            assert_eq!(map[r * 4..r * 4 + 4], [0.0, 128.0, 128.0, 0.0], "{map:?}");
        }
    }
}
