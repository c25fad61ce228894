//! Run with: `cargo bench --bench models`
//!
//! Full-size ResNet-18 and DenseNet-121 (1000 classes) at 224×224, batch 16, on the CPU
//! (flex) backend, the workloads of [`cyborg::bench`]:
//!
//! - `forward`: inference (batch norm with running statistics, no autodiff graph);
//! - `forward_backward`: a training-mode forward (batch statistics, autodiff), cross-entropy
//!   and the backward pass, without the optimiser update.
//!
//! Peak memory: `cargo run --release --example model_memory`. The PyTorch figures for the same
//! workloads: `python3 scripts/bench_models.py`. Results are in docs/benchmarks.md.

use cyborg::bench::{Mode, Model, Workload};

const BATCH: usize = 16;

fn main() {
    divan::main();
}

#[divan::bench(args = ["resnet18", "densenet121"], sample_count = 5, sample_size = 1)]
fn forward(bencher: divan::Bencher, name: &str) {
    let model = Model::from_name(name).expect("known model");
    let workload = Workload::new(model, Mode::Forward, BATCH);
    workload.run(); // warm-up
    bencher.bench_local(|| workload.run());
}

#[divan::bench(args = ["resnet18", "densenet121"], sample_count = 5, sample_size = 1)]
fn forward_backward(bencher: divan::Bencher, name: &str) {
    let model = Model::from_name(name).expect("known model");
    let workload = Workload::new(model, Mode::ForwardBackward, BATCH);
    workload.run(); // warm-up
    bencher.bench_local(|| workload.run());
}
