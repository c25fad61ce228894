//! The picture API as a user calls it: colormaps, heatmaps, overlays, text, grids and PNG
//! files, checked pixel by pixel.
//!
//! Colormap reference colours come from matplotlib 3.11.2
//! (`crates/cam/scripts/gen_colormaps.py` writes the tables):
//! ```python
//! np.round(matplotlib.colormaps[name]([0.0, 128 / 255, 1.0])[:, :3] * 255)
//! ```

use std::error::Error as _;
use std::fs;
use std::path::Path;

use cyborg_cam::{
    Colormap, GridConfig, GridMap, GridRow, PictureError, Rgb, RgbImage, draw_text, grid, heatmap,
    overlay, save_png, text_size,
};

/// The files in `dir`, sorted by name.
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A `width × height` image whose every pixel differs from its neighbours.
fn gradient_image(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 16) as u8, (y * 16) as u8, (x * 7 + y * 3) as u8])
    })
}

#[test]
fn colormaps_match_matplotlib_at_the_ends_and_middle() {
    let cases = [
        (
            Colormap::Viridis,
            [[68, 1, 84], [33, 145, 140], [253, 231, 37]],
        ),
        (Colormap::Turbo, [[48, 18, 59], [164, 252, 60], [122, 4, 3]]),
        (Colormap::Jet, [[0, 0, 128], [125, 255, 122], [128, 0, 0]]),
    ];
    for (colormap, [low, middle, high]) in cases {
        assert_eq!(colormap.color(0.0), low, "{colormap}(0)");
        assert_eq!(
            colormap.color(128.0 / 255.0),
            middle,
            "{colormap}(128 / 255)"
        );
        assert_eq!(colormap.color(1.0), high, "{colormap}(1)");
        assert_eq!(colormap.color(-1.0), low, "{colormap}(-1) clamps to 0");
        assert_eq!(colormap.color(2.0), high, "{colormap}(2) clamps to 1");
        assert_eq!(colormap.color(f32::NAN), low, "{colormap}(NaN) draws as 0");
    }
}

#[test]
fn colormap_parses_and_serialises_by_lowercase_name() {
    assert_eq!("JET".parse::<Colormap>(), Ok(Colormap::Jet));
    assert_eq!(Colormap::default(), Colormap::Viridis);
    let error = "rainbow".parse::<Colormap>().unwrap_err();
    assert_eq!(error.name, "rainbow");
    assert_eq!(
        serde_json::to_string(&Colormap::Turbo).unwrap(),
        "\"turbo\""
    );
    assert_eq!(
        serde_json::from_str::<Colormap>("\"viridis\"").unwrap(),
        Colormap::Viridis
    );
}

/// A 2 × 2 map to 4 × 4 pixels, `align_corners=False`: along each axis the source
/// coordinates are `(i + 0.5) / 2 − 0.5` = −0.25 (clamped to 0), 0.25, 0.75, 1.25 (past the
/// last cell, so clamped to it), giving the mixes
/// `[c0, 3/4·c0 + 1/4·c1, 1/4·c0 + 3/4·c1, c1]`.
///
/// With the cells at table indices `[[0, 64], [128, 255]]` (values `k / 255`):
/// - row 0 is `[0, 16, 48, 64]`, row 3 is `[128, 159.75, 223.25, 255]`;
/// - row 1 is `3/4 · row 0 + 1/4 · row 3` = `[32, 51.9375, 91.8125, 111.75]`;
/// - row 2 is `1/4 · row 0 + 3/4 · row 3` = `[96, 123.8125, 179.4375, 207.25]`;
///
/// and each pixel takes the table entry at the rounded index.
#[test]
fn heatmap_upsamples_with_half_pixel_bilinear_weights() {
    let map = [0.0, 64.0 / 255.0, 128.0 / 255.0, 1.0];
    let expected_index = [
        [0, 16, 48, 64],
        [32, 52, 92, 112],
        [96, 124, 179, 207],
        [128, 160, 223, 255],
    ];
    for colormap in Colormap::ALL {
        let picture = heatmap(&map, 2, 2, 4, 4, colormap);
        assert_eq!(picture.dimensions(), (4, 4));
        for (y, row) in expected_index.iter().enumerate() {
            for (x, &index) in row.iter().enumerate() {
                assert_eq!(
                    picture.get_pixel(x as u32, y as u32).0,
                    colormap.color(index as f32 / 255.0),
                    "{colormap} pixel ({x}, {y}) should be table entry {index}"
                );
            }
        }
    }
    // Two of those entries spelled out (matplotlib: `viridis(52 / 255)`, `viridis(179 / 255)`).
    let picture = heatmap(&map, 2, 2, 4, 4, Colormap::Viridis);
    assert_eq!(picture.get_pixel(1, 1).0, [64, 69, 136]);
    assert_eq!(picture.get_pixel(2, 2).0, [68, 191, 112]);
}

