#![warn(missing_docs)]
//! Convolution and batch norm for Burn models, fast on the CPU.
//!
//! [`conv2d`], [`batch_norm`] and [`batch_norm_relu`] take Burn's own modules
//! (`burn::nn::conv::Conv2d`, `burn::nn::BatchNorm`), so parameter names, records and
//! checkpoints stay Burn's. On Burn's `flex` CPU backend (with this crate's `flex` feature),
//! in `f32`, they run kernels of their own through a Burn backend extension:
//!
//! - the convolution's backward pass computes the weight gradient as one matrix product over
//!   an im2col of the input (a GEMM with the batch in its inner dimension) and the input
//!   gradient as one matrix product followed by a col2im, where Burn's default runs a
//!   convolution per input channel and a transposed convolution;
//! - batch norm in training is one reduction and one element-wise pass forward, and the same
//!   backward, optionally fused with the ReLU that follows it, where Burn's default composes
//!   some twenty element-wise operations.
//!
//! In inference on flex, batch norm folds its running statistics into one scale and shift per
//! channel (one pass, in place when it can). Everywhere else (other devices, other float
//! types, grouped or asymmetrically padded convolutions) they call the module's own `forward`:
//! the result is the same up to float rounding, and a model written with them runs on every
//! backend.
//!
//! Your own model gets the same speed by calling them in its `forward`:
//!
//! ```
//! use burn::nn::BatchNorm;
//! use burn::nn::conv::Conv2d;
//! use burn::prelude::*;
//! use cyborg_ops::{batch_norm_relu, conv2d};
//!
//! #[derive(Module, Debug)]
//! struct Block {
//!     conv: Conv2d,
//!     bn: BatchNorm,
//! }
//!
//! impl Block {
//!     /// `relu(bn(conv(x)))`, Burn's modules, cyborg-ops' kernels.
//!     fn forward(&self, x: Tensor<4>) -> Tensor<4> {
//!         batch_norm_relu(&self.bn, conv2d(&self.conv, x))
//!     }
//! }
//! ```

mod layers;

#[cfg(feature = "flex")]
mod flex;

pub use layers::*;
