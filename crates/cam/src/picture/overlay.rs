//! A map blended over the image it explains.

use image::{Rgb, RgbImage};

use super::resample::to_u8;
use super::{Colormap, heatmap};

/// Blends a coloured map over `image`: the map is drawn with [`heatmap`] at the image's size,
/// then each channel becomes `round((1 − alpha) · image + alpha · colour)`, halves rounded
/// away from zero.
///
/// `alpha = 0` returns the image unchanged, `alpha = 1` the heatmap alone. `map` is row-major
/// `height × width` with values expected in `[0, 1]`, of any size (usually the CAM's grid,
/// coarser than the image).
///
/// # Panics
/// If `map.len() != height * width`, if the map is empty while the image is not, or if
/// `alpha` is not in `[0, 1]`.
///
/// ```
/// use cyborg_cam::{overlay, Colormap, RgbImage};
///
/// let image = RgbImage::from_pixel(2, 2, image::Rgb([0, 0, 0]));
/// let blended = overlay(&image, &[1.0], 1, 1, Colormap::Jet, 0.5);
/// // Jet(1) = [128, 0, 0]; half of it over black.
/// assert_eq!(blended.get_pixel(1, 1).0, [64, 0, 0]);
/// ```
pub fn overlay(
    image: &RgbImage,
    map: &[f32],
    height: usize,
    width: usize,
    colormap: Colormap,
    alpha: f32,
) -> RgbImage {
    assert!(
        map.len() == height * width,
        "map has {} values, expected height × width = {height} × {width}",
        map.len()
    );
    assert!(
        (0.0..=1.0).contains(&alpha),
        "alpha must be in [0, 1], got {alpha}"
    );
    let colors = heatmap(
        map,
        height,
        width,
        image.height() as usize,
        image.width() as usize,
        colormap,
    );
    let mut blended = image.clone();
    for (pixel, color) in blended.pixels_mut().zip(colors.pixels()) {
        *pixel = Rgb(std::array::from_fn(|channel| {
            to_u8((1.0 - alpha) * f32::from(pixel[channel]) + alpha * f32::from(color[channel]))
        }));
    }
    blended
}
