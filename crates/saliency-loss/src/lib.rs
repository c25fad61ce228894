#![warn(missing_docs)]
//! The CYBORG loss and its variants, on any [Burn](https://burn.dev) backend.
//!
//! CYBORG (Boyd, Tinsley, Bowyer, Czajka, *CYBORG: Blending Human Saliency Into the Loss
//! Improves Deep Learning-Based Synthetic Face Detection*, WACV 2023) trains a classifier to
//! agree with where humans look:
//!
//! `L = α · CE(logits, y) + (1 − α) · distance(norm(CAM_c), norm(S))`
//!
//! where `CAM_c` is the Class Activation Map of class `c` (the label by default), `S` the human
//! saliency map at the CAM grid, and `norm` per-image min-max normalisation. α = 0.5 is the
//! paper's setting, α = 1 plain cross-entropy. Gradients flow through the CAM into the feature
//! maps and the classifier weights.
//!
//! - [`CyborgLossConfig`] / [`CyborgLoss`]: the paper's loss, with MSE (the paper), L1, BCE or
//!   KL as the map distance, the label or the predicted class, the class's CAM (the paper) or
//!   its contrast with the other classes ([`CamMap`]), and batches that mix annotated and
//!   unannotated images.
//! - [`SaliencyLoss`]: the trait every loss implements (`forward`, `forward_annotated`). [`cyborg_loss`] is the same loss as a plain function.
//! - [`MaskedCamLossConfig`] / [`MaskedCamLoss`]: penalises the raw, unnormalised CAMs of all
//!   classes outside an annotated region (or inside a forbidden one).
//! - [`EnergyLossConfig`] / [`EnergyLoss`]: the share of the label's positive CAM outside the
//!   region (Rao et al., ICCV 2023, the loss they found best with boxes).
//! - [`MaskL1LossConfig`] / [`MaskL1Loss`]: the L1 distance between the max-normalised
//!   positive CAM and the region (their "L1", after GRADIA).
//! - [`SaliencyLossConfig`]: any of them as one serialisable value, for trainers and recipes.
//!
//! Losses on input gradients (Right for the Right Reasons' RRR, HINT) need the gradient of a
//! gradient; Burn 0.22 has no double backward, so they are not here. The masked raw-CAM loss
//! is RRR's first-order analogue on the CAM.
//!
//! ```
//! use burn::prelude::*;
//! use cyborg_saliency_loss::{CyborgLossConfig, SaliencyLoss};
//!
//! let device = Device::flex();
//! let loss = CyborgLossConfig::new().with_alpha(0.5).init();
//! let logits = Tensor::<2>::zeros([2, 3], &device); // [batch, classes]
//! let features = Tensor::<4>::ones([2, 8, 7, 7], &device); // [batch, channels, h, w]
//! let class_weights = Tensor::<2>::ones([3, 8], &device); // [classes, channels]
//! let labels = Tensor::<1, Int>::from_ints([0, 2], &device);
//! let saliency = Tensor::<3>::ones([2, 224, 224], &device); // area-averaged to 7×7
//! let out = loss.forward(logits, features, class_weights, labels, saliency);
//! println!("total {} = CE {} + saliency {}", out.total, out.cross_entropy, out.saliency);
//! ```

mod annotated;
mod choice;
mod cyborg;
mod distance;
mod energy;
mod error;
mod mask_l1;
mod masked;
mod output;
mod positive_cam;
mod saliency_loss;
mod shapes;

pub use annotated::*;
pub use choice::*;
pub use cyborg::*;
/// Where it was before it moved to `cyborg-cam`, beside the other resizing.
pub use cyborg_cam::resize_to_grid;
pub use distance::*;
pub use energy::*;
pub use error::*;
pub use mask_l1::*;
pub use masked::*;
pub use output::*;
pub use saliency_loss::*;
