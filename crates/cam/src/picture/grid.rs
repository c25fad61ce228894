//! A grid of explanations: input images, their maps overlaid, column labels and a colorbar.

use burn::config::Config;
use image::{Rgb, RgbImage};

use super::resample::resize_rgb;
use super::{Colormap, draw_text, overlay, text_size};

/// The grid's background colour: white.
pub const GRID_BACKGROUND: [u8; 3] = [255, 255, 255];
/// The fill of a tile whose map is missing (`None`): light grey.
pub const GRID_EMPTY_TILE: [u8; 3] = [204, 204, 204];
/// The colour of the column labels and the colorbar's `0` and `1`: black.
pub const GRID_TEXT: [u8; 3] = [0, 0, 0];

/// How [`grid`] draws a grid of explanations. See [`GridLayout`] for where everything goes.
#[derive(Config, Debug)]
pub struct GridConfig {
    /// Side of each square tile in pixels; `>= 1`.
    #[config(default = 128)]
    pub tile_size: u32,
    /// Colormap of the overlaid maps and of the colorbar.
    #[config(default = "Colormap::Viridis")]
    pub colormap: Colormap,
    /// Opacity of a map over its input image, in `[0, 1]` (see [`overlay`]).
    #[config(default = 0.5)]
    pub alpha: f32,
    /// Blank pixels around and between tiles, header, colorbar and labels.
    #[config(default = 4)]
    pub padding: u32,
    /// Size of the text: each font pixel is a `label_scale × label_scale` square, so a line is
    /// `7 · label_scale` pixels high. 0 draws no text.
    #[config(default = 1)]
    pub label_scale: u32,
}

impl GridConfig {
    /// Where [`grid`] puts everything for `rows` rows of `columns` columns (the input column
    /// included).
    ///
    /// # Panics
    /// If `tile_size` is 0, or the picture would be wider or taller than `u32::MAX`.
    pub fn layout(&self, rows: usize, columns: usize) -> GridLayout {
        assert!(
            self.tile_size >= 1,
            "tile_size must be >= 1, got {}",
            self.tile_size
        );
        let label_height = 7 * u64::from(self.label_scale);
        let (tile, padding) = (u64::from(self.tile_size), u64::from(self.padding));
        let width = padding + columns as u64 * (tile + padding);
        let height = 4 * padding + 4 * label_height + rows as u64 * (tile + padding);
        let fit = |value: u64| {
            u32::try_from(value).unwrap_or_else(|_| {
                panic!("a grid of {rows} × {columns} tiles of {tile} pixels is too large")
            })
        };
        GridLayout {
            width: fit(width),
            height: fit(height),
            rows,
            columns,
            tile_size: self.tile_size,
            padding: self.padding,
            label_height: fit(label_height),
        }
    }
}

/// The pixel positions of a picture drawn by [`grid`], from [`GridConfig::layout`].
///
/// With `T = tile_size`, `P = padding`, `L = 7 · label_scale` (the text height), `R` rows and
/// `C` columns (the input column included):
///
/// - the picture is `W = P + C · (T + P)` wide and `H = 4P + 4L + R · (T + P)` high, white;
/// - column `c`'s label sits at `y = P`, centred over the column: `x = P + c · (T + P) +
///   (T − w) / 2` (integer division), `w` its width from [`text_size`]; a label too long
///   for the tile keeps only its first `(T + S) / (6S)` characters (`S = label_scale`);
/// - the tile of row `r`, column `c` covers `T × T` pixels from
///   `(P + c · (T + P), 2P + L + r · (T + P))`;
/// - the colorbar spans `x` from `P` to `W − P` (exclusive) and `y` from
///   `Y = 2P + L + R · (T + P)` to `Y + 2L` (exclusive); its pixel column `i` (from 0, of
///   `B = W − 2P`) has the colour of `i / (B − 1)`, so it runs from the colour of 0 at the
///   left to that of 1 at the right;
/// - `"0"` is written at `(P, Y + 2L + P)`, `"1"` right-aligned at
///   `(W − P − 5 · label_scale, Y + 2L + P)`.
///
/// With the defaults (`T = 128`, `P = 4`, `L = 7`), 2 rows of 3 columns make a 400 × 308
/// picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridLayout {
    /// Width of the picture in pixels.
    pub width: u32,
    /// Height of the picture in pixels.
    pub height: u32,
    /// Number of rows of tiles.
    pub rows: usize,
    /// Number of columns of tiles, the input column included.
    pub columns: usize,
    /// Side of each square tile.
    pub tile_size: u32,
    /// Blank pixels between parts.
    pub padding: u32,
    /// Height of a line of text, `7 · label_scale`.
    pub label_height: u32,
}