#[test]
fn heatmap_keeps_a_non_square_map_row_major() {
    // 1 × 3 map to 2 × 3 pixels: columns are copied, both rows repeat the single map row.
    let picture = heatmap(&[0.0, 0.5, 1.0], 1, 3, 2, 3, Colormap::Jet);
    assert_eq!(picture.dimensions(), (3, 2));
    for y in 0..2 {
        assert_eq!(picture.get_pixel(0, y).0, [0, 0, 128]);
        assert_eq!(picture.get_pixel(1, y).0, [125, 255, 122]);
        assert_eq!(picture.get_pixel(2, y).0, [128, 0, 0]);
    }
}

/// A 2 × 2 image under a 2 × 2 jet map (same size, so no resampling):
/// jet(0) = [0, 0, 128], jet(1) = [128, 0, 0], jet(0.5) = entry 128 = [125, 255, 122].
#[test]
fn overlay_blends_every_channel_with_rounding() {
    let image =
        RgbImage::from_raw(2, 2, vec![10, 20, 30, 255, 255, 255, 0, 0, 0, 101, 3, 250]).unwrap();
    let map = [0.0, 1.0, 0.5, 1.0];
    let blend = |alpha| overlay(&image, &map, 2, 2, Colormap::Jet, alpha).into_raw();

    assert_eq!(blend(0.0), image.as_raw().as_slice());
    assert_eq!(blend(1.0), [0, 0, 128, 128, 0, 0, 125, 255, 122, 128, 0, 0]);
    // Halves round away from zero: (255 + 128) / 2 = 191.5 -> 192, 255 / 2 = 127.5 -> 128,
    // (0 + 125) / 2 = 62.5 -> 63, (101 + 128) / 2 = 114.5 -> 115, 3 / 2 = 1.5 -> 2.
    assert_eq!(
        blend(0.5),
        [5, 10, 79, 192, 128, 128, 63, 128, 61, 115, 2, 125]
    );
}

#[test]
#[should_panic(expected = "map has 3 values, expected height × width = 2 × 2")]
fn overlay_rejects_a_map_of_the_wrong_length() {
    overlay(
        &RgbImage::new(2, 2),
        &[0.0; 3],
        2,
        2,
        Colormap::Viridis,
        0.5,
    );
}

#[test]
#[should_panic(expected = "alpha must be in [0, 1], got 1.5")]
fn overlay_rejects_alpha_outside_the_unit_interval() {
    overlay(
        &RgbImage::new(2, 2),
        &[0.0; 4],
        2,
        2,
        Colormap::Viridis,
        1.5,
    );
}

#[test]
fn draw_text_paints_the_glyph_and_clips_at_the_border() {
    let mut image = RgbImage::new(9, 9);
    draw_text(&mut image, 2, 1, "+", 1, [255, 255, 255]);
    // '+': rows 1 to 5 of the glyph, a 5-pixel bar on row 3 and a column at x = 2.
    let painted: Vec<(u32, u32)> = image
        .enumerate_pixels()
        .filter(|(_, _, pixel)| pixel.0 == [255, 255, 255])
        .map(|(x, y, _)| (x, y))
        .collect();
    assert_eq!(
        painted,
        [
            (4, 2),
            (4, 3),
            (2, 4),
            (3, 4),
            (4, 4),
            (5, 4),
            (6, 4),
            (4, 5),
            (4, 6)
        ]
    );

    // Running off the right and bottom edges, or starting far outside, clips quietly: of
    // "-" from (1, 0) only x 1..4 of its bar (row 3) lands on a 4 × 4 image.
    let mut small = RgbImage::new(4, 4);
    draw_text(&mut small, 1, 0, "- Grad-CAM 100%", 1, [9, 9, 9]);
    draw_text(&mut small, 3, 3, "#", u32::MAX, [7, 7, 7]);
    draw_text(
        &mut small,
        u32::MAX,
        u32::MAX,
        "far away",
        u32::MAX,
        [7, 7, 7],
    );
    let painted: Vec<(u32, u32)> = small
        .enumerate_pixels()
        .filter(|(_, _, pixel)| pixel.0 != [0, 0, 0])
        .map(|(x, y, _)| (x, y))
        .collect();
    assert_eq!(painted, [(1, 3), (2, 3), (3, 3)]);
    assert_eq!(text_size("Grad-CAM", 1), (47, 7));
}

