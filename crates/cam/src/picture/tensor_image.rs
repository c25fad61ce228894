//! An image tensor as a picture.

use burn::prelude::*;
use image::{Rgb, RgbImage};

/// The picture of one image tensor whose values lie in `[0, 1]` (clamped): gray for one
/// channel, RGB for three. For the images a model reads without normalisation, or after
/// undoing it.
///
/// # Shapes
/// - image: `[channels, height, width]`, channels 1 or 3
///
/// # Panics
/// If the image has another number of channels.
pub fn image_from_tensor(image: Tensor<3>) -> RgbImage {
    let [channels, height, width] = image.dims();
    assert!(
        matches!(channels, 1 | 3),
        "an image of 1 or 3 channels, got {channels}"
    );
    let values = image
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("float data");
    let level = |v: f32| (v * 255.0).round().clamp(0.0, 255.0) as u8;
    let plane = height * width;
    RgbImage::from_fn(width as u32, height as u32, |x, y| {
        let at = y as usize * width + x as usize;
        let channel = |c: usize| level(values[(c % channels) * plane + at]);
        Rgb([channel(0), channel(1), channel(2)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gray_and_colour_values_become_levels() {
        let device = Device::flex();
        let gray = Tensor::<3>::from_floats([[[0.0, 0.5], [1.2, -0.1]]], &device);
        let picture = image_from_tensor(gray);
        assert_eq!(picture.get_pixel(1, 0), &Rgb([128, 128, 128]));
        assert_eq!(picture.get_pixel(0, 1), &Rgb([255, 255, 255]));
        assert_eq!(picture.get_pixel(1, 1), &Rgb([0, 0, 0]));
        let colour = Tensor::<3>::from_floats([[[1.0]], [[0.2]], [[0.0]]], &device);
        assert_eq!(
            image_from_tensor(colour).get_pixel(0, 0),
            &Rgb([255, 51, 0])
        );
    }
}
