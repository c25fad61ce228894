//! The generated shortcut task that ships with the project: no files, no downloads.
//!
//! 16×16 gray images of a faint bar, horizontal for class 0 and vertical for class 1, somewhere
//! in the left part of the image, plus a bright square in the right margin, at the top for
//! class 0 and at the bottom for class 1 in training, at a random place at test time. The
//! human map marks the bar. Cross-entropy alone is free to learn the easy square (a shortcut
//! that fails at test time); a saliency loss asks the CAM to look at the bar.

use burn::prelude::*;
use burn::tensor::TensorData;

use crate::{DataError, Record, Records, SplitMix64, write_manifest};

/// Configuration of the [`ShortcutTask`], built with [`ShortcutTaskConfig::generate`].
///
/// Each image is `image_size × image_size`, one channel, values in `[0, ~2]`:
/// uniform noise in `[0, noise)`, a 2-pixel-thick bar of `bar_contrast` (horizontal = class 0,
/// vertical = class 1) at a random place left of the right margin, and a 3×3 square of
/// `cue_contrast` in the right margin (the shortcut). In training the square sits at the top
/// for class 0 and at the bottom for class 1; at test time its place is random. The human map
/// is 1 on the bar and the pixels next to it, 0 elsewhere.
#[derive(Config, Debug)]
pub struct ShortcutTaskConfig {
    /// Side of the square images, at least 12.
    #[config(default = 16)]
    pub image_size: usize,
    /// Number of training images.
    #[config(default = 512)]
    pub train_size: usize,
    /// Number of test images.
    #[config(default = 512)]
    pub test_size: usize,
    /// Brightness added on the bar (the real signal).
    #[config(default = 0.5)]
    pub bar_contrast: f32,
    /// Brightness added on the square (the shortcut).
    #[config(default = 1.0)]
    pub cue_contrast: f32,
    /// Amplitude of the uniform background noise.
    #[config(default = 0.6)]
    pub noise: f32,
    /// Seed of the generator; the same seed gives the same images on every platform.
    #[config(default = 0)]
    pub seed: u64,
    /// Share of the training images whose square agrees with the label, in `[0, 1]`; the others
    /// carry the other class's square. 1 (the default) makes the shortcut perfect, so more data
    /// cannot help; below 1, cross-entropy can learn from more data that the square misleads.
    /// The test split's square stays random.
    #[config(default = 1.0)]
    pub cue_agreement: f64,
}

/// One split of the task, in host memory.
#[derive(Debug, Clone)]
pub struct ShortcutSplit {
    /// Side of the square images.
    pub image_size: usize,
    /// Images, row-major `[n, 1, image_size, image_size]`.
    pub images: Vec<f32>,
    /// Class of each image, 0 (horizontal bar) or 1 (vertical bar).
    pub labels: Vec<i64>,
    /// Human maps, row-major `[n, image_size, image_size]`, 1 on and around the bar.
    pub saliency: Vec<f32>,
    /// Whether the shortcut square sits where the label's class has it (in training, a share
    /// `cue_agreement` of the images).
    pub cue_agrees: Vec<bool>,
}

/// The training and test splits of the shortcut task.
#[derive(Debug, Clone)]
pub struct ShortcutTask {
    /// Training split: the square agrees with the label on a share `cue_agreement`.
    pub train: ShortcutSplit,
    /// Test split: the square is placed at random.
    pub test: ShortcutSplit,
}

/// A split (or a batch of it) as tensors on a device.
#[derive(Debug, Clone)]
pub struct ShortcutTensors {
    /// `[n, 1, size, size]`
    pub images: Tensor<4>,
    /// `[n]`
    pub labels: Tensor<1, Int>,
    /// `[n, size, size]`
    pub saliency: Tensor<3>,
}

impl ShortcutTaskConfig {
    /// Generates both splits.
    ///
    /// # Panics
    /// If `image_size < 12` or `cue_agreement` is not in `[0, 1]`.
    pub fn generate(&self) -> ShortcutTask {
        assert!(
            self.image_size >= 12,
            "image_size must be at least 12, got {}",
            self.image_size
        );
        assert!(
            (0.0..=1.0).contains(&self.cue_agreement),
            "cue_agreement must be in [0, 1], got {}",
            self.cue_agreement
        );
        let mut rng = SplitMix64::new(self.seed);
        let train = self.split(self.train_size, true, &mut rng);
        let test = self.split(self.test_size, false, &mut rng);
        ShortcutTask { train, test }
    }