/// 2 rows of 3 columns with the default layout: `W = 4 + 3 · (128 + 4) = 400`,
/// `H = 4 · 4 + 4 · 7 + 2 · (128 + 4) = 308`.
#[test]
fn grid_size_follows_the_documented_layout() {
    let rows: Vec<GridRow> = (0..2)
        .map(|_| GridRow::new(gradient_image(32, 24), vec![None, None]))
        .collect();
    let config = GridConfig::new();
    let picture = grid(&config, &["input", "human", "Grad-CAM"], &rows);
    assert_eq!(picture.dimensions(), (400, 308));

    let layout = config.layout(2, 3);
    assert_eq!((layout.width, layout.height), (400, 308));
    assert_eq!(layout.tile_origin(0, 0), (4, 15));
    assert_eq!(layout.tile_origin(1, 2), (268, 147));
    assert_eq!(layout.colorbar(), (4, 279, 392, 14));
    assert_eq!(layout.legend_label_y(), 297);

    // Tile 10, padding 2, text scale 2 (lines 14 high): 2 + 3 · 12 = 38 wide,
    // 8 + 56 + 2 · 12 = 88 high.
    let config = GridConfig::new()
        .with_tile_size(10)
        .with_padding(2)
        .with_label_scale(2);
    assert_eq!(
        grid(&config, &["a", "b", "c"], &rows).dimensions(),
        (38, 88)
    );
}

#[test]
fn grid_tiles_are_the_input_its_overlays_and_grey_for_missing_maps() {
    let tile = 16;
    let config = GridConfig::new()
        .with_tile_size(tile)
        .with_colormap(Colormap::Turbo)
        .with_alpha(0.25);
    let images = [
        gradient_image(tile, tile),
        RgbImage::from_fn(tile, tile, |x, y| {
            Rgb([255 - (x * 9) as u8, 100, (y * 13) as u8])
        }),
    ];
    let map = GridMap::new(vec![0.0, 0.3, 0.6, 0.9, 1.0, 0.1], 2, 3);
    let rows = [
        GridRow::new(images[0].clone(), vec![Some(map.clone()), None]),
        GridRow::new(images[1].clone(), vec![None, Some(map.clone())]),
    ];
    let picture = grid(&config, &["input", "-", "CAM"], &rows);
    let layout = config.layout(2, 3);
    let expected_overlay = overlay(&images[1], &map.values, 2, 3, Colormap::Turbo, 0.25);

    let (x0, y0) = layout.tile_origin(1, 2);
    assert_eq!((x0, y0), (44, 35));
    for (x, y, pixel) in expected_overlay.enumerate_pixels() {
        assert_eq!(
            picture.get_pixel(x0 + x, y0 + y),
            pixel,
            "overlay pixel ({x}, {y})"
        );
    }
    // A known pixel, spelled out: the input tile is the image itself (same size), and the
    // empty tile is light grey.
    let (x, y) = layout.tile_origin(1, 0);
    assert_eq!(picture.get_pixel(x + 3, y + 5), images[1].get_pixel(3, 5));
    let (x, y) = layout.tile_origin(1, 1);
    assert_eq!(picture.get_pixel(x + 7, y + 7).0, [204, 204, 204]);
    // Padding between tiles stays white.
    assert_eq!(picture.get_pixel(x - 1, y).0, [255, 255, 255]);

    // The "-" label: 5 pixels wide, centred over column 1 at x = 24 + (16 − 5) / 2 = 29, its
    // bar on the glyph's middle row, y = 4 + 3.
    for x in 29..34 {
        assert_eq!(picture.get_pixel(x, 7).0, [0, 0, 0], "label pixel ({x}, 7)");
    }
    assert_eq!(picture.get_pixel(28, 7).0, [255, 255, 255]);
    assert_eq!(picture.get_pixel(34, 7).0, [255, 255, 255]);
}

