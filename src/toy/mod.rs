//! A tiny shortcut-learning task, a small CAM network and a training loop for it.
//!
//! The task ([`ShortcutTaskConfig`]): 16×16 gray images of a faint bar, horizontal for class 0
//! and vertical for class 1, somewhere in the left part of the image, plus a bright square in
//! the right margin, at the top for class 0 and at the bottom for class 1 in training, at a
//! random place at test time. The human map marks the bar. Cross-entropy alone is free to
//! learn the easy square (a shortcut that fails at test time); the CYBORG term asks the CAM
//! to look at the bar.
//!
//! Everything is generated from a seed: no files, no downloads.

mod net;
mod rng;
mod task;
mod train;

pub use net::*;
pub use rng::*;
pub use task::*;
pub use train::*;
