//! Pictures of explanations on the CPU: colormaps, heatmaps, overlays, labelled grids, a
//! built-in bitmap font, and PNG files (charts of results live in `cyborg-train`'s report).
//! Plain `u8` images ([`RgbImage`]) and `f32` slices; no tensors.

mod colormap;
mod colormap_tables;
mod error;
mod font;
mod grid;
mod heatmap;
mod overlay;
mod resample;
mod save;
mod tensor_image;

pub use colormap::*;
pub use error::*;
pub use font::*;
pub use grid::*;
pub use heatmap::*;
pub use overlay::*;
pub use save::*;
pub use tensor_image::*;

#[doc(no_inline)]
pub use image::{Rgb, RgbImage};
