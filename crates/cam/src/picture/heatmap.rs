//! A map drawn as a coloured picture.

use image::{Rgb, RgbImage};

use super::Colormap;
use super::resample::resize_plane;

/// Draws a map as a colour image of `out_height × out_width` pixels.
///
/// `map` is row-major `height × width`, values expected in `[0, 1]` (a normalised CAM or a
/// human saliency map; others are clamped, NaN draws as 0). It is resized bilinearly with
/// PyTorch's `F.interpolate(mode="bilinear", align_corners=False)` convention (half-pixel
/// centres, edge cells repeated, no antialiasing), then each pixel is coloured with
/// [`Colormap::color`].
///
/// # Panics
/// If `map.len() != height * width`, if the map is empty while the output is not, or if an
/// output side does not fit in a `u32`.
///
/// ```
/// use cyborg_cam::{heatmap, Colormap};
///
/// let picture = heatmap(&[0.0, 1.0], 1, 2, 1, 4, Colormap::Viridis);
/// assert_eq!(picture.dimensions(), (4, 1));
/// assert_eq!(picture.get_pixel(0, 0).0, Colormap::Viridis.color(0.0));
/// assert_eq!(picture.get_pixel(3, 0).0, Colormap::Viridis.color(1.0));
/// ```
pub fn heatmap(
    map: &[f32],
    height: usize,
    width: usize,
    out_height: usize,
    out_width: usize,
    colormap: Colormap,
) -> RgbImage {
    let side = |value: usize| {
        u32::try_from(value).unwrap_or_else(|_| {
            panic!("heatmap size {out_height} × {out_width} does not fit in u32 pixels")
        })
    };
    let (image_height, image_width) = (side(out_height), side(out_width));
    let resized = resize_plane(map, height, width, out_height, out_width);
    RgbImage::from_fn(image_width, image_height, |x, y| {
        Rgb(colormap.color(resized[y as usize * out_width + x as usize]))
    })
}
