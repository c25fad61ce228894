//! A whole training epoch as a user runs it: a folder of PNG images with human maps, decoded,
//! resized and batched by `cyborg-data` on loader threads while `cyborg-train`'s trainer runs
//! the paper's recipe (SGD, batch 20) with the CYBORG loss. `scripts/bench_epoch.py` does the
//! same in PyTorch on the same folder.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::prelude::*;
use cyborg_data::{
    DataError, ImageConfig, Records, SaliencyConfig, SaliencyDataset, SplitMix64, read_manifest,
    write_manifest,
};
use cyborg_train::{HistoryRow, Run, TrainData, TrainError, TrainingConfig, TrainingProgress};
use image::{GrayImage, RgbImage};
use serde::{Deserialize, Serialize};

use crate::memory::PeakMemory;
use crate::{BenchModel, threads};

/// The side of the epoch benchmark's images.
pub const EPOCH_IMAGE_SIDE: u32 = 224;
/// The manifest of the training images in an epoch folder ([`write_epoch_folder`]).
pub const EPOCH_TRAIN_MANIFEST: &str = "train.csv";
/// The manifest of the validation images (the first [`EPOCH_VALID_IMAGES`] training images):
/// the trainer needs one, the benchmark does not time it.
pub const EPOCH_VALID_MANIFEST: &str = "valid.csv";
/// Images of the validation manifest.
pub const EPOCH_VALID_IMAGES: usize = 20;
/// The file that marks a folder as written by [`write_epoch_folder`] (its image count and
/// seed): only such a folder is ever written again.
pub const EPOCH_MARKER: &str = "epoch-bench.json";

/// Writes `images` generated 224×224 RGB PNG images (`images/NNNN.png`, two classes
/// alternating) with a 224×224 gray human map each (`maps/NNNN.png`: a blob where the class's
/// evidence is), and the manifests [`EPOCH_TRAIN_MANIFEST`] and [`EPOCH_VALID_MANIFEST`].
/// The same `seed` writes the same bytes. Returns the training manifest's path.
///
/// A folder this function wrote ([`EPOCH_MARKER`]) with the same `images` and `seed` is kept
/// as it is; with others it is written again. A folder that holds a training manifest but no
/// marker (someone's own data) is never written to.
///
/// # Errors
/// [`DataError::Io`] naming the file that could not be written, or the manifest of a folder
/// that has one of its own.
pub fn write_epoch_folder(dir: &Path, images: usize, seed: u64) -> Result<PathBuf, DataError> {
    let manifest = dir.join(EPOCH_TRAIN_MANIFEST);
    let marker = dir.join(EPOCH_MARKER);
    let stamp = format!("{{\"images\": {images}, \"seed\": {seed}}}\n");
    match std::fs::read_to_string(&marker) {
        Ok(found) if found == stamp && manifest.exists() => return Ok(manifest),
        Err(_) if manifest.exists() => {
            return Err(DataError::Io {
                path: manifest,
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!(
                        "not written by the epoch benchmark (no {EPOCH_MARKER} beside it): \
                         choose an empty or new folder; nothing was changed"
                    ),
                ),
            });
        }
        _ => {}
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DataError::Io { path, source }
    };
    for sub in ["images", "maps"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(io(&dir.join(sub)))?;
    }
    let mut rng = SplitMix64::new(seed);
    let side = EPOCH_IMAGE_SIDE;
    let mut rows = Vec::with_capacity(images);
    for i in 0..images {
        let label = i % 2;
        // A smooth colour gradient with noise (about as hard to decode as a photograph), and a
        // bright square for class 1 or a dark one for class 0 where the map points.
        let (cx, cy) = (
            40 + rng.below(side as usize - 80) as u32,
            40 + rng.below(side as usize - 80) as u32,
        );
        let tint = [rng.next_f32(), rng.next_f32(), rng.next_f32()];
        let picture = RgbImage::from_fn(side, side, |x, y| {
            let inside = x.abs_diff(cx) < 20 && y.abs_diff(cy) < 20;
            image::Rgb(std::array::from_fn(|c| {
                let base = 60.0 + 120.0 * tint[c] * (x + y) as f32 / (2 * side) as f32;
                let noise = 40.0 * (rng.next_f32() - 0.5);
                let mark = match (inside, label) {
                    (false, _) => 0.0,
                    (true, 0) => -50.0,
                    (true, _) => 50.0,
                };
                (base + noise + mark).clamp(0.0, 255.0) as u8
            }))
        });
        let map = GrayImage::from_fn(side, side, |x, y| {
            let d2 = (x as f32 - cx as f32).powi(2) + (y as f32 - cy as f32).powi(2);
            image::Luma([(255.0 * (-d2 / (2.0 * 25.0f32.powi(2))).exp()) as u8])
        });
        let image_path = dir.join(format!("images/{i:04}.png"));
        let map_path = dir.join(format!("maps/{i:04}.png"));
        let save_error = |path: &Path| {
            let path = path.to_path_buf();
            move |e: image::ImageError| DataError::Io {
                path,
                source: std::io::Error::other(e),
            }
        };
        picture.save(&image_path).map_err(save_error(&image_path))?;
        map.save(&map_path).map_err(save_error(&map_path))?;
        rows.push(cyborg_data::Record {
            image: image_path,
            saliency: Some(map_path),
            label,
        });
    }
    let classes = vec!["0".to_string(), "1".to_string()];
    let valid = Records {
        items: rows.iter().take(EPOCH_VALID_IMAGES).cloned().collect(),
        classes: classes.clone(),
    };
    write_manifest(dir.join(EPOCH_VALID_MANIFEST), &valid)?;
    write_manifest(
        &manifest,
        &Records {
            items: rows,
            classes,
        },
    )?;
    std::fs::write(&marker, stamp).map_err(io(&marker))?;
    Ok(manifest)
}

