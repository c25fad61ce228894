//! A data loader that prepares batches on several threads and hands them out in order: the
//! batches, and their order, are those of one thread, so a run gives the same model whatever
//! the number of workers. (Burn's multi-threaded loader hands batches out as they finish.)

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderIterator, Dataset, Progress};
use burn::data::dataset::DatasetError;
use burn::data::dataset::transform::PartialDataset;
use burn::prelude::Device;

/// Batches each worker may have ready before the training loop asks for them.
const AHEAD: usize = 2;

/// Loads consecutive batches of `batch_size` items (the last one may be smaller) of a
/// dataset, `workers` threads at a time: worker `w` prepares batches `w`, `w + workers`, …,
/// and the iterator takes batch `i` from worker `i % workers`, so batches come out in order.
pub struct OrderedLoader<I, O> {
    dataset: Arc<dyn Dataset<I>>,
    batcher: Arc<dyn Batcher<I, O>>,
    batch_size: usize,
    workers: usize,
    device: Device,
}

impl<I, O> OrderedLoader<I, O> {
    /// A loader of `dataset` in batches of `batch_size` (at least 1) made by `batcher` on
    /// `device`, with `workers` threads (at least 1).
    pub fn new(
        dataset: Arc<dyn Dataset<I>>,
        batcher: Arc<dyn Batcher<I, O>>,
        batch_size: usize,
        workers: usize,
        device: Device,
    ) -> Self {
        Self {
            dataset,
            batcher,
            batch_size: batch_size.max(1),
            workers: workers.max(1),
            device,
        }
    }

    fn with(&self, dataset: Arc<dyn Dataset<I>>, device: Device) -> Self {
        Self {
            dataset,
            batcher: self.batcher.clone(),
            batch_size: self.batch_size,
            workers: self.workers,
            device,
        }
    }
}

/// One batch, or why it could not be made.
type Loaded<O> = Result<O, DatasetError>;

impl<I, O> DataLoader<O> for OrderedLoader<I, O>
where
    I: Clone + Send + Sync + 'static,
    O: Send + 'static,
{
    fn iter<'a>(&'a self) -> Box<dyn DataLoaderIterator<O> + 'a> {
        let items = self.dataset.len();
        let batches = items.div_ceil(self.batch_size);
        let workers = self.workers.min(batches).max(1);
        let mut receivers = Vec::with_capacity(workers);
        let mut threads = Vec::with_capacity(workers);
        let mut failure = None;
        for worker in 0..workers {
            let (sender, receiver) = sync_channel::<Loaded<O>>(AHEAD);
            let job = self.with(self.dataset.clone(), self.device.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("cyborg-loader-{worker}"))
                .spawn(move || job.load(worker, workers, batches, sender));
            match spawned {
                Ok(thread) => threads.push(thread),
                Err(error) => {
                    failure = Some(DatasetError::new(error));
                    break;
                }
            }
            receivers.push(receiver);
        }
        Box::new(OrderedIterator {
            receivers,
            threads,
            next: 0,
            batches,
            processed: 0,
            items,
            batch_size: self.batch_size,
            failure,
        })
    }

    fn num_items(&self) -> usize {
        self.dataset.len()
    }

    fn to_device(&self, device: &Device) -> Arc<dyn DataLoader<O>> {
        Arc::new(self.with(self.dataset.clone(), device.clone()))
    }

    fn slice(&self, start: usize, end: usize) -> Arc<dyn DataLoader<O>> {
        let part = PartialDataset::new(self.dataset.clone(), start, end);
        Arc::new(self.with(Arc::new(part), self.device.clone()))
    }
}

impl<I, O> OrderedLoader<I, O> {
    /// A worker thread's work: makes batches `worker`, `worker + workers`, … and sends them;
    /// stops at the first error or when the iterator is gone.
    fn load(self, worker: usize, workers: usize, batches: usize, sender: SyncSender<Loaded<O>>) {
        let items = self.dataset.len();
        for batch in (worker..batches).step_by(workers) {
            let start = batch * self.batch_size;
            let end = (start + self.batch_size).min(items);
            let loaded: Loaded<O> = (start..end)
                .map(|index| self.dataset.get(index))
                .collect::<Result<Vec<I>, _>>()
                .map(|items| self.batcher.batch(items, &self.device));
            let failed = loaded.is_err();
            if sender.send(loaded).is_err() || failed {
                return;
            }
        }
    }
}

