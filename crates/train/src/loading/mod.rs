//! Loading batches: in a fixed order whatever the workers, shuffled by (seed, epoch).

pub(crate) mod epoch_loader;
pub(crate) mod ordered_loader;
