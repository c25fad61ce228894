//! Random flips and crops applied to an image and its saliency map together.

use burn::config::Config;

use crate::SplitMix64;

/// Configuration of training-time augmentation, applied by
/// [`SaliencyDataset`](crate::SaliencyDataset) to the decoded image and its map at their own
/// resolutions, before resizing, so the map keeps pointing at the same content.
///
/// Draws are a pure function of `(seed, epoch, index)`: the same on every run and whatever
/// order a `DataLoader`'s workers ask for items in.
#[derive(Config, Debug)]
pub struct AugmentConfig {
    /// Probability of a horizontal flip.
    #[config(default = 0.5)]
    pub flip_probability: f64,
    /// Smallest side of a random square-ratio crop, as a fraction of the image side, in
    /// `(0, 1]`; 1 disables cropping.
    #[config(default = 1.0)]
    pub min_crop: f64,
    /// Seed of the draws.
    #[config(default = 0)]
    pub seed: u64,
}

/// One draw of [`AugmentConfig`]: what to do to one image and its map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Augmentation {
    /// Mirror left–right.
    pub flip: bool,
    /// The kept box as fractions of the plane: `[top, left, height, width]`.
    pub crop: [f64; 4],
}

impl Augmentation {
    /// Leaves planes as they are.
    pub const IDENTITY: Augmentation = Augmentation {
        flip: false,
        crop: [0.0, 0.0, 1.0, 1.0],
    };

    /// Crops then flips a row-major `size = [height, width]` plane; returns it and its new
    /// size. The crop box is rounded to whole pixels of this plane, at least one.
    pub fn apply(&self, plane: &[f32], [h, w]: [usize; 2]) -> (Vec<f32>, [usize; 2]) {
        let span = |start: f64, len: f64, n: usize| {
            let first = ((start * n as f64).round() as usize).min(n - 1);
            let len = ((len * n as f64).round() as usize).clamp(1, n - first);
            (first, len)
        };
        let (top, ch) = span(self.crop[0], self.crop[2], h);
        let (left, cw) = span(self.crop[1], self.crop[3], w);
        let mut out = Vec::with_capacity(ch * cw);
        for r in top..top + ch {
            let row = &plane[r * w + left..r * w + left + cw];
            match self.flip {
                true => out.extend(row.iter().rev()),
                false => out.extend_from_slice(row),
            }
        }
        (out, [ch, cw])
    }
}

impl AugmentConfig {
    /// The augmentation of item `index` in epoch `epoch`.
    pub fn draw(&self, epoch: u64, index: usize) -> Augmentation {
        let mut rng = SplitMix64::new(
            self.seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (index as u64).rotate_left(32),
        );
        rng.next_u64();
        let flip = (rng.next_f32() as f64) < self.flip_probability;
        let side = self.min_crop + (1.0 - self.min_crop) * rng.next_f32() as f64;
        let top = (1.0 - side) * rng.next_f32() as f64;
        let left = (1.0 - side) * rng.next_f32() as f64;
        Augmentation {
            flip,
            crop: [top, left, side, side],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_and_flip_by_hand() {
        let plane: Vec<f32> = (0..16).map(|v| v as f32).collect(); // 4×4, value = 4·row + col
        let aug = Augmentation {
            flip: true,
            crop: [0.25, 0.5, 0.5, 0.5],
        };
        let (out, size) = aug.apply(&plane, [4, 4]);
        assert_eq!(size, [2, 2]);
        assert_eq!(out, vec![7.0, 6.0, 11.0, 10.0]);
        // The same fractions on a map at half the resolution pick the same content.
        let map: Vec<f32> = (0..4).map(|v| v as f32).collect(); // 2×2
        let (out, size) = aug.apply(&map, [2, 2]);
        assert_eq!(size, [1, 1]);
        assert_eq!(out, vec![3.0]);
    }

    #[test]
    fn identity_keeps_the_plane() {
        let plane: Vec<f32> = (0..6).map(|v| v as f32).collect();
        assert_eq!(
            Augmentation::IDENTITY.apply(&plane, [2, 3]),
            (plane, [2, 3])
        );
    }

    #[test]
    fn draws_are_reproducible_and_vary() {
        let config = AugmentConfig::new().with_min_crop(0.8).with_seed(9);
        assert_eq!(config.draw(1, 5), config.draw(1, 5));
        assert_ne!(config.draw(1, 5), config.draw(2, 5));
        let flips = (0..400).filter(|&i| config.draw(0, i).flip).count();
        assert!((160..=240).contains(&flips), "{flips} flips of 400");
        for i in 0..100 {
            let [top, left, h, w] = config.draw(0, i).crop;
            assert!(
                (0.8..=1.0).contains(&h)
                    && h == w
                    && top + h <= 1.0 + 1e-9
                    && left + w <= 1.0 + 1e-9
            );
        }
        let never = AugmentConfig::new().with_flip_probability(0.0);
        assert!((0..50).all(|i| never.draw(0, i) == Augmentation::IDENTITY));
    }
}