    fn split(&self, n: usize, cue_follows_label: bool, rng: &mut SplitMix64) -> ShortcutSplit {
        let s = self.image_size;
        let mut split = ShortcutSplit {
            image_size: s,
            images: Vec::with_capacity(n * s * s),
            labels: Vec::with_capacity(n),
            saliency: Vec::with_capacity(n * s * s),
            cue_agrees: Vec::with_capacity(n),
        };
        for _ in 0..n {
            let label = rng.below(2);
            let mut image: Vec<f32> = (0..s * s).map(|_| rng.next_f32() * self.noise).collect();
            let mut human = vec![0.0f32; s * s];
            // The bar lives left of the 4-column margin that holds the cue (and a gap).
            let length = s * 3 / 8;
            let usable = s - 5;
            let (rows, cols) = if label == 0 { (2, length) } else { (length, 2) };
            let top = 1 + rng.below(s - rows - 1);
            let left = 1 + rng.below(usable - cols);
            for r in top..top + rows {
                for c in left..left + cols {
                    image[r * s + c] += self.bar_contrast;
                }
            }
            for r in top.saturating_sub(1)..(top + rows + 1).min(s) {
                for c in left.saturating_sub(1)..(left + cols + 1).min(s) {
                    human[r * s + c] = 1.0;
                }
            }
            let cue_top = if cue_follows_label {
                // No draw at full agreement: the images of earlier releases stay the same.
                let agrees =
                    self.cue_agreement >= 1.0 || f64::from(rng.next_f32()) < self.cue_agreement;
                (label == 0) == agrees
            } else {
                rng.below(2) == 0
            };
            let cue_row = if cue_top { 1 } else { s - 4 };
            for r in cue_row..cue_row + 3 {
                for c in s - 4..s - 1 {
                    image[r * s + c] += self.cue_contrast;
                }
            }
            split.images.extend(image);
            split.saliency.extend(human);
            split.labels.push(label as i64);
            split.cue_agrees.push(cue_top == (label == 0));
        }
        split
    }
}

