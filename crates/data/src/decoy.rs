//! Decoy datasets after Ross, Hughes and Doshi-Velez, *Right for the Right Reasons* (2017).

use std::path::Path;

use burn::config::Config;
use serde::{Deserialize, Serialize};

use crate::window::{window_mean, window_reduce};
use crate::{DataError, IdxArray, Record, Records, SplitMix64, write_manifest};

/// What the decoy patch shows, and so how a model can read the class from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecoyPatch {
    /// One gray level: `255 − level_step · label` in training, uniformly random at test time
    /// (Ross et al.'s Decoy-MNIST). A network that pools globally has to learn to read a
    /// level, and mostly learns the objects first. The default.
    #[default]
    Level,
    /// A black-and-white texture coding the class: each class has its own fixed random
    /// pattern of `patch_size²` pixels ([`DecoyPatch::texture`]). Training images carry their
    /// label's pattern, test images the pattern of a class drawn uniformly from
    /// `0..classes`, so it misleads on `(classes − 1) / classes` of them. Edges and corners
    /// are what convolutions read first: this shortcut hurts a CNN where the gray level does
    /// not.
    Texture {
        /// The number of classes patterns are drawn from at test time.
        classes: usize,
    },
}

/// Seed of the class textures: class `k`'s pattern is drawn from `SplitMix64::new(TEXTURE_SEED + k)`.
const TEXTURE_SEED: u64 = 0x7e47_04e5;

impl DecoyPatch {
    /// The `side × side` black-and-white pattern (0 or 255, row-major) coding `class` in
    /// [`DecoyPatch::Texture`]: a fixed random draw per class, the same for every seed.
    pub fn texture(class: usize, side: usize) -> Vec<u8> {
        let mut rng = SplitMix64::new(TEXTURE_SEED.wrapping_add(class as u64));
        (0..side * side)
            .map(|_| if rng.next_u64() >> 63 == 1 { 255 } else { 0 })
            .collect()
    }
}

/// Which rule sets the decoy patch's gray level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecoySplit {
    /// The level encodes the class: `255 − level_step · label`, a shortcut.
    Train,
    /// The level is uniformly random: the shortcut no longer holds.
    Test,
}

/// The image corner a patch is stamped in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    /// Rows and columns from 0.
    TopLeft,
    /// Rows from 0, columns up to the right edge.
    TopRight,
    /// Rows up to the bottom edge, columns from 0.
    BottomLeft,
    /// Rows and columns up to the edges.
    BottomRight,
}

impl Corner {
    const ALL: [Corner; 4] = [
        Corner::TopLeft,
        Corner::TopRight,
        Corner::BottomLeft,
        Corner::BottomRight,
    ];

    /// Top-left pixel `(row, col)` of a `patch × patch` square in this corner.
    pub fn origin(self, [height, width]: [usize; 2], patch: usize) -> (usize, usize) {
        match self {
            Corner::TopLeft => (0, 0),
            Corner::TopRight => (0, width - patch),
            Corner::BottomLeft => (height - patch, 0),
            Corner::BottomRight => (height - patch, width - patch),
        }
    }
}

/// Configuration of the decoy transformation: a `patch_size` square in a random corner that
/// codes the class in training and not at test time (its gray level `255 − level_step · label`,
/// or a class texture: [`DecoyPatch`]), and a "what a human would mark" map: the object's foreground (pixels
/// `>= foreground_threshold`), dilated by `dilation` pixels, box-blurred with radius
/// `blur_radius`, zero on the patch.
#[derive(Config, Debug)]
pub struct DecoyConfig {
    /// Side of the square patch in pixels.
    #[config(default = 4)]
    pub patch_size: usize,
    /// What the patch shows.
    #[config(default = "DecoyPatch::Level")]
    pub patch: DecoyPatch,
    /// Gray-level step between classes in training.
    #[config(default = 25)]
    pub level_step: u8,
    /// Pixels at least this bright are the object.
    #[config(default = 32)]
    pub foreground_threshold: u8,
    /// Radius of the square dilation of the foreground.
    #[config(default = 1)]
    pub dilation: usize,
    /// Radius of the box blur applied after dilation (0 = none).
    #[config(default = 1)]
    pub blur_radius: usize,
    /// Seed of the corners and test levels.
    #[config(default = 0)]
    pub seed: u64,
    /// Share of the training images ([`DecoySplit::Train`]) whose decoy codes their own label,
    /// in `[0, 1]`; the others carry the decoy of another class drawn uniformly. 1 (the
    /// default): a perfect shortcut.
    #[config(default = 1.0)]
    pub agreement: f64,
}

