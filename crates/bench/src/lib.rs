#![warn(missing_docs)]
//! Benchmark workloads for comparing Burn backends on CYBORG training, the same ones
//! `scripts/bench_backends.py` runs in PyTorch:
//!
//! - [`Workload::Loss`]: the loss alone (global average pooling, linear head, cross-entropy or
//!   the CYBORG loss), forward and backward from leaf feature maps, batch 64;
//! - [`Workload::Step`]: a full training step of a [`BenchModel`] (training-mode forward, loss,
//!   backward, SGD update with the paper's settings), with cross-entropy or with CYBORG;
//! - [`Workload::Inference`]: the model's forward pass in inference mode.
//!
//! - [`measure_epochs`]: whole training epochs as `cyborg train` runs them, on a folder of
//!   PNG images with human maps ([`write_epoch_folder`]), decoding and batching included.
//!
//! [`measure`] times a workload on a device, the first iteration (kernel compilation and
//! autotuning on GPU backends) apart from the median of the following ones, and reads the
//! peak memory. The `cyborg bench` command runs every workload on every backend compiled in,
//! each in a fresh process, and prints the table.
//!
//! ```
//! use burn::prelude::*;
//! use cyborg_bench::{Workload, measure};
//!
//! let workload = Workload::from_name("loss/c512/g7/cyborg").unwrap();
//! let m = measure(&workload, &Device::flex(), "flex", 2).unwrap();
//! assert!(m.median_ms > 0.0);
//! ```

mod epoch;
mod machine;
mod measure;
mod memory;
mod report;
mod workload;

/// Serialises this crate's tests that seed and draw from the flex device's generator: it is
/// one generator for every test thread, so a draw between another test's seed and its own
/// draws would change that test's inputs.
#[cfg(test)]
pub(crate) fn seeded_device_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub use epoch::*;
pub use machine::*;
pub use measure::*;
pub use memory::*;
pub use report::*;
pub use workload::*;
