#![warn(missing_docs)]
//! # cyborg
//!
//! Train image classifiers whose attention follows human saliency, on
//! [Burn](https://burn.dev): the CYBORG loss (Boyd et al., WACV 2023) and the Class Activation
//! Maps it is built on, as batched, differentiable tensor ops on any Burn backend.
//!
//! This facade re-exports the workspace crates:
//! - [`cam`] (`cyborg-cam`): the contract a model implements (`CamBackbone`), Class
//!   Activation Maps and the CAM family (`explain`), normalisation, resizing, pictures.
//! - [`ops`] (`cyborg-ops`): convolution, batch norm and max pooling with fast CPU kernels,
//!   for the shipped models and your own.
//! - [`loss`] (`cyborg-saliency-loss`): the CYBORG loss and the masked raw-CAM variant.
//! - [`data`] (`cyborg-data`): datasets of images and saliency maps, and the shipped task.
//! - [`models`] (`cyborg-models`): CAM-ready backbones (small CNN, ResNet, DenseNet,
//!   Inception-v3, Xception) and PyTorch weight import.
//! - [`train`] (`cyborg-train`): the trainer (burn-train, the paper's recipe) and evaluation.
//! - [`bench`](mod@bench) (`cyborg-bench`): the benchmark workloads behind `cyborg bench` and `benches/`.
//!
//! The crate's own features choose the backend of the examples, tests and benches: `flex`
//! (default, pure-Rust CPU), `wgpu`, `cuda`. The library crates it re-exports enable none.

pub use cyborg_bench as bench;
pub use cyborg_cam as cam;
pub use cyborg_data as data;
pub use cyborg_models as models;
pub use cyborg_ops as ops;
pub use cyborg_saliency_loss as loss;
pub use cyborg_train as train;