/// What [`measure_epochs`] found: one line of `cyborg bench-epoch`'s JSON (the fields
/// `scripts/bench_epoch.py` writes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMeasurement {
    /// `epoch/{model}/cyborg`.
    pub workload: String,
    /// The backend, e.g. `flex`, `pytorch-cpu`.
    pub backend: String,
    /// Threads of the CPU work (rayon's pool; PyTorch's intra-op threads).
    pub threads: usize,
    /// Loader threads (PyTorch: `DataLoader` worker processes).
    pub workers: usize,
    /// Images per step.
    pub batch: usize,
    /// Training images per epoch.
    pub images: usize,
    /// The training pass of each epoch in seconds, the first (caches cold, the human maps
    /// resized for the first time) included.
    pub epoch_s: Vec<f64>,
    /// Training images per second: the images over the median epoch after the first.
    pub images_per_second: f64,
    /// How far the process's peak resident memory rose above its level before the model was
    /// built, in MiB (PyTorch: the main process; its workers are in `worker_peak_mib`).
    pub peak_mib: Option<f64>,
    /// PyTorch only: the largest peak of one `DataLoader` worker process, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_peak_mib: Option<f64>,
    /// The CPU and its SIMD extensions, and the kernels' level where the caller knows it, as
    /// [`Measurement::machine`](crate::Measurement::machine).
    #[serde(default)]
    pub machine: String,
}

/// Records when each training pass starts and ends.
#[derive(Clone, Default)]
struct EpochClock(Arc<Mutex<(Option<Instant>, Vec<f64>)>>);

impl TrainingProgress for EpochClock {
    fn start_split(&mut self, _epoch: usize, split: &str, _items: usize) {
        if split == "train" {
            self.0.lock().expect("clock").0 = Some(Instant::now());
        }
    }

    fn end_split(&mut self, _summary: &str, row: &HistoryRow) {
        let mut clock = self.0.lock().expect("clock");
        if row.split == "train"
            && let Some(start) = clock.0.take()
        {
            clock.1.push(start.elapsed().as_secs_f64());
        }
    }
}

