//! Human maps as boxes: each map replaced by the bounding box of its nonzero pixels, the way a
//! user's boxes come in. Shared by the guidance benchmark and the headline comparisons
//! (`#[path]`-included; not an example of its own).

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cyborg::data::{BoxShape, MapAnnotations, Records, attach_annotation_maps, read_box_csv};

/// Replaces each record's human map by the bounding box of its nonzero pixels, the way a
/// user's boxes come in: written to `dir/boxes.csv` (`image,x0,y0,x1,y1`), read back with
/// `read_box_csv` and drawn as hard masks into `dir/maps/` by `attach_annotation_maps`.
pub fn box_maps(records: &Records, dir: &Path) -> Result<Records, Box<dyn Error>> {
    let mut csv = String::from("image,x0,y0,x1,y1\n");
    for record in &records.items {
        let Some(map) = &record.saliency else {
            continue;
        };
        let map = image::open(map)?.into_luma8();
        let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
        for (x, y, pixel) in map.enumerate_pixels() {
            if pixel.0[0] > 0 {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
            }
        }
        if x0 < x1 {
            // The split's folder, `images/` and the name: unique among the records.
            let parts: Vec<_> = record.image.components().rev().take(3).collect();
            let key: PathBuf = parts.into_iter().rev().collect();
            writeln!(csv, "{},{x0},{y0},{x1},{y1}", key.display())?;
        }
    }
    std::fs::create_dir_all(dir)?;
    let path = dir.join("boxes.csv");
    std::fs::write(&path, csv)?;
    let annotations = MapAnnotations::Boxes {
        boxes: read_box_csv(&path)?,
        shape: BoxShape::Hard,
    };
    Ok(attach_annotation_maps(records, &annotations, &dir.join("maps"))?.records)
}
