//! Progress output: the [`TrainingProgress`](crate::TrainingProgress) receiver of each split's
//! summary, the epoch lines it renders, and a plain standard-error subscriber for programs.

#[cfg(feature = "stderr-logs")]
pub(crate) mod logs;
pub(crate) mod renderer;
pub(crate) mod training_progress;