/// One image with its decoy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoyImage {
    /// The image with the patch stamped in, row-major.
    pub pixels: Vec<u8>,
    /// The human map, row-major, 0–255.
    pub saliency: Vec<u8>,
    /// Where the patch is.
    pub corner: Corner,
    /// The patch's gray level ([`DecoyPatch::Level`]; 255 for a texture).
    pub level: u8,
    /// The class whose texture the patch shows ([`DecoyPatch::Texture`]; `None` for a level).
    pub texture_class: Option<usize>,
}

impl DecoyConfig {
    /// Stamps a decoy into one `size = [height, width]` gray image of class `label` and
    /// derives its human map, drawing the corner (and the test level or texture class) from `rng`.
    ///
    /// # Panics
    /// If `pixels` does not hold `height · width` values or the patch does not fit.
    pub fn apply(
        &self,
        pixels: &[u8],
        size: [usize; 2],
        label: usize,
        split: DecoySplit,
        rng: &mut SplitMix64,
    ) -> DecoyImage {
        let [h, w] = size;
        assert_eq!(pixels.len(), h * w, "image does not hold {h}×{w} pixels");
        assert!(
            self.patch_size <= h.min(w),
            "patch {} does not fit {h}×{w}",
            self.patch_size
        );
        let corner = Corner::ALL[rng.below(4)];
        let (level, texture_class) = match (self.patch, split) {
            (DecoyPatch::Level, DecoySplit::Train) => (
                255u8.saturating_sub(self.level_step.saturating_mul(label as u8)),
                None,
            ),
            (DecoyPatch::Level, DecoySplit::Test) => (rng.below(256) as u8, None),
            (DecoyPatch::Texture { .. }, DecoySplit::Train) => (255, Some(label)),
            (DecoyPatch::Texture { classes }, DecoySplit::Test) => {
                (255, Some(rng.below(classes.max(1))))
            }
        };
        let texture = texture_class.map(|class| DecoyPatch::texture(class, self.patch_size));
        let (top, left) = corner.origin(size, self.patch_size);
        let in_patch = |r: usize, c: usize| {
            (top..top + self.patch_size).contains(&r) && (left..left + self.patch_size).contains(&c)
        };

        let foreground: Vec<f32> = pixels
            .iter()
            .map(|&p| {
                if p >= self.foreground_threshold {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let dilated = window_reduce(&foreground, size, self.dilation, f32::max);
        let blurred = window_mean(&dilated, size, self.blur_radius);

        let mut out = pixels.to_vec();
        let mut saliency = vec![0u8; h * w];
        for r in 0..h {
            for c in 0..w {
                if in_patch(r, c) {
                    out[r * w + c] = match &texture {
                        Some(pattern) => pattern[(r - top) * self.patch_size + (c - left)],
                        None => level,
                    };
                } else {
                    saliency[r * w + c] = (blurred[r * w + c] * 255.0).round() as u8;
                }
            }
        }
        DecoyImage {
            pixels: out,
            saliency,
            corner,
            level,
            texture_class,
        }
    }

    /// Builds a decoy dataset from IDX images `[n, h, w]` and labels `[n]` (MNIST,
    /// Fashion-MNIST) and writes it in the manifest layout: `dir/<name>/images/<i>.png`,
    /// `dir/<name>/saliency/<i>.png` and the manifest `dir/<name>.csv` (classes `"0"`…`"9"`).
    /// `limit` keeps the first images only.
    ///
    /// With [`DecoyConfig::agreement`] below 1, a training image's decoy codes another class
    /// (drawn uniformly among the labels' classes) with probability `1 − agreement`; the
    /// manifest keeps the true label.
    ///
    /// # Errors
    /// [`DataError::Idx`] if the arrays do not fit together or `agreement` is not in `[0, 1]`,
    /// [`DataError::Io`] or [`DataError::Encode`] if `dir` cannot be written.
    pub fn write_dataset(
        &self,
        images: &IdxArray,
        labels: &IdxArray,
        dir: &Path,
        name: &str,
        split: DecoySplit,
        limit: Option<usize>,
    ) -> Result<Records, DataError> {
        let bad = |message: String| DataError::Idx {
            path: dir.to_path_buf(),
            message,
        };
        let [n, h, w] = match images.dims[..] {
            [n, h, w] => [n, h, w],
            _ => {
                return Err(bad(format!(
                    "images must be [n, h, w], got {:?}",
                    images.dims
                )));
            }
        };
        if labels.dims != [n] {
            return Err(bad(format!(
                "labels {:?} do not match {n} images",
                labels.dims
            )));
        }
        if !(0.0..=1.0).contains(&self.agreement) {
            return Err(bad(format!(
                "agreement must be in [0, 1], got {}",
                self.agreement
            )));
        }
        let n = limit.map_or(n, |l| l.min(n));
        let folder = dir.join(name);
        for sub in ["images", "saliency"] {
            std::fs::create_dir_all(folder.join(sub)).map_err(DataError::io(folder.join(sub)))?;
        }
        let mut rng = SplitMix64::new(self.seed);
        let mut items = Vec::with_capacity(n);
        let num_classes = labels
            .data
            .iter()
            .copied()
            .max()
            .map_or(1, |m| m as usize + 1);
        for i in 0..n {
            let label = labels.data[i] as usize;
            // No draw at full agreement: the datasets of earlier releases stay the same.
            let disagrees = split == DecoySplit::Train
                && self.agreement < 1.0
                && num_classes > 1
                && f64::from(rng.next_f32()) >= self.agreement;
            let coded = match disagrees {
                true => (label + 1 + rng.below(num_classes - 1)) % num_classes,
                false => label,
            };
            let decoy = self.apply(
                &images.data[i * h * w..(i + 1) * h * w],
                [h, w],
                coded,
                split,
                &mut rng,
            );
            let image = folder.join("images").join(format!("{i:05}.png"));
            let saliency = folder.join("saliency").join(format!("{i:05}.png"));
            save_gray(&image, decoy.pixels, [h, w])?;
            save_gray(&saliency, decoy.saliency, [h, w])?;
            items.push(Record {
                image,
                saliency: Some(saliency),
                label,
            });
        }
        let records = Records {
            items,
            classes: (0..num_classes.max(10)).map(|c| c.to_string()).collect(),
        };
        write_manifest(dir.join(format!("{name}.csv")), &records)?;
        Ok(records)
    }
}

fn save_gray(path: &Path, pixels: Vec<u8>, [h, w]: [usize; 2]) -> Result<(), DataError> {
    image::GrayImage::from_raw(w as u32, h as u32, pixels)
        .expect("h·w pixels")
        .save(path)
        .map_err(|source| DataError::Encode {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 8×8, background 10, a 2×2 object of 200 at rows 3–4, columns 3–4.
    fn object() -> Vec<u8> {
        (0..64)
            .map(|i| {
                if (3..5).contains(&(i / 8)) && (3..5).contains(&(i % 8)) {
                    200
                } else {
                    10
                }
            })
            .collect()
    }

    #[test]
    fn training_patch_encodes_the_class_pixel_by_pixel() {
        let config = DecoyConfig::new().with_patch_size(2).with_blur_radius(0);
        let mut rng = SplitMix64::new(3);
        let d = config.apply(&object(), [8, 8], 4, DecoySplit::Train, &mut rng);
        assert_eq!(d.level, 255 - 4 * 25);
        let (top, left) = d.corner.origin([8, 8], 2);
        for r in 0..8 {
            for c in 0..8 {
                let in_patch = (top..top + 2).contains(&r) && (left..left + 2).contains(&c);
                let original = object()[r * 8 + c];
                let expected = if in_patch { 155 } else { original };
                assert_eq!(d.pixels[r * 8 + c], expected, "pixel ({r}, {c})");
                // Dilated by 1 without blur: rows/cols 2..=5 are 255, the rest 0.
                let marked = (2..6).contains(&r) && (2..6).contains(&c);
                let map = if marked && !in_patch { 255 } else { 0 };
                assert_eq!(d.saliency[r * 8 + c], map, "map ({r}, {c})");
            }
        }
    }

    #[test]
    fn blur_spreads_the_dilated_object_by_hand() {
        let config = DecoyConfig::new().with_patch_size(1).with_dilation(0);
        let mut rng = SplitMix64::new(0);
        let d = config.apply(&object(), [8, 8], 0, DecoySplit::Train, &mut rng);
        // Radius-1 box blur of the 2×2 object: (2, 2) sees 1 of 9 object pixels, (3, 3) 4 of 9.
        assert_eq!(d.saliency[2 * 8 + 2], (255.0f32 / 9.0).round() as u8);
        assert_eq!(d.saliency[3 * 8 + 3], (4.0f32 * 255.0 / 9.0).round() as u8);
        assert_eq!(d.saliency[3 * 8 + 2], (2.0f32 * 255.0 / 9.0).round() as u8);
    }

    #[test]
    fn test_levels_and_corners_are_random() {
        let config = DecoyConfig::new();
        let mut rng = SplitMix64::new(1);
        let decoys: Vec<_> = (0..200)
            .map(|_| config.apply(&object(), [8, 8], 0, DecoySplit::Test, &mut rng))
            .collect();
        let levels: std::collections::BTreeSet<u8> = decoys.iter().map(|d| d.level).collect();
        assert!(
            levels.len() > 100,
            "only {} distinct test levels",
            levels.len()
        );
        for corner in Corner::ALL {
            let n = decoys.iter().filter(|d| d.corner == corner).count();
            assert!((25..=75).contains(&n), "{corner:?} drawn {n} times of 200");
        }
    }

    /// The patch's pixels of a decoy image, row-major.
    fn patch_pixels(d: &DecoyImage, size: [usize; 2], patch: usize) -> Vec<u8> {
        let (top, left) = d.corner.origin(size, patch);
        (top..top + patch)
            .flat_map(|r| (left..left + patch).map(move |c| r * size[1] + c))
            .map(|i| d.pixels[i])
            .collect()
    }

    #[test]
    fn class_textures_are_fixed_distinct_and_not_flat() {
        let patterns: Vec<Vec<u8>> = (0..10).map(|k| DecoyPatch::texture(k, 4)).collect();
        for (k, pattern) in patterns.iter().enumerate() {
            assert_eq!(
                pattern,
                &DecoyPatch::texture(k, 4),
                "class {k} is not fixed"
            );
            assert!(pattern.iter().all(|&p| p == 0 || p == 255));
            let bright = pattern.iter().filter(|&&p| p == 255).count();
            assert!(
                (1..16).contains(&bright),
                "class {k}: {bright} of 16 bright"
            );
            for other in &patterns[..k] {
                assert_ne!(pattern, other, "class {k} repeats a pattern");
            }
        }
    }

    #[test]
    fn a_partial_decoy_codes_another_class_on_its_share_of_training_images() {
        // Blank 8×8 images, four classes: the only bright pixels are the patch, whose level
        // 255 − 25·c tells the class c it codes.
        let n = 400;
        let images = IdxArray {
            dims: vec![n, 8, 8],
            data: vec![0; n * 64],
        };
        let labels = IdxArray {
            dims: vec![n],
            data: (0..n).map(|i| (i % 4) as u8).collect(),
        };
        let dir = tempfile::tempdir().unwrap();
        let coded = |config: &DecoyConfig, split: DecoySplit| -> Vec<(usize, usize)> {
            let records = config
                .write_dataset(&images, &labels, dir.path(), "d", split, None)
                .unwrap();
            records
                .items
                .iter()
                .map(|r| {
                    let pixels = image::open(&r.image).unwrap().into_luma8();
                    let level = *pixels.as_raw().iter().max().unwrap();
                    (r.label, usize::from((255 - level) / 25))
                })
                .collect()
        };
        let config = DecoyConfig::new().with_patch_size(3).with_agreement(0.75);
        let train = coded(&config, DecoySplit::Train);
        let agreeing = train.iter().filter(|(label, c)| label == c).count();
        // Binomial(400, 0.75): mean 300, sd 8.7; ±5 sd.
        assert!((257..=343).contains(&agreeing), "{agreeing} of 400");
        assert!(
            train.iter().all(|&(_, c)| c < 4),
            "only the labels' classes are coded"
        );
        let full = coded(&DecoyConfig::new().with_patch_size(3), DecoySplit::Train);
        assert!(full.iter().all(|(label, c)| label == c));
        let error = DecoyConfig::new()
            .with_agreement(-0.1)
            .write_dataset(&images, &labels, dir.path(), "d", DecoySplit::Train, None)
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("agreement must be in [0, 1], got -0.1"),
            "{error}"
        );
    }

    #[test]
    fn texture_codes_the_label_in_training_and_a_random_class_at_test() {
        let config = DecoyConfig::new()
            .with_patch_size(3)
            .with_patch(DecoyPatch::Texture { classes: 5 });
        let mut rng = SplitMix64::new(7);
        let d = config.apply(&object(), [8, 8], 2, DecoySplit::Train, &mut rng);
        assert_eq!(d.texture_class, Some(2));
        assert_eq!(patch_pixels(&d, [8, 8], 3), DecoyPatch::texture(2, 3));
        let mut counts = [0usize; 5];
        for _ in 0..500 {
            let d = config.apply(&object(), [8, 8], 2, DecoySplit::Test, &mut rng);
            let class = d.texture_class.expect("a texture");
            assert_eq!(patch_pixels(&d, [8, 8], 3), DecoyPatch::texture(class, 3));
            counts[class] += 1;
        }
        // Uniform over the 5 classes: 100 each, ± 4 standard deviations (about 36).
        assert!(
            counts.iter().all(|&n| (64..=136).contains(&n)),
            "{counts:?}"
        );
    }
}
