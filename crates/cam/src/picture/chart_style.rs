//! What the charts share: colours, tick labels, filled rectangles.

use image::{Rgb, RgbImage};

/// The background.
pub(crate) const WHITE: [u8; 3] = [255, 255, 255];
/// Text and axes.
pub(crate) const INK: [u8; 3] = [40, 40, 40];
/// Grid lines at the ticks.
pub(crate) const GRID: [u8; 3] = [228, 228, 228];
/// Dashed reference lines.
pub(crate) const REFERENCE: [u8; 3] = [140, 140, 140];
/// Series and row colours (Tableau 10), reused in turn.
pub(crate) const PALETTE: [[u8; 3]; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
];

/// The blank border around each panel's parts, in pixels.
pub(crate) const MARGIN: u32 = 12;

/// Panels of one size, `columns` to a line, on a white canvas.
pub(crate) struct PanelLayout {
    /// Panels per line (at least 1).
    pub(crate) columns: usize,
    /// A panel's width in pixels.
    pub(crate) width: u32,
    /// A panel's height in pixels.
    pub(crate) height: u32,
}

impl PanelLayout {
    /// A white canvas that holds `count` panels (one empty panel for none).
    pub(crate) fn canvas(&self, count: usize) -> RgbImage {
        let columns = self.columns.min(count.max(1)) as u32;
        let lines = count.div_ceil(self.columns).max(1) as u32;
        RgbImage::from_pixel(columns * self.width, lines * self.height, Rgb(WHITE))
    }

    /// The top-left pixel of panel `index`.
    pub(crate) fn origin(&self, index: usize) -> (u32, u32) {
        (
            (index % self.columns) as u32 * self.width,
            (index / self.columns) as u32 * self.height,
        )
    }
}

/// A tick value with at most two decimals, trailing zeros dropped (`0.25`, `0.5`, `1`); values
/// of 100 and more without decimals.
pub(crate) fn tick_label(value: f64) -> String {
    if value.abs() >= 100.0 {
        return format!("{value:.0}");
    }
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// Paints the `width × height` rectangle at `(x, y)`, clipped to the image.
pub(crate) fn fill(image: &mut RgbImage, x: u32, y: u32, width: u32, height: u32, color: [u8; 3]) {
    for py in y..y.saturating_add(height).min(image.height()) {
        for px in x..x.saturating_add(width).min(image.width()) {
            image.put_pixel(px, py, Rgb(color));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_drop_trailing_zeros() {
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(0.5), "0.5");
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(1.0), "1");
        assert_eq!(tick_label(-0.0001), "0");
        assert_eq!(tick_label(250.4), "250");
    }

    #[test]
    fn fill_clips_to_the_image() {
        let mut image = RgbImage::new(4, 3);
        fill(&mut image, 2, 1, 10, 10, INK);
        let painted = image.pixels().filter(|p| p.0 == INK).count();
        assert_eq!(painted, 2 * 2);
    }
}
