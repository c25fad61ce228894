//! Pictures of explanations on the CPU: colormaps, heatmaps, overlays, labelled grids,
//! dot-and-whisker and line charts of results, and PNG files. Plain `u8` images ([`RgbImage`]) and `f32` slices; no tensors.

mod chart_style;
mod colormap;
mod colormap_tables;
mod error;
mod font;
mod grid;
mod heatmap;
mod interval_chart;
mod line_chart;
mod overlay;
mod resample;
mod save;
mod tensor_image;

pub use colormap::*;
pub use error::*;
pub use font::*;
pub use grid::*;
pub use heatmap::*;
pub use interval_chart::*;
pub use line_chart::*;
pub use overlay::*;
pub use save::*;
pub use tensor_image::*;

#[doc(no_inline)]
pub use image::{Rgb, RgbImage};
