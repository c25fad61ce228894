//! A Burn dataset that decodes images and saliency maps on demand.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use burn::data::dataset::{Dataset, DatasetError};

use crate::{
    AugmentConfig, Augmentation, DataError, ImageConfig, Records, SaliencyBatch, SaliencyBatcher,
    SaliencyConfig, SplitMix64, load_image_augmented, load_saliency_aligned,
};

/// Resized saliency maps by item index, shared by clones of a dataset.
type MapCache = Arc<Mutex<HashMap<usize, Vec<f32>>>>;

/// The item order of the last epoch asked for, shared by clones of a dataset.
type OrderCache = Arc<Mutex<Option<(u64, Arc<[usize]>)>>>;

/// One decoded image, ready for [`SaliencyBatcher`](crate::SaliencyBatcher).
#[derive(Debug, Clone, PartialEq)]
pub struct SaliencyItem {
    /// Row-major `[channels, height, width]`, normalised.
    pub image: Vec<f32>,
    /// Row-major `[grid_height, grid_width]` in `[0, 1]`, if the image has a human map.
    pub saliency: Option<Vec<f32>>,
    /// Class index.
    pub label: usize,
    /// Where the image came from.
    pub path: PathBuf,
}

/// Images and their human maps, decoded when asked for (so a `DataLoader`'s workers decode in
/// parallel), optionally augmented.
///
/// [`SaliencyDataset::load`] returns the typed [`DataError`]; the [`Dataset`] impl, which Burn's
/// `DataLoader` calls, wraps it in a `DatasetError` whose source is the `DataError`.
///
/// ```no_run
/// use cyborg_data::{ImageConfig, SaliencyConfig, SaliencyDataset, read_manifest};
/// use burn::data::dataset::Dataset;
///
/// let records = read_manifest("data/train.csv", None)?;
/// let dataset = SaliencyDataset::new(
///     records,
///     ImageConfig::new(224, 224),
///     SaliencyConfig::new([7, 7]),
/// );
/// let first = dataset.load(0)?;
/// # Ok::<(), cyborg_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SaliencyDataset {
    records: Records,
    image: ImageConfig,
    saliency: SaliencyConfig,
    augment: Option<AugmentConfig>,
    epoch: Arc<AtomicU64>,
    map_cache: Option<MapCache>,
    shuffle: Option<(u64, OrderCache)>,
}

impl SaliencyDataset {
    /// A dataset over `records`, decoding images and maps as the configs say.
    pub fn new(records: Records, image: ImageConfig, saliency: SaliencyConfig) -> Self {
        Self {
            records,
            image,
            saliency,
            augment: None,
            epoch: Arc::new(AtomicU64::new(0)),
            map_cache: None,
            shuffle: None,
        }
    }

    /// Serves the items in a new order every epoch, a pure function of `seed` and the epoch
    /// ([`SaliencyDataset::set_epoch`]): [`Dataset::get`]`(i)` is item `order(seed, epoch)[i]`.
    /// Unlike a `DataLoader`'s own shuffling, whose generator advances with every pass and
    /// starts over in a new process, the order of epoch 5 is the same in a run that went
    /// through epochs 1–4 and in one resumed after epoch 4. [`SaliencyDataset::load`] keeps
    /// taking record indices.
    pub fn with_shuffle(mut self, seed: u64) -> Self {
        self.shuffle = Some((seed, Arc::default()));
        self
    }

    /// The record index served at `position` in the current epoch (the identity without
    /// [`SaliencyDataset::with_shuffle`]).
    ///
    /// # Panics
    /// If `position >= len()`.
    pub fn index_at(&self, position: usize) -> usize {
        let Some((seed, cache)) = &self.shuffle else {
            return position;
        };
        let epoch = self.epoch.load(Ordering::Relaxed);
        let mut cache = cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let order = match cache.as_ref() {
            Some((cached, order)) if *cached == epoch => order.clone(),
            _ => {
                let order: Arc<[usize]> = epoch_order(*seed, epoch, self.records.len()).into();
                *cache = Some((epoch, order.clone()));
                order
            }
        };
        order[position]
    }

