//! Timing a workload and reading its peak memory.

use std::time::Instant;

use burn::prelude::*;
use burn::tensor::ExecutionError;
use serde::{Deserialize, Serialize};

use crate::Workload;
use crate::memory::{PeakMemory, mib};

/// What [`measure`] found for one workload on one backend: one line of `cyborg bench`'s JSON
/// (the same fields `scripts/bench_backends.py` writes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// The workload's name, e.g. `step/resnet18/cyborg`.
    pub workload: String,
    /// The backend, e.g. `flex`, `wgpu`, `pytorch-cpu`.
    pub backend: String,
    /// Threads the CPU work may use: `RAYON_NUM_THREADS` if set (Burn's CPU backends run on
    /// rayon's pool), else this process's available parallelism.
    pub threads: usize,
    /// Images per iteration.
    pub batch: usize,
    /// The first iteration in milliseconds: on GPU backends it includes compiling the kernels
    /// and autotuning, so it is reported apart from the steady state.
    pub first_ms: f64,
    /// The median of the timed iterations after the first, in milliseconds.
    pub median_ms: f64,
    /// Timed iterations after the first.
    pub iterations: usize,
    /// How far the process's peak resident memory rose above its level before the model and
    /// inputs were built, in MiB (host memory: the whole footprint on CPU backends, only the
    /// host side on GPU backends). `None` where it cannot be read (not Linux).
    pub peak_mib: Option<f64>,
    /// Memory the device's allocator holds after the iterations, in MiB, on backends that
    /// report it (the GPU backends' pools keep what the peak needed).
    pub device_mib: Option<f64>,
    /// The CPU and its SIMD extensions ([`cpu_description`](crate::cpu_description)), and the
    /// kernels' level where the caller knows it, e.g. `AMD EPYC (avx2 fma f16c); kernels
    /// avx2`. Empty in files written before it was recorded.
    #[serde(default)]
    pub machine: String,
}

impl Measurement {
    /// Images per second at the median time.
    pub fn images_per_second(&self) -> f64 {
        self.batch as f64 / (self.median_ms / 1e3)
    }
}

/// Runs `workload` on `device` once (timed apart) and then `iterations` more times, each
/// finished on the device before the clock stops, and reads the peak memory. `backend` is the
/// name recorded. Run each workload in a fresh process for memory figures that do not inherit
/// an earlier workload's heap (`cyborg bench` does).
///
/// # Errors
/// What the device reports if a kernel failed.
///
/// # Panics
/// If `iterations` is 0.
pub fn measure(
    workload: &Workload,
    device: &Device,
    backend: &str,
    iterations: usize,
) -> Result<Measurement, ExecutionError> {
    assert!(iterations > 0, "measure needs at least one timed iteration");
    let peak = PeakMemory::start();
    let mut prepared = workload.prepare(device);
    let start = Instant::now();
    prepared.run()?;
    let first_ms = start.elapsed().as_secs_f64() * 1e3;
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        prepared.run()?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let peak_mib = peak.rise_mib();
    let device_mib = device
        .memory_pool_usage()
        .map(|usage| mib(usage.bytes_reserved));
    Ok(Measurement {
        workload: workload.to_string(),
        backend: backend.to_string(),
        threads: threads(),
        batch: workload.batch(),
        first_ms,
        median_ms: median(&mut times),
        iterations,
        peak_mib,
        device_mib,
        machine: crate::cpu_description(),
    })
}

/// The threads Burn's CPU backends use: `RAYON_NUM_THREADS` if set to a positive number, else
/// the available parallelism.
pub fn threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The median (the mean of the middle two for an even count).
///
/// # Panics
/// If `values` is empty.
pub fn median(values: &mut [f64]) -> f64 {
    assert!(!values.is_empty(), "median of nothing");
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut [7.0]), 7.0);
    }

    #[test]
    fn measures_a_small_workload() {
        let _seeded = crate::seeded_device_lock();
        let workload = Workload::from_name("step/small-cnn/cyborg").unwrap();
        let m = measure(&workload, &Device::flex(), "flex", 2).unwrap();
        assert_eq!(m.workload, "step/small-cnn/cyborg");
        assert_eq!((m.batch, m.iterations), (64, 2));
        assert!(m.first_ms > 0.0 && m.median_ms > 0.0);
        assert!((m.images_per_second() - 64.0 / (m.median_ms / 1e3)).abs() < 1e-9);
        if cfg!(target_os = "linux") {
            // The model, its gradients, momentum and activations: more than a megabyte.
            assert!(m.peak_mib.unwrap() > 1.0, "{m:?}");
        }
        // Through JSON and back (serde_json's float parsing may differ in the last bit).
        let json = serde_json::to_string(&m).unwrap();
        let back: Measurement = serde_json::from_str(&json).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(1.0);
        assert!(close(back.first_ms, m.first_ms) && close(back.median_ms, m.median_ms));
        assert!(close(
            back.peak_mib.unwrap_or(0.0),
            m.peak_mib.unwrap_or(0.0)
        ));
        let same = Measurement {
            first_ms: m.first_ms,
            median_ms: m.median_ms,
            peak_mib: m.peak_mib,
            ..back
        };
        assert_eq!(same, m);
    }
}
