//! Human maps made worse the way people's are: coarse, shifted, partly missing. For measuring
//! how much a guided loss depends on the quality of its maps.

use burn::config::Config;

use crate::SplitMix64;
use crate::window::{window_mean, window_reduce};

/// How [`MapDegradationConfig::degrade`] spoils a map, in this order: dilated (a square of
/// radius `dilation`: coarser), box-blurred (radius `blur_radius`: softer edges), shifted by
/// a random offset of up to `jitter` pixels on each axis (zeros enter), and a random rectangle
/// of `erase` of the image's area (each side `√erase` of the image's) set to 0 (a part
/// missed). The default changes nothing.
#[derive(Config, Debug, PartialEq)]
pub struct MapDegradationConfig {
    /// Radius of the square dilation, in pixels.
    #[config(default = 0)]
    pub dilation: usize,
    /// Radius of the box blur after dilation, in pixels.
    #[config(default = 0)]
    pub blur_radius: usize,
    /// Largest shift on each axis, in pixels.
    #[config(default = 0)]
    pub jitter: usize,
    /// Share of the image's area erased, in `[0, 1]`.
    #[config(default = 0.0)]
    pub erase: f64,
    /// Seed of the shifts and erased rectangles; with the image's index, it fixes both.
    #[config(default = 0)]
    pub seed: u64,
}

impl MapDegradationConfig {
    /// The degraded copy of `map` (row-major `size = [height, width]`, values ≥ 0) of image
    /// number `index`: the same config, map and index give the same result.
    ///
    /// # Panics
    /// If `map` does not hold `height · width` values or `erase` is not in `[0, 1]`.
    pub fn degrade(&self, map: &[f32], size: [usize; 2], index: u64) -> Vec<f32> {
        let [h, w] = size;
        assert_eq!(map.len(), h * w, "the map does not hold {h}×{w} values");
        assert!(
            (0.0..=1.0).contains(&self.erase),
            "erase must be in [0, 1], got {}",
            self.erase
        );
        let mut rng = SplitMix64::new(self.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut out = window_reduce(map, size, self.dilation, f32::max);
        out = window_mean(&out, size, self.blur_radius);
        if self.jitter > 0 {
            let span = 2 * self.jitter + 1;
            let dy = rng.below(span) as isize - self.jitter as isize;
            let dx = rng.below(span) as isize - self.jitter as isize;
            out = shift(&out, size, dy, dx);
        }
        if self.erase > 0.0 {
            let side = |n: usize| ((n as f64 * self.erase.sqrt()).round() as usize).min(n);
            let (eh, ew) = (side(h), side(w));
            let top = rng.below(h - eh + 1);
            let left = rng.below(w - ew + 1);
            for row in out[top * w..(top + eh) * w].chunks_mut(w) {
                row[left..left + ew].fill(0.0);
            }
        }
        out
    }
}

/// `plane` moved by `dy` rows and `dx` columns, zeros where nothing moves in.
fn shift(plane: &[f32], [h, w]: [usize; 2], dy: isize, dx: isize) -> Vec<f32> {
    let mut out = vec![0.0; h * w];
    for y in 0..h {
        for x in 0..w {
            let (sy, sx) = (y as isize - dy, x as isize - dx);
            if (0..h as isize).contains(&sy) && (0..w as isize).contains(&sx) {
                out[y * w + x] = plane[sy as usize * w + sx as usize];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 6×6 map with one marked pixel at (2, 3).
    fn dot() -> Vec<f32> {
        let mut map = vec![0.0; 36];
        map[2 * 6 + 3] = 1.0;
        map
    }

    #[test]
    fn the_default_changes_nothing() {
        let map: Vec<f32> = (0..36).map(|i| i as f32 / 35.0).collect();
        assert_eq!(MapDegradationConfig::new().degrade(&map, [6, 6], 3), map);
    }

    #[test]
    fn dilation_then_blur_by_hand() {
        let config = MapDegradationConfig::new().with_dilation(1);
        let dilated = config.degrade(&dot(), [6, 6], 0);
        let marked: Vec<usize> = (0..36).filter(|&i| dilated[i] == 1.0).collect();
        // The 3×3 square around (2, 3): rows 1–3, columns 2–4.
        assert_eq!(marked, [8, 9, 10, 14, 15, 16, 20, 21, 22]);
        let blurred = config.with_blur_radius(1).degrade(&dot(), [6, 6], 0);
        // At (2, 3) all 9 neighbours are marked; at (0, 3): a 2×3 window with 3 marked (row 1).
        assert_eq!(blurred[2 * 6 + 3], 1.0);
        assert!((blurred[3] - 3.0 / 6.0).abs() < 1e-6, "{}", blurred[3]);
    }

    #[test]
    fn jitter_moves_the_mass_within_its_reach_and_keeps_it_by_index() {
        let config = MapDegradationConfig::new().with_jitter(1).with_seed(5);
        let mut moved = 0;
        for index in 0..40 {
            let out = config.degrade(&dot(), [6, 6], index);
            let at = out
                .iter()
                .position(|&v| v == 1.0)
                .expect("the dot stays inside");
            let (y, x) = (at / 6, at % 6);
            assert!(
                y.abs_diff(2) <= 1 && x.abs_diff(3) <= 1,
                "{index}: ({y}, {x})"
            );
            moved += usize::from((y, x) != (2, 3));
            assert_eq!(out, config.degrade(&dot(), [6, 6], index), "reproducible");
        }
        // 8 of 9 offsets move it: 40 draws leave it in place about 4 times.
        assert!(moved >= 25, "{moved} of 40 moved");
    }

    #[test]
    fn erase_zeroes_a_rectangle_of_its_share() {
        let full = vec![1.0f32; 100];
        let out = MapDegradationConfig::new()
            .with_erase(0.25)
            .degrade(&full, [10, 10], 7);
        // √0.25 of each side: a 5×5 rectangle.
        assert_eq!(out.iter().filter(|&&v| v == 0.0).count(), 25);
        let zeros: Vec<usize> = (0..100).filter(|&i| out[i] == 0.0).collect();
        let (rows, cols): (Vec<usize>, Vec<usize>) = zeros.iter().map(|i| (i / 10, i % 10)).unzip();
        assert_eq!(rows.iter().max().unwrap() - rows.iter().min().unwrap(), 4);
        assert_eq!(cols.iter().max().unwrap() - cols.iter().min().unwrap(), 4);
        let all = MapDegradationConfig::new()
            .with_erase(1.0)
            .degrade(&full, [10, 10], 0);
        assert!(all.iter().all(|&v| v == 0.0));
    }
}
