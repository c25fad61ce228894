//! A `DataLoader` that tells its dataset which epoch starts, so the shuffled order and the
//! augmentation draws are a function of the epoch number rather than of how many passes this
//! process has made: what makes a resumed run repeat the uninterrupted one exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use burn::data::dataloader::{DataLoader, DataLoaderIterator};
use burn::prelude::Device;
use cyborg_data::SaliencyDataset;

/// Wraps a loader built (without its own shuffling) over a clone of `dataset`: every pass
/// ([`DataLoader::iter`]) first sets the dataset's epoch to the next epoch number, starting
/// after the `completed` epochs given to [`EpochLoader::new`]. Copies made by
/// [`DataLoader::slice`] and [`DataLoader::to_device`] (burn-train's per-device shares) count
/// their passes from the count at the time of the copy, so every share of one epoch sets the
/// same number.
pub struct EpochLoader<O> {
    inner: Arc<dyn DataLoader<O>>,
    dataset: SaliencyDataset,
    completed: AtomicU64,
}

impl<O> EpochLoader<O> {
    /// A loader over `inner`, whose dataset is (a clone of) `dataset`, with `completed` epochs
    /// already behind it (the resumed checkpoint's epoch, 0 for a new run).
    pub fn new(inner: Arc<dyn DataLoader<O>>, dataset: SaliencyDataset, completed: u64) -> Self {
        Self {
            inner,
            dataset,
            completed: AtomicU64::new(completed),
        }
    }

    fn with_inner(&self, inner: Arc<dyn DataLoader<O>>) -> Self {
        Self::new(
            inner,
            self.dataset.clone(),
            self.completed.load(Ordering::SeqCst),
        )
    }
}

impl<O: 'static> DataLoader<O> for EpochLoader<O> {
    fn iter<'a>(&'a self) -> Box<dyn DataLoaderIterator<O> + 'a> {
        let epoch = self.completed.fetch_add(1, Ordering::SeqCst) + 1;
        self.dataset.set_epoch(epoch);
        self.inner.iter()
    }

    fn num_items(&self) -> usize {
        self.inner.num_items()
    }

    fn to_device(&self, device: &Device) -> Arc<dyn DataLoader<O>> {
        Arc::new(self.with_inner(self.inner.to_device(device)))
    }

    fn slice(&self, start: usize, end: usize) -> Arc<dyn DataLoader<O>> {
        Arc::new(self.with_inner(self.inner.slice(start, end)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    use burn::data::dataloader::DataLoaderBuilder;
    use burn::data::dataloader::batcher::Batcher;
    use cyborg_data::{ImageConfig, Record, Records, SaliencyConfig, SaliencyItem};

    /// Batches the file names (the record index) of the items, nothing decoded.
    #[derive(Clone, Copy)]
    struct Names;

    impl Batcher<SaliencyItem, Vec<usize>> for Names {
        fn batch(&self, items: Vec<SaliencyItem>, _: &Device) -> Vec<usize> {
            items.iter().map(|item| item.label).collect()
        }
    }

    fn dataset() -> SaliencyDataset {
        let items = (0..12)
            .map(|i| Record {
                image: PathBuf::from(format!("{i}.png")),
                saliency: None,
                label: i,
            })
            .collect();
        let records = Records {
            items,
            classes: (0..12).map(|i| i.to_string()).collect(),
        };
        SaliencyDataset::new(records, ImageConfig::new(2, 2), SaliencyConfig::new([1, 1]))
            .with_shuffle(3)
    }

    /// The labels of each pass, without decoding: `index_at` is what `Dataset::get` loads.
    fn passes(
        loader: &dyn DataLoader<Vec<usize>>,
        dataset: &SaliencyDataset,
        n: usize,
    ) -> Vec<Vec<usize>> {
        (0..n)
            .map(|_| {
                drop(loader.iter());
                (0..12).map(|i| dataset.index_at(i)).collect()
            })
            .collect()
    }

    #[test]
    fn a_loader_resumed_after_two_epochs_continues_the_sequence() {
        let make = |completed| {
            let data = dataset();
            let inner = DataLoaderBuilder::new(Names)
                .batch_size(4)
                .build(data.clone());
            (EpochLoader::new(inner, data.clone(), completed), data)
        };
        let (whole, whole_data) = make(0);
        let uninterrupted = passes(&whole, &whole_data, 4);
        let (resumed, resumed_data) = make(2);
        assert_eq!(passes(&resumed, &resumed_data, 2), uninterrupted[2..]);
        assert_ne!(uninterrupted[0], uninterrupted[1]);
        // A share made for a device continues from the count at the time it was made.
        let share = whole.slice(0, 6);
        assert_eq!(passes(share.as_ref(), &whole_data, 1)[0], {
            let (again, again_data) = make(4);
            passes(&again, &again_data, 1).remove(0)
        });
    }
}
