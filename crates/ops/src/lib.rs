#![warn(missing_docs)]
//! Convolution, batch norm and max pooling for Burn models, fast on the CPU.
//!
//! [`conv2d`], [`batch_norm`] and [`batch_norm_relu`] take Burn's own modules
//! (`burn::nn::conv::Conv2d`, `burn::nn::BatchNorm`), so parameter names, records and
//! checkpoints stay Burn's; [`max_pool2d`] is PyTorch's `F.max_pool2d`. On Burn's `flex` CPU
//! backend (with this crate's `flex` feature), in `f32`, they run kernels of their own through
//! a Burn backend extension:
//!
//! - the convolution, forward and backward, is a matrix product per image on its planes where
//!   they lie (NCHW, no layout conversion): `Y_b = W · im2col(x_b)`, `dW = Σ_b dY_b ·
//!   im2col(x_b)ᵀ`, `dX_b = col2im(Wᵀ · dY_b)`, the im2col built a band of rows at a time so
//!   it stays in cache (none at all for 1×1 convolutions), one group of images per thread.
//!   Burn's default backward runs a convolution per input channel and a transposed
//!   convolution;
//! - batch norm in training is one reduction and one element-wise pass forward, and the same
//!   backward, optionally fused with the ReLU that follows it, where Burn's default composes
//!   some twenty element-wise operations;
//! - max pooling keeps the position of each maximum as a `u32` per output, parallel over
//!   planes.
//!
//! In inference on flex, batch norm folds its running statistics into one scale and shift per
//! channel (one pass, in place when it can). Everywhere else (other devices, other float
//! types, grouped or asymmetrically padded convolutions, padding above half a pooling kernel)
//! they call Burn's own ops: the result is the same up to float rounding, and a model written
//! with them runs on every backend.
//!
//! The matrix products call the `gemm` crate's kernels (the ones flex itself uses) directly,
//! in the crate's only module with `unsafe` code, which checks every bound before the call.
//! They run AVX-512 where the CPU has it, AVX2 + FMA where it does not, chosen at run time, so
//! one binary is fast on both; [`simd_level`] says which, and the environment variable
//! `CYBORG_SIMD=avx2` (or `portable`) holds a CPU to a lower level, to test or measure the
//! fallback.
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

mod bias_tap;
mod layers;

#[cfg(feature = "flex")]
mod flex;

pub use bias_tap::{BiasTap, tap_biases};
pub use layers::*;

#[cfg(feature = "flex")]
pub use flex::{SIMD_ENV, SimdLevel, simd_level};