    /// Keeps each saliency map in memory once it is decoded and resized to the CAM grid (a
    /// 7×7 map is 196 bytes), so later epochs skip decoding it. Shared by clones of the
    /// dataset. Ignored while augmentation is on, since each draw crops the map anew.
    pub fn with_map_cache(mut self) -> Self {
        self.map_cache = Some(Arc::default());
        self
    }

    /// Augments every item (flip, crop) with draws fixed by the config's seed, the epoch and
    /// the item's index.
    pub fn with_augmentation(mut self, augment: AugmentConfig) -> Self {
        self.augment = Some(augment);
        self
    }

    /// Sets the epoch the augmentation draws and the shuffled order depend on; clones of the
    /// dataset (such as the one a `DataLoader` holds) see the change.
    pub fn set_epoch(&self, epoch: u64) {
        self.epoch.store(epoch, Ordering::Relaxed);
    }

    /// Decodes item `index`.
    ///
    /// # Errors
    /// A [`DataError`] naming the file that could not be read or decoded.
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn load(&self, index: usize) -> Result<SaliencyItem, DataError> {
        let record = &self.records.items[index];
        let augmentation = self.augment.as_ref().map_or(Augmentation::IDENTITY, |a| {
            a.draw(self.epoch.load(Ordering::Relaxed), index)
        });
        let image = load_image_augmented(&record.image, &self.image, &augmentation)?;
        let saliency = match (&record.saliency, &self.map_cache) {
            (None, _) => None,
            (Some(path), Some(cache)) if self.augment.is_none() => {
                let cached = cache.lock().ok().and_then(|c| c.get(&index).cloned());
                match cached {
                    Some(map) => Some(map),
                    None => {
                        let map = load_saliency_aligned(
                            path,
                            &self.saliency,
                            &self.image,
                            &augmentation,
                        )?;
                        if let Ok(mut cache) = cache.lock() {
                            cache.insert(index, map.clone());
                        }
                        Some(map)
                    }
                }
            }
            (Some(path), _) => Some(load_saliency_aligned(
                path,
                &self.saliency,
                &self.image,
                &augmentation,
            )?),
        };
        Ok(SaliencyItem {
            image,
            saliency,
            label: record.label,
            path: record.image.clone(),
        })
    }

    /// Items `range` (clamped to the dataset) decoded now and stacked into one batch on
    /// `device`: a few images to look at, without a data loader.
    ///
    /// # Errors
    /// The first image or map that cannot be read, naming the file.
    pub fn load_batch(
        &self,
        range: std::ops::Range<usize>,
        device: &burn::prelude::Device,
    ) -> Result<SaliencyBatch, DataError> {
        use burn::data::dataloader::batcher::Batcher;
        let end = range.end.min(self.records.len());
        let items = (range.start.min(end)..end)
            .map(|index| self.load(index))
            .collect::<Result<Vec<_>, _>>()?;
        let shape = [self.image.channels, self.image.height, self.image.width];
        Ok(SaliencyBatcher::new(shape, self.saliency.grid).batch(items, device))
    }

    /// The records behind the dataset.
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// The class names.
    pub fn classes(&self) -> &[String] {
        &self.records.classes
    }
}

/// The order of `len` items in `epoch` (Fisher–Yates on a generator seeded by both).
fn epoch_order(seed: u64, epoch: u64, len: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut rng = SplitMix64::new(seed ^ epoch.wrapping_mul(0xD1B5_4A32_D192_ED03));
    rng.shuffle(&mut order);
    order
}

impl Dataset<SaliencyItem> for SaliencyDataset {
    fn get(&self, position: usize) -> Result<SaliencyItem, DatasetError> {
        self.load(self.index_at(position))
            .map_err(DatasetError::new)
    }

