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
//! To look at the maps, the CPU picture functions (feature `pictures`, on by default) colour them with matplotlib's colormaps
//! ([`Colormap`], [`heatmap`]), blend them over their images ([`overlay`]), lay several
//! explanations out in a labelled grid with a colorbar ([`grid`]) and write PNG files
//! atomically ([`save_png`]).
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

mod ablation_cam;
mod activation_map;
mod agreement;
mod backbone;
mod cam_class;
mod eigen_cam;
mod explain;
mod explain_layer;
mod fem;
mod gradient_cam;
mod imputation;
mod kpca_cam;
mod linear_head;
mod mass;
mod normalize;
#[cfg(feature = "pictures")]
mod picture;
mod pool;
mod postprocess;
mod random;
mod random_cam;
mod resize;
mod road;
mod score_cam;
mod sess;
mod sobel;

pub use activation_map::*;
pub use agreement::*;
pub use backbone::*;
pub use cam_class::*;
pub use eigen_cam::*;
pub use explain::*;
pub use explain_layer::*;
pub use gradient_cam::*;
pub use kpca_cam::*;
pub use linear_head::*;
pub use mass::*;
pub use normalize::*;
#[cfg(feature = "pictures")]
pub use picture::*;
pub use pool::*;
pub use postprocess::*;
pub use resize::*;
pub use road::*;
pub use sess::*;
pub use sobel::sobel_cam;
