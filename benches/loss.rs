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
//! memory. Results are in docs/benchmarks.md.

use cyborg::bench::Workload;

fn main() {
    divan::main();
}

const NAMES: [&str; 12] = [
    "loss/c512/g7/ce",
    "loss/c512/g7/cyborg",
    "loss/c1024/g7/ce",
    "loss/c1024/g7/cyborg",
    "loss/c2048/g7/ce",
    "loss/c2048/g7/cyborg",
    "loss/c512/g14/ce",
    "loss/c512/g14/cyborg",
    "loss/c1024/g14/ce",
    "loss/c1024/g14/cyborg",
    "loss/c2048/g14/ce",
    "loss/c2048/g14/cyborg",
];

#[divan::bench(args = NAMES, sample_count = 20)]
fn loss(bencher: divan::Bencher, name: &str) {
    let workload = Workload::from_name(name).expect("a loss workload");
    let mut prepared = workload.prepare(&burn::prelude::Device::flex());
    prepared.run().expect("runs"); // warm-up
    bencher.bench_local(|| prepared.run().expect("runs"));
}