    fn len(&self) -> usize {
        self.records.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Record;

    fn dataset(len: usize) -> SaliencyDataset {
        let items = (0..len)
            .map(|i| Record {
                image: PathBuf::from(format!("{i}.png")),
                saliency: None,
                label: i % 2,
            })
            .collect();
        let records = Records {
            items,
            classes: vec!["a".into(), "b".into()],
        };
        SaliencyDataset::new(records, ImageConfig::new(4, 4), SaliencyConfig::new([2, 2]))
    }

    #[test]
    fn load_batch_stacks_the_items_asked_for_and_names_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let items = (0..3u8)
            .map(|i| {
                let image = dir.path().join(format!("{i}.png"));
                image::GrayImage::from_pixel(4, 4, image::Luma([i * 100]))
                    .save(&image)
                    .unwrap();
                Record {
                    image,
                    saliency: None,
                    label: usize::from(i % 2),
                }
            })
            .collect();
        let records = Records {
            items,
            classes: vec!["a".into(), "b".into()],
        };
        let image = ImageConfig::new(4, 4)
            .with_channels(1)
            .with_normalization(crate::Normalization::None);
        let dataset = SaliencyDataset::new(records, image, SaliencyConfig::new([2, 2]));
        let device = burn::prelude::Device::flex();
        // 1..5 is clamped to the three items: items 1 and 2.
        let batch = dataset.load_batch(1..5, &device).unwrap();
        assert_eq!(batch.images.dims(), [2, 1, 4, 4]);
        let labels = batch
            .labels
            .into_data()
            .convert::<i64>()
            .try_to_vec::<i64>();
        assert_eq!(labels.unwrap(), [1, 0]);
        let corner = |b: usize| {
            let v = batch.images.clone().into_data().convert::<f32>();
            v.try_to_vec::<f32>().unwrap()[b * 16]
        };
        assert!(
            (corner(0) - 100.0 / 255.0).abs() < 1e-6 && (corner(1) - 200.0 / 255.0).abs() < 1e-6
        );

        std::fs::remove_file(dir.path().join("2.png")).unwrap();
        let error = dataset.load_batch(0..3, &device).unwrap_err();
        assert!(error.to_string().contains("2.png"), "{error}");
    }

    fn order(dataset: &SaliencyDataset) -> Vec<usize> {
        (0..dataset.len()).map(|i| dataset.index_at(i)).collect()
    }

    #[test]
    fn without_shuffle_the_order_is_the_records() {
        let plain = dataset(9);
        plain.set_epoch(3);
        assert_eq!(order(&plain), (0..9).collect::<Vec<_>>());
    }

    #[test]
    fn each_epoch_is_a_permutation_of_its_own() {
        let shuffled = dataset(50).with_shuffle(7);
        let mut seen = Vec::new();
        for epoch in 1..=3 {
            shuffled.set_epoch(epoch);
            let now = order(&shuffled);
            let mut sorted = now.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..50).collect::<Vec<_>>(), "epoch {epoch}");
            assert_ne!(now, (0..50).collect::<Vec<_>>(), "epoch {epoch}");
            assert!(
                !seen.contains(&now),
                "epoch {epoch} repeats an earlier order"
            );
            seen.push(now);
        }
    }

    #[test]
    fn an_epoch_order_depends_on_seed_and_epoch_alone() {
        // A run that went through epochs 1 and 2 and a fresh one (resumed) asked for epoch 2
        // see the same order; another seed another one.
        let long = dataset(30).with_shuffle(11);
        long.set_epoch(1);
        let _ = order(&long);
        long.set_epoch(2);
        let fresh = dataset(30).with_shuffle(11);
        fresh.set_epoch(2);
        assert_eq!(order(&long), order(&fresh));
        let other = dataset(30).with_shuffle(12);
        other.set_epoch(2);
        assert_ne!(order(&other), order(&fresh));
        // Clones (a DataLoader's copy) follow the epoch set on the original.
        let clone = fresh.clone();
        fresh.set_epoch(1);
        long.set_epoch(1);
        assert_eq!(order(&clone), order(&long));
    }
}