impl GridLayout {
    /// Left edge of column `column`'s tiles and label area (`column < columns`).
    pub fn column_x(&self, column: usize) -> u32 {
        self.padding + self.step() * column as u32
    }

    /// Top-left corner `(x, y)` of the tile in row `row`, column `column` (`row < rows`,
    /// `column < columns`).
    pub fn tile_origin(&self, row: usize, column: usize) -> (u32, u32) {
        let y = 2 * self.padding + self.label_height + self.step() * row as u32;
        (self.column_x(column), y)
    }

    /// The colorbar as `(x, y, width, height)`.
    pub fn colorbar(&self) -> (u32, u32, u32, u32) {
        let y = 2 * self.padding + self.label_height + self.step() * self.rows as u32;
        let width = self.width.saturating_sub(2 * self.padding);
        (self.padding, y, width, 2 * self.label_height)
    }

    /// Top edge of the colorbar's `0` and `1` labels.
    pub fn legend_label_y(&self) -> u32 {
        let (_, y, _, height) = self.colorbar();
        y + height + self.padding
    }

    /// Distance between the left edges of neighbouring columns (and tops of neighbouring rows).
    fn step(&self) -> u32 {
        self.tile_size + self.padding
    }
}

/// A 2-D map for one tile of a [`grid`]: row-major `height × width` values in `[0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct GridMap {
    /// The values, row-major.
    pub values: Vec<f32>,
    /// Number of rows.
    pub height: usize,
    /// Number of columns.
    pub width: usize,
}

impl GridMap {
    /// A map of `height × width` values, row-major.
    ///
    /// # Panics
    /// If `values.len() != height * width`.
    pub fn new(values: Vec<f32>, height: usize, width: usize) -> Self {
        assert!(
            values.len() == height * width,
            "map has {} values, expected height × width = {height} × {width}",
            values.len()
        );
        Self {
            values,
            height,
            width,
        }
    }

    /// Map `index` of a batch of maps, read back from the device.
    ///
    /// # Shapes
    /// - maps: `[batch, height, width]`
    ///
    /// # Panics
    /// If `index` is not below the batch size.
    pub fn from_batch(maps: &burn::tensor::Tensor<3>, index: usize) -> Self {
        let [_, height, width] = maps.dims();
        let values = maps
            .clone()
            .narrow(0, index, 1)
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .expect("a float tensor converts to f32");
        Self::new(values, height, width)
    }
}

/// One row of a [`grid`]: an input image and the maps explaining it, one per column after the
/// input column; `None` leaves that tile empty (grey).
#[derive(Debug, Clone)]
pub struct GridRow {
    /// The input image, of any size; it is resized to the tile.
    pub image: RgbImage,
    /// One map per column after the input column.
    pub maps: Vec<Option<GridMap>>,
}

impl GridRow {
    /// A row showing `image` and then `maps`.
    pub fn new(image: RgbImage, maps: Vec<Option<GridMap>>) -> Self {
        Self { image, maps }
    }
}

