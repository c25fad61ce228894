//! The files of a run folder: the history, the per-image scores, the small JSON files, the checkpoints kept and the lock.

pub(crate) mod checkpointing;
pub(crate) mod history;
pub(crate) mod run_file;
pub(crate) mod run_lock;
pub(crate) mod scores;
