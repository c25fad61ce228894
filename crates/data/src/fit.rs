//! How a decoded plane is brought to the model's input size: stretched, or torchvision's
//! evaluation transform (the short side resized, then the centre cropped).

use serde::{Deserialize, Serialize};

use crate::{ResizeFilter, resize_plane};

/// How an image (and, in step, its human map) reaches `height × width`
/// ([`ImageConfig::fit`](crate::ImageConfig::fit)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fit {
    /// Resized straight to `height × width`; the aspect ratio changes unless it is the same.
    /// The default.
    #[default]
    Stretch,
    /// torchvision's ImageNet evaluation transform, `Resize(short_side)` then
    /// `CenterCrop((height, width))`: the short side becomes `short_side` pixels and the long
    /// side keeps the aspect ratio (rounded down, as torchvision does), then the centre
    /// `height × width` box is kept (its offsets rounded half to even, as Python's `round`).
    /// `short_side` must be at least `height` and `width` (256 for 224, 342 for 299).
    ShortSideCrop {
        /// The short side after resizing, in pixels.
        short_side: usize,
    },
}

impl Fit {
    /// `Err` with a message if this fit cannot give `height × width`.
    pub fn check(&self, [height, width]: [usize; 2]) -> Result<(), String> {
        match *self {
            Fit::ShortSideCrop { short_side } if short_side < height.max(width) => Err(format!(
                "resizing the short side to {short_side} px leaves too little for a centre crop of \
                 {height}×{width}: give at least {}",
                height.max(width)
            )),
            _ => Ok(()),
        }
    }

    /// The size the plane is resized to before cropping, and the crop's top-left corner.
    fn resized_and_offset(
        &self,
        [height, width]: [usize; 2],
        out: [usize; 2],
    ) -> ([usize; 2], [usize; 2]) {
        match *self {
            Fit::Stretch => (out, [0, 0]),
            Fit::ShortSideCrop { short_side } => {
                // torchvision's `_compute_resized_output_size` with an int size.
                let long = |long: usize, short: usize| {
                    (short_side as f64 * long as f64 / short as f64) as usize
                };
                let resized = if width <= height {
                    [long(height, width), short_side]
                } else {
                    [short_side, long(width, height)]
                };
                let offset = |resized: usize, out: usize| {
                    round_half_even(resized.saturating_sub(out) as f64 / 2.0)
                };
                (
                    resized,
                    [offset(resized[0], out[0]), offset(resized[1], out[1])],
                )
            }
        }
    }

    /// `plane` (row-major `size`) brought to `out` with `filter`. The caller has checked
    /// `out` with [`Fit::check`].
    pub(crate) fn apply(
        &self,
        plane: &[f32],
        size: [usize; 2],
        out: [usize; 2],
        filter: ResizeFilter,
    ) -> Vec<f32> {
        let (resized, [top, left]) = self.resized_and_offset(size, out);
        let full = if resized == size {
            plane.to_vec()
        } else {
            resize_plane(plane, size, resized, filter)
        };
        if resized == out {
            return full;
        }
        (top..top + out[0])
            .flat_map(|row| full[row * resized[1] + left..][..out[1]].iter().copied())
            .collect()
    }
}

/// Python's `round`: to the nearest integer, halves to the even one.
fn round_half_even(x: f64) -> usize {
    let floor = x.floor();
    let rounded = if x - floor == 0.5 {
        if (floor as usize).is_multiple_of(2) {
            floor
        } else {
            floor + 1.0
        }
    } else {
        x.round()
    };
    rounded as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_short_side_is_resized_and_the_centre_kept() {
        // 4 rows × 6 columns, short side 4 (no resize), crop 2×3: rows 1..3, columns
        // round(1.5) = 2..5.
        let plane: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let fit = Fit::ShortSideCrop { short_side: 4 };
        let out = fit.apply(&plane, [4, 6], [2, 3], ResizeFilter::Bilinear);
        assert_eq!(out, [8.0, 9.0, 10.0, 14.0, 15.0, 16.0]);
        // Portrait 6×4: the crop's rows start at round(1.5) = 2.
        let out = fit.apply(&plane, [6, 4], [3, 2], ResizeFilter::Bilinear);
        assert_eq!(out, [9.0, 10.0, 13.0, 14.0, 17.0, 18.0]);
    }

    #[test]
    fn sizes_follow_torchvision() {
        let fit = Fit::ShortSideCrop { short_side: 256 };
        // 480×640 → 256×341 (341.33 rounded down), offsets round(16) and round(58.5) = 58.
        assert_eq!(
            fit.resized_and_offset([480, 640], [224, 224]),
            ([256, 341], [16, 58])
        );
        // 500×333 (portrait) → 384×256 (384.38 down), offsets 80 and 16.
        assert_eq!(
            fit.resized_and_offset([500, 333], [224, 224]),
            ([384, 256], [80, 16])
        );
        assert_eq!(round_half_even(2.5), 2);
        assert_eq!(round_half_even(3.5), 4);
        assert_eq!(round_half_even(3.4), 3);
    }

    #[test]
    fn a_short_side_below_the_crop_is_refused() {
        let fit = Fit::ShortSideCrop { short_side: 200 };
        let message = fit.check([224, 224]).unwrap_err();
        assert!(message.contains("at least 224"), "{message}");
        assert!(Fit::Stretch.check([224, 224]).is_ok());
    }
}
