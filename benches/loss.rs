//! Run with: `cargo bench --bench loss`
//!
//! The loss alone on the CPU (flex) backend, the `loss/…` workloads of [`cyborg::bench`]:
//! forward + backward from leaf `[64, C, g, g]` feature maps and a two-class linear head, for
//! C ∈ {512, 1024, 2048} and g ∈ {7, 14}, human maps at the grid:
//!
//! - `ce`: global average pooling → linear head → cross-entropy, what a plain training step
//!   computes after the backbone;
//! - `cyborg`: the same head and the CYBORG loss (α = 0.5, MSE, label CAM).
//!
//! The difference is what the saliency term adds to a step before the backbone's own forward
//! and backward. `cyborg bench --only loss/` measures the same on every backend with peak
//! memory; both use mimalloc. Results are in docs/benchmarks.md.

use cyborg::bench::Workload;

/// The allocator `cyborg bench` uses: glibc's returns Burn's large buffers to the kernel on
/// every free (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// The `loss/…` workloads, in table order.
fn workloads() -> Vec<Workload> {
    Workload::all()
        .into_iter()
        .filter(|workload| matches!(workload, Workload::Loss { .. }))
        .collect()
}

#[divan::bench(args = workloads(), sample_count = 20)]
fn loss(bencher: divan::Bencher, workload: Workload) {
    let mut prepared = workload.prepare(&burn::prelude::Device::flex());
    prepared.run().expect("runs"); // warm-up
    bencher.bench_local(|| prepared.run().expect("runs"));
}
