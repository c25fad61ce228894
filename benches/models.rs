//! Run with: `cargo bench --bench models`
//!
//! Full training steps and inference on the CPU (flex) backend, the `step/…` and
//! `inference/…` workloads of [`cyborg::bench`]: the small CNN at 28×28 (batch 64), ResNet-18
//! (batch 16) and DenseNet-121 (batch 8) at 224×224, two classes. A step is a training-mode
//! forward, the loss (`ce`: cross-entropy; `cyborg`: the CYBORG loss, α = 0.5), backward and
//! an SGD update (0.005, momentum 0.9, weight decay 1e-6); inference is the forward pass with
//! running batch-norm statistics and no autodiff graph.
//!
//! `cyborg bench` measures the same workloads on every backend, with peak memory, beside
//! `scripts/bench_backends.py` (PyTorch). Results are in docs/benchmarks.md.

use cyborg::bench::Workload;

/// The allocator `cyborg bench` uses: glibc's returns Burn's large buffers to the kernel on
/// every free (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// The `step/…` and `inference/…` workloads, in table order.
fn workloads() -> Vec<Workload> {
    Workload::all()
        .into_iter()
        .filter(|workload| !matches!(workload, Workload::Loss { .. }))
        .collect()
}

#[divan::bench(args = workloads(), sample_count = 5, sample_size = 1)]
fn model(bencher: divan::Bencher, workload: Workload) {
    let mut prepared = workload.prepare(&burn::prelude::Device::flex());
    prepared.run().expect("runs"); // warm-up
    bencher.bench_local(|| prepared.run().expect("runs"));
}