#[test]
fn grid_colorbar_runs_from_colormap_zero_to_one() {
    let config = GridConfig::new()
        .with_tile_size(20)
        .with_colormap(Colormap::Jet);
    let rows = [GridRow::new(gradient_image(5, 5), vec![None])];
    let picture = grid(&config, &["input", "CAM"], &rows);
    let layout = config.layout(1, 2);
    let (left, top, width, height) = layout.colorbar();
    // W = 4 + 2 · 24 = 52; the bar spans x 4..48 and y 4 + 7 + 4 + 24 = 39 .. 53.
    assert_eq!((left, top, width, height), (4, 39, 44, 14));
    for y in top..top + height {
        assert_eq!(
            picture.get_pixel(left, y).0,
            [0, 0, 128],
            "jet(0) at the left, y {y}"
        );
        let right = left + width - 1;
        assert_eq!(
            picture.get_pixel(right, y).0,
            [128, 0, 0],
            "jet(1) at the right, y {y}"
        );
    }
    assert_eq!(picture.get_pixel(left - 1, top).0, [255, 255, 255]);
    assert_eq!(picture.get_pixel(left + width, top).0, [255, 255, 255]);

    // "0" at (4, 57): its top row is .###. ; "1" at (52 − 4 − 5, 57) = (43, 57): ..#..
    let label_y = layout.legend_label_y();
    assert_eq!(label_y, 57);
    assert_eq!(picture.get_pixel(4, label_y).0, [255, 255, 255]);
    assert_eq!(picture.get_pixel(5, label_y).0, [0, 0, 0]);
    assert_eq!(picture.get_pixel(45, label_y).0, [0, 0, 0]);
    assert_eq!(picture.get_pixel(44, label_y).0, [255, 255, 255]);
    assert_eq!(picture.dimensions(), (52, label_y + 7 + 4));
}

#[test]
#[should_panic(expected = "row 0 has 1 maps, expected one per column after the input: 2")]
fn grid_rejects_a_row_with_the_wrong_number_of_maps() {
    let rows = [GridRow::new(gradient_image(4, 4), vec![None])];
    grid(&GridConfig::new(), &["input", "human", "CAM"], &rows);
}

#[test]
fn grid_config_round_trips_through_json() {
    let config = GridConfig::new()
        .with_tile_size(96)
        .with_colormap(Colormap::Jet)
        .with_alpha(0.4);
    let json = serde_json::to_string(&config).unwrap();
    assert!(json.contains("\"colormap\":\"jet\""), "{json}");
    let back: GridConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (
            back.tile_size,
            back.colormap,
            back.alpha,
            back.padding,
            back.label_scale
        ),
        (96, Colormap::Jet, 0.4, 4, 1)
    );
}

#[test]
fn save_png_round_trips_pixels_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.png");
    let image = gradient_image(7, 5);
    save_png(&image, &path).unwrap();
    let back = image::open(&path).unwrap().into_rgb8();
    assert_eq!(back, image);

    // Overwriting an existing file replaces it.
    let other = RgbImage::from_pixel(3, 2, Rgb([1, 2, 3]));
    save_png(&other, &path).unwrap();
    assert_eq!(image::open(&path).unwrap().into_rgb8(), other);
    assert_eq!(file_names(dir.path()), ["grid.png"]);
}

#[test]
fn save_png_into_a_missing_directory_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("grid.png");
    let error = save_png(&gradient_image(2, 2), &path).unwrap_err();
    match &error {
        PictureError::Io {
            path: named,
            source,
        } => {
            assert_eq!(named, &path);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        format!("could not write {}", path.display())
    );
    assert!(
        error.source().is_some(),
        "the I/O error is kept as the source"
    );
}

#[test]
fn failed_save_leaves_the_existing_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.png");
    fs::write(&path, b"the old picture").unwrap();

    // PNG cannot hold a zero-width image, so encoding fails after the temporary file exists.
    let error = save_png(&RgbImage::new(0, 3), &path).unwrap_err();
    assert!(
        matches!(&error, PictureError::Encode { path: named, .. } if named == &path),
        "{error:?}"
    );
    assert!(error.to_string().contains("grid.png"), "{error}");
    assert!(
        error.source().is_some(),
        "the encoder's error is kept as the source"
    );
    assert_eq!(fs::read(&path).unwrap(), b"the old picture");
    assert_eq!(file_names(dir.path()), ["grid.png"]);

    // A directory in the way: the rename fails, the directory and its contents survive.
    let blocked = dir.path().join("blocked.png");
    fs::create_dir(&blocked).unwrap();
    fs::write(blocked.join("keep.txt"), b"keep").unwrap();
    let error = save_png(&gradient_image(2, 2), &blocked).unwrap_err();
    assert!(
        matches!(&error, PictureError::Io { path: named, .. } if named == &blocked),
        "{error:?}"
    );
    assert_eq!(fs::read(blocked.join("keep.txt")).unwrap(), b"keep");
    assert_eq!(file_names(dir.path()), ["blocked.png", "grid.png"]);
}

#[test]
fn grid_map_from_a_batch_reads_one_map() {
    let maps = burn::tensor::Tensor::<3>::from_floats(
        [[[0.0, 0.5, 1.0]], [[0.25, 0.75, 0.125]]],
        &burn::prelude::Device::flex(),
    );
    let map = GridMap::from_batch(&maps, 1);
    assert_eq!(map, GridMap::new(vec![0.25, 0.75, 0.125], 1, 3));
}
