//! A small CAM network and a training loop for the shortcut task that ships with the project
//! ([`ShortcutTaskConfig`], re-exported from `cyborg-data`).
//!
//! Everything is generated from a seed: no files, no downloads.

mod net;
mod train;

pub use cyborg_data::{
    ShortcutSplit, ShortcutTask, ShortcutTaskConfig, ShortcutTensors, SplitMix64,
};
pub use net::*;
pub use train::*;
