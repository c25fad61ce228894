#![warn(missing_docs)]
//! Datasets of images with human saliency maps, for the CYBORG loss.
//!
//! Sources give [`Records`] (image paths, optional map paths, labels):
//! - [`read_manifest`]: a CSV `image,saliency,label` with a header (and [`write_manifest`]);
//! - [`read_cyborg_csv`]: the CYBORG paper's released layout;
//! - [`read_image_folder`]: `root/<class>/<image>` with an optional parallel map tree;
//! - [`read_idx`]: IDX arrays (MNIST, Fashion-MNIST), gzip or not.
//!
//! [`SaliencyDataset`] decodes them on demand ([`load_image`], [`load_saliency`]: gray
//! conversion, Pillow-exact antialiased bilinear or area resizing with [`resize_plane`],
//! ImageNet or custom normalisation, maps min-max normalised at the CAM grid, optional flips
//! and crops applied to image and map together with [`AugmentConfig`]), and
//! [`SaliencyBatcher`] stacks items into device tensors with a mask of annotated images.
//! [`DecoyConfig`] builds decoy datasets (Ross et al. 2017) from IDX files in the manifest
//! layout. [`ShortcutTaskConfig`] generates the small task that ships with the project (images whose
//! class lives in one region while a spurious cue predicts it in training only).
//!
//! Human maps can be images, float NumPy maps ([`read_npy_map`]: any file ending in `.npy`,
//! not quantised to 8 bits), or be drawn from what people annotate:
//! bounding boxes ([`read_box_csv`], [`read_voc_xml`] → [`box_map`], hard or Gaussian) and
//! eye-tracking fixations ([`read_fixation_csv`] → [`fixation_map`], blurred with σ in pixels,
//! duration-weighted). [`attach_annotation_maps`] writes such maps as `.npy` files and points
//! a dataset's records at them.
//! Bad input is a [`DataError`] naming the file and line, never a panic.

mod annotation_maps;
mod annotation_table;
mod augment;
mod batcher;
mod boxes;
mod cyborg_layout;
mod dataset;
mod decoy;
mod degrade;
mod error;
mod fit;
mod fixations;
mod idx;
mod image_folder;
mod manifest;
mod npy;
mod preprocess;
mod records;
mod resample;
mod rng;
mod shortcut;
mod window;

pub use annotation_maps::*;
pub use augment::*;
pub use batcher::*;
pub use boxes::*;
pub use cyborg_layout::*;
pub use dataset::*;
pub use decoy::*;
pub use degrade::*;
pub use error::*;
pub use fit::Fit;
pub use fixations::*;
pub use idx::*;
pub use image_folder::*;
pub use manifest::{MAX_INTEGER_CLASSES, parse_manifest, read_manifest, write_manifest};
pub use npy::{NpyMap, parse_npy_map, read_npy_map, write_npy_map};
pub use preprocess::*;
pub use records::*;
pub use resample::*;
pub use rng::*;
pub use shortcut::*;