/// Hands out the workers' batches in order.
struct OrderedIterator<O> {
    receivers: Vec<Receiver<Loaded<O>>>,
    threads: Vec<JoinHandle<()>>,
    next: usize,
    batches: usize,
    processed: usize,
    items: usize,
    batch_size: usize,
    failure: Option<DatasetError>,
}

impl<O> Iterator for OrderedIterator<O> {
    type Item = Loaded<O>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(error) = self.failure.take() {
            self.next = self.batches;
            return Some(Err(error));
        }
        if self.next >= self.batches {
            return None;
        }
        let receiver = &self.receivers[self.next % self.receivers.len()];
        let loaded = receiver.recv().unwrap_or_else(|_| {
            Err(DatasetError::new(std::io::Error::other(
                "a data-loading thread stopped (it panicked)",
            )))
        });
        match &loaded {
            Ok(_) => {
                self.processed = (self.processed + self.batch_size).min(self.items);
                self.next += 1;
            }
            // Nothing follows an error.
            Err(_) => self.next = self.batches,
        }
        Some(loaded)
    }
}

impl<O> DataLoaderIterator<O> for OrderedIterator<O> {
    fn progress(&self) -> Progress {
        Progress::new(self.processed, self.items, Some("items".to_string()))
    }
}

impl<O> Drop for OrderedIterator<O> {
    fn drop(&mut self) {
        // Closing the channels stops workers that wait to send; then none is left running.
        self.receivers.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::data::dataset::InMemDataset;

    /// Batches the items as they are, after a delay that makes later batches of a worker
    /// finish before earlier ones of another.
    struct Slow;

    impl Batcher<usize, Vec<usize>> for Slow {
        fn batch(&self, items: Vec<usize>, _device: &Device) -> Vec<usize> {
            let wait = 3 * (7 - items[0] % 8) as u64;
            std::thread::sleep(std::time::Duration::from_millis(wait));
            items
        }
    }

    fn loader(items: usize, batch_size: usize, workers: usize) -> OrderedLoader<usize, Vec<usize>> {
        let dataset: Arc<dyn Dataset<usize>> = Arc::new(InMemDataset::new((0..items).collect()));
        OrderedLoader::new(
            dataset,
            Arc::new(Slow),
            batch_size,
            workers,
            Device::default(),
        )
    }

    fn batches(loader: &dyn DataLoader<Vec<usize>>) -> Vec<Vec<usize>> {
        loader.iter().map(|batch| batch.unwrap()).collect()
    }

    #[test]
    fn batches_come_in_order_whatever_the_number_of_workers() {
        let one = batches(&loader(23, 4, 1));
        assert_eq!(one.len(), 6);
        assert_eq!(one[0], [0, 1, 2, 3]);
        assert_eq!(one[5], [20, 21, 22], "the last batch keeps the remainder");
        for workers in [2, 3, 8] {
            assert_eq!(batches(&loader(23, 4, workers)), one, "{workers} workers");
        }
        let sliced = loader(23, 4, 3).slice(5, 14);
        assert_eq!(
            batches(sliced.as_ref()),
            [vec![5, 6, 7, 8], vec![9, 10, 11, 12], vec![13]]
        );
    }

    #[test]
    fn progress_counts_items_and_an_early_stop_does_not_hang() {
        let loader = loader(10, 4, 2);
        let mut iter = loader.iter();
        assert_eq!(iter.progress().items_total, 10);
        iter.next().unwrap().unwrap();
        assert_eq!(iter.progress().items_processed, 4);
        iter.next().unwrap().unwrap();
        iter.next().unwrap().unwrap();
        assert_eq!(iter.progress().items_processed, 10);
        assert!(iter.next().is_none());
        let mut stopped = loader.iter();
        stopped.next().unwrap().unwrap();
        drop(stopped);
    }

    /// A dataset whose item 5 cannot be read.
    struct Broken;

    impl Dataset<usize> for Broken {
        fn get(&self, index: usize) -> Result<usize, DatasetError> {
            if index == 5 {
                return Err(DatasetError::new(std::io::Error::other(
                    "5.png: unreadable",
                )));
            }
            Ok(index)
        }

        fn len(&self) -> usize {
            12
        }
    }

    #[test]
    fn an_unreadable_item_ends_the_pass_with_its_error() {
        let loader = OrderedLoader::new(Arc::new(Broken), Arc::new(Slow), 4, 3, Device::default());
        let results: Vec<_> = loader.iter().collect();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].as_ref().unwrap(), &[0, 1, 2, 3]);
        let error = results[1].as_ref().unwrap_err().to_string();
        assert!(error.contains("5.png: unreadable"), "{error}");
    }
}
