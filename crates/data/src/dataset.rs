//! A Burn dataset that decodes images and saliency maps on demand.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use burn::data::dataset::{Dataset, DatasetError};

use crate::{
    AugmentConfig, Augmentation, DataError, ImageConfig, Records, SaliencyConfig,
    load_image_augmented, load_saliency_augmented,
};

/// Resized saliency maps by item index, shared by clones of a dataset.
type MapCache = Arc<Mutex<HashMap<usize, Vec<f32>>>>;

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
        }
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

    /// Sets the epoch the augmentation draws depend on; clones of the dataset (such as the
    /// one a `DataLoader` holds) see the change.
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
                        let map = load_saliency_augmented(path, &self.saliency, &augmentation)?;
                        if let Ok(mut cache) = cache.lock() {
                            cache.insert(index, map.clone());
                        }
                        Some(map)
                    }
                }
            }
            (Some(path), _) => Some(load_saliency_augmented(
                path,
                &self.saliency,
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

    /// The records behind the dataset.
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// The class names.
    pub fn classes(&self) -> &[String] {
        &self.records.classes
    }
}

impl Dataset<SaliencyItem> for SaliencyDataset {
    fn get(&self, index: usize) -> Result<SaliencyItem, DatasetError> {
        self.load(index).map_err(DatasetError::new)
    }

    fn len(&self) -> usize {
        self.records.len()
    }
}