impl ShortcutSplit {
    /// Writes the split in the manifest layout: `dir/images/<i>.png`, `dir/saliency/<i>.png`
    /// (8-bit gray, the images scaled by 1/2 so `[0, 2]` fits) and the manifest `dir/<name>`,
    /// so any tool that reads manifests can use the task. Returns the records written.
    ///
    /// # Errors
    /// [`DataError::Io`] if `dir` cannot be written.
    pub fn write(&self, dir: &std::path::Path, name: &str) -> Result<Records, DataError> {
        let s = self.image_size;
        let mut items = Vec::with_capacity(self.len());
        for folder in ["images", "saliency"] {
            std::fs::create_dir_all(dir.join(folder)).map_err(DataError::io(dir.join(folder)))?;
        }
        let to_png = |values: &[f32], scale: f32, path: &std::path::Path| {
            let pixels = values
                .iter()
                .map(|v| (v * scale * 255.0).round().clamp(0.0, 255.0) as u8);
            image::GrayImage::from_raw(s as u32, s as u32, pixels.collect())
                .expect("plane has image_size² values")
                .save(path)
                .map_err(|source| DataError::Encode {
                    path: path.to_path_buf(),
                    source,
                })
        };
        for i in 0..self.len() {
            let image = dir.join("images").join(format!("{name}-{i:05}.png"));
            let saliency = dir.join("saliency").join(format!("{name}-{i:05}.png"));
            to_png(&self.images[i * s * s..(i + 1) * s * s], 0.5, &image)?;
            to_png(&self.saliency[i * s * s..(i + 1) * s * s], 1.0, &saliency)?;
            items.push(Record {
                image,
                saliency: Some(saliency),
                label: self.labels[i] as usize,
            });
        }
        let records = Records {
            items,
            classes: vec!["horizontal".into(), "vertical".into()],
        };
        write_manifest(dir.join(format!("{name}.csv")), &records)?;
        Ok(records)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The whole split as tensors on `device`.
    pub fn to_tensors(&self, device: &Device) -> ShortcutTensors {
        let (n, s) = (self.len(), self.image_size);
        ShortcutTensors {
            images: Tensor::from_data(TensorData::new(self.images.clone(), [n, 1, s, s]), device),
            labels: Tensor::from_data(TensorData::new(self.labels.clone(), [n]), device),
            saliency: Tensor::from_data(TensorData::new(self.saliency.clone(), [n, s, s]), device),
        }
    }
}

impl ShortcutTensors {
    /// The images at `indices`, in that order.
    ///
    /// # Shapes
    /// - indices: `[batch]`
    pub fn select(&self, indices: Tensor<1, Int>) -> Self {
        Self {
            images: self.images.clone().select(0, indices.clone()),
            labels: self.labels.clone().select(0, indices.clone()),
            saliency: self.saliency.clone().select(0, indices),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> ShortcutTask {
        ShortcutTaskConfig::new()
            .with_train_size(64)
            .with_test_size(64)
            .generate()
    }

    #[test]
    fn same_seed_same_data() {
        let (a, b) = (task(), task());
        assert_eq!(a.train.images, b.train.images);
        assert_eq!(a.test.labels, b.test.labels);
    }

    #[test]
    fn cue_agrees_in_training_only() {
        let t = task();
        assert!(t.train.cue_agrees.iter().all(|&a| a));
        let agreeing = t.test.cue_agrees.iter().filter(|&&a| a).count();
        assert!(
            (16..=48).contains(&agreeing),
            "{agreeing} of 64 test cues agree"
        );
    }

    #[test]
    fn a_partial_shortcut_agrees_on_its_share_and_full_agreement_draws_nothing_more() {
        let partial = ShortcutTaskConfig::new()
            .with_train_size(2000)
            .with_test_size(8)
            .with_cue_agreement(0.9)
            .generate();
        let agreeing = partial.train.cue_agrees.iter().filter(|&&a| a).count();
        // Binomial(2000, 0.9): mean 1800, sd 13.4; ±5 sd.
        assert!((1733..=1867).contains(&agreeing), "{agreeing} of 2000");
        // The square sits where `cue_agrees` says: top (rows 1..4) for class 0 when it agrees.
        let s = partial.train.image_size;
        for i in 0..50 {
            let image = &partial.train.images[i * s * s..(i + 1) * s * s];
            let top: f32 = (1..4).map(|r| image[r * s + s - 3]).sum();
            let bottom: f32 = (s - 4..s - 1).map(|r| image[r * s + s - 3]).sum();
            let class0 = partial.train.labels[i] == 0;
            assert_eq!(
                top > bottom,
                class0 == partial.train.cue_agrees[i],
                "image {i}"
            );
        }
        let none = ShortcutTaskConfig::new()
            .with_train_size(200)
            .with_test_size(8)
            .with_cue_agreement(0.0)
            .generate();
        assert!(none.train.cue_agrees.iter().all(|&a| !a));
        // Full agreement is the default's data, image for image.
        let full = task();
        let explicit = ShortcutTaskConfig::new()
            .with_train_size(64)
            .with_test_size(64)
            .with_cue_agreement(1.0)
            .generate();
        assert_eq!(full.train.images, explicit.train.images);
        assert_eq!(full.test.images, explicit.test.images);
    }

    #[test]
    #[should_panic(expected = "cue_agreement must be in [0, 1], got 1.5")]
    fn an_agreement_above_one_is_refused() {
        ShortcutTaskConfig::new().with_cue_agreement(1.5).generate();
    }

    #[test]
    fn human_map_covers_the_bar_and_not_the_cue() {
        let t = task();
        let s = t.train.image_size;
        for i in 0..t.train.len() {
            let human = &t.train.saliency[i * s * s..(i + 1) * s * s];
            // horizontal bar: 2 × 6 plus a 1-pixel ring = 4 × 8; vertical: 8 × 4
            assert_eq!(human.iter().filter(|&&v| v == 1.0).count(), 32);
            // the cue's columns are never marked
            assert!((0..s).all(|r| human[r * s + s - 3] == 0.0));
        }
    }
}