/// Trains `model` on the folder's training manifest ([`write_epoch_folder`]) for `epochs`
/// epochs, as `cyborg train` does (the paper's recipe with `batch` images a step, the CYBORG
/// loss, `workers` loader threads, a checkpoint per epoch in `dir/run`), and times each
/// training pass (not the validation passes nor the checkpoints).
///
/// # Errors
/// What the trainer or the data loader report.
pub fn measure_epochs(
    model: BenchModel,
    dir: &Path,
    device: &Device,
    backend: &str,
    workers: usize,
    batch: usize,
    epochs: usize,
) -> Result<EpochMeasurement, TrainError> {
    let train = read_manifest(dir.join(EPOCH_TRAIN_MANIFEST), None)?;
    let valid = read_manifest(dir.join(EPOCH_VALID_MANIFEST), Some(train.classes.clone()))?;
    let [channels, height, width] = model.input();
    let image = ImageConfig::new(height, width).with_channels(channels);
    let dataset = |records: Records| {
        SaliencyDataset::new(records, image.clone(), SaliencyConfig::new(model.grid()))
            .with_map_cache()
    };
    let images = train.len();
    let data = TrainData {
        train: dataset(train),
        valid: dataset(valid),
        image_shape: model.input(),
        grid: model.grid(),
    };
    let recipe = TrainingConfig::paper()
        .with_epochs(epochs)
        .with_batch_size(batch);
    let clock = EpochClock::default();
    let peak = PeakMemory::start();
    Run::new(recipe, dir.join("run"))
        .on(device.clone())
        .workers(workers)
        .progress(clock.clone())
        .train(|device| model.build(device), data)?;
    let peak_mib = peak.rise_mib();
    let epoch_s = clock.0.lock().expect("clock").1.clone();
    let mut steady: Vec<f64> = epoch_s.iter().skip(1).copied().collect();
    let median_s = match steady.is_empty() {
        true => epoch_s.first().copied().unwrap_or(f64::NAN),
        false => crate::median(&mut steady),
    };
    Ok(EpochMeasurement {
        workload: format!("epoch/{}/cyborg", model.name()),
        backend: backend.to_string(),
        threads: threads(),
        workers,
        batch,
        images,
        epoch_s,
        images_per_second: images as f64 / median_s,
        peak_mib,
        worker_peak_mib: None,
        machine: crate::cpu_description(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_is_seeded_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = write_epoch_folder(dir.path(), 4, 7).unwrap();
        let records = read_manifest(&manifest, None).unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(
            records.items.iter().map(|r| r.label).collect::<Vec<_>>(),
            [0, 1, 0, 1]
        );
        let first = std::fs::read(&records.items[0].image).unwrap();
        let map = image::open(records.items[0].saliency.as_ref().unwrap()).unwrap();
        assert_eq!((map.width(), map.height()), (224, 224));
        // The same seed writes the same bytes; the folder is kept when it is complete.
        let again = tempfile::tempdir().unwrap();
        write_epoch_folder(again.path(), 4, 7).unwrap();
        assert_eq!(
            std::fs::read(again.path().join("images/0000.png")).unwrap(),
            first
        );
        let valid = read_manifest(dir.path().join(EPOCH_VALID_MANIFEST), None).unwrap();
        assert_eq!(valid.len(), 4.min(EPOCH_VALID_IMAGES));
        // Another count rewrites the benchmark's own folder.
        let manifest = write_epoch_folder(dir.path(), 3, 7).unwrap();
        assert_eq!(read_manifest(&manifest, None).unwrap().len(), 3);
    }

    #[test]
    fn a_folder_with_a_manifest_of_its_own_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let theirs = "image,saliency,label\na.png,,0\n";
        std::fs::write(dir.path().join(EPOCH_TRAIN_MANIFEST), theirs).unwrap();
        let error = write_epoch_folder(dir.path(), 4, 0).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("not written by the epoch benchmark"),
            "{error}"
        );
        let kept = std::fs::read_to_string(dir.path().join(EPOCH_TRAIN_MANIFEST)).unwrap();
        assert_eq!(kept, theirs);
        assert!(!dir.path().join("images").exists());
    }

    #[test]
    fn two_small_epochs_are_timed() {
        let _seeded = crate::seeded_device_lock();
        let dir = tempfile::tempdir().unwrap();
        write_epoch_folder(dir.path(), 6, 1).unwrap();
        let m = measure_epochs(
            BenchModel::SmallCnn,
            dir.path(),
            &Device::flex(),
            "flex",
            1,
            4,
            2,
        )
        .unwrap();
        assert_eq!(m.epoch_s.len(), 2);
        assert!(m.epoch_s.iter().all(|&s| s > 0.0));
        assert_eq!((m.images, m.batch, m.workers), (6, 4, 1));
        assert!((m.images_per_second - 6.0 / m.epoch_s[1]).abs() < 1e-9);
        assert_eq!(m.workload, "epoch/small-cnn/cyborg");
    }
}
