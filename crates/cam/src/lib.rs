#![warn(missing_docs)]
//! Class Activation Maps (CAM) as batched, differentiable [Burn](https://burn.dev) tensor ops.
//!
//! A CAM (Zhou et al., *Learning Deep Features for Discriminative Localization*, CVPR 2016)
//! shows where a network with a global-average-pooling + linear head looks when it scores a
//! class: the last convolutional feature maps `F[k]` weighted by the classifier row of that
//! class, `CAM_c = Σ_k W[c, k] · F[k]`. Because the head is linear,
//! `mean_hw(CAM_c) + bias_c == logit_c`, so the map is an exact decomposition of the logit.
//!
//! Everything here works on whole batches with tensor ops only (no per-image loop, no
//! host round-trip), on any Burn backend, and is differentiable in both the features and the
//! classifier weights, so a CAM can be trained through (the CYBORG loss does exactly that).
//!
//! ```
//! use burn::prelude::*;
//! use cyborg_cam::{class_activation_maps, normalize_min_max};
//!
//! let device = Device::flex();
//! let features = Tensor::<4>::ones([2, 3, 4, 4], &device); // [batch, channels, h, w]
//! let weights = Tensor::<2>::ones([5, 3], &device); // [classes, channels]
//! let classes = Tensor::<1, Int>::from_ints([0, 4], &device);
//! let cam = class_activation_maps(features, weights, classes); // [2, 4, 4], all 3.0
//! let cam = normalize_min_max(cam, 1e-8); // constant maps normalise to zeros, never NaN
//! assert_eq!(cam.dims(), [2, 4, 4]);
//! ```

mod activation_map;
mod cam_class;
mod linear_head;
mod mass;
mod normalize;
mod pool;
mod upsample;

pub use activation_map::*;
pub use cam_class::*;
pub use linear_head::*;
pub use mass::*;
pub use normalize::*;
pub use pool::*;
pub use upsample::*;