/// Draws a grid of explanations: one row per input image, one labelled column for the input
/// and one for each kind of map, and a colorbar legend at the bottom.
///
/// `columns` are the column labels, the input's first (for example
/// `["input", "human", "Grad-CAM"]`), so every row has `columns.len() − 1` maps. Each row
/// shows its image resized bilinearly to `tile_size × tile_size` (aspect ratio not kept;
/// PyTorch's `align_corners=False` convention, no antialiasing, an image already at the tile
/// size is copied unchanged), then each map [`overlay`]ed on that resized image with
/// `config.alpha` and `config.colormap`, or a [`GRID_EMPTY_TILE`] square for `None`.
/// [`GridLayout`] gives every pixel position.
///
/// # Panics
/// If `columns` is empty, a row has not `columns.len() − 1` maps, a row's image is empty, a
/// map's length is not its height × width, `config.alpha` is not in `[0, 1]` or
/// `config.tile_size` is 0.
///
/// ```
/// use cyborg_cam::{grid, GridConfig, GridMap, GridRow, RgbImage};
///
/// let image = RgbImage::from_pixel(32, 32, image::Rgb([90, 90, 90]));
/// let cam = GridMap::new(vec![0.0, 0.5, 0.5, 1.0], 2, 2);
/// let rows = [GridRow::new(image, vec![None, Some(cam)])];
/// let config = GridConfig::new().with_tile_size(64);
/// let picture = grid(&config, &["input", "human", "CAM"], &rows);
/// assert_eq!(picture.dimensions(), (4 + 3 * 68, 16 + 28 + 68));
/// ```
pub fn grid(config: &GridConfig, columns: &[&str], rows: &[GridRow]) -> RgbImage {
    assert!(
        !columns.is_empty(),
        "a grid needs at least the input column's label"
    );
    let alpha = config.alpha;
    assert!(
        (0.0..=1.0).contains(&alpha),
        "alpha must be in [0, 1], got {alpha}"
    );
    for (index, row) in rows.iter().enumerate() {
        assert!(
            row.maps.len() + 1 == columns.len(),
            "row {index} has {} maps, expected one per column after the input: {}",
            row.maps.len(),
            columns.len() - 1
        );
        let (width, height) = row.image.dimensions();
        assert!(
            width > 0 && height > 0,
            "row {index}'s image is empty ({width} × {height})"
        );
    }
    let layout = config.layout(rows.len(), columns.len());
    let mut picture = RgbImage::from_pixel(layout.width, layout.height, Rgb(GRID_BACKGROUND));

    for (column, label) in columns.iter().enumerate() {
        draw_label(&mut picture, config, &layout, column, label);
    }
    let tile = config.tile_size;
    for (row_index, row) in rows.iter().enumerate() {
        let input = resize_rgb(&row.image, tile, tile);
        paste(&mut picture, &input, layout.tile_origin(row_index, 0));
        for (map_index, map) in row.maps.iter().enumerate() {
            let contents = match map {
                Some(map) => overlay(
                    &input,
                    &map.values,
                    map.height,
                    map.width,
                    config.colormap,
                    alpha,
                ),
                None => RgbImage::from_pixel(tile, tile, Rgb(GRID_EMPTY_TILE)),
            };
            paste(
                &mut picture,
                &contents,
                layout.tile_origin(row_index, map_index + 1),
            );
        }
    }
    draw_legend(&mut picture, config, &layout);
    picture
}

/// Writes column `column`'s label, truncated to the tile and centred over it.
fn draw_label(
    picture: &mut RgbImage,
    config: &GridConfig,
    layout: &GridLayout,
    column: usize,
    label: &str,
) {
    let scale = config.label_scale;
    if scale == 0 {
        return;
    }
    let fitting = (config.tile_size.saturating_add(scale) / (6 * scale)) as usize;
    let label: String = label.chars().take(fitting).collect();
    let (width, _) = text_size(&label, scale);
    let x = layout.column_x(column) + config.tile_size.saturating_sub(width) / 2;
    draw_text(picture, x, layout.padding, &label, scale, GRID_TEXT);
}

/// Draws the colorbar and its `0` and `1` labels.
fn draw_legend(picture: &mut RgbImage, config: &GridConfig, layout: &GridLayout) {
    let (left, top, width, height) = layout.colorbar();
    let last = width.saturating_sub(1).max(1) as f32;
    for i in 0..width {
        let color = Rgb(config.colormap.color(i as f32 / last));
        for y in top..top + height {
            picture.put_pixel(left + i, y, color);
        }
    }
    let y = layout.legend_label_y();
    let scale = config.label_scale;
    draw_text(picture, layout.padding, y, "0", scale, GRID_TEXT);
    let (one_width, _) = text_size("1", scale);
    let x = layout.width.saturating_sub(layout.padding + one_width);
    draw_text(picture, x, y, "1", scale, GRID_TEXT);
}

/// Copies `tile` into `picture` with its top-left corner at `origin`.
fn paste(picture: &mut RgbImage, tile: &RgbImage, (x, y): (u32, u32)) {
    for (dx, dy, pixel) in tile.enumerate_pixels() {
        picture.put_pixel(x + dx, y + dy, *pixel);
    }
}
