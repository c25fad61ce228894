//! Boxes and fixations turned into the human maps a dataset reads: one float `.npy` map per
//! annotated image, at the image's size, attached to its record.

use std::path::{Path, PathBuf};

use crate::{
    BoxAnnotations, BoxShape, DataError, FixationAnnotations, Records, box_map, fixation_map,
    write_npy_map,
};

/// Annotations that are not maps yet, and how to draw them.
#[derive(Debug, Clone)]
pub enum MapAnnotations {
    /// Bounding boxes ([`read_box_csv`](crate::read_box_csv)), drawn by [`box_map`].
    Boxes {
        /// Boxes by image.
        boxes: BoxAnnotations,
        /// Hard masks or Gaussians.
        shape: BoxShape,
    },
    /// Fixations ([`read_fixation_csv`](crate::read_fixation_csv)), blurred by
    /// [`fixation_map`].
    Fixations {
        /// Fixations by image.
        fixations: FixationAnnotations,
        /// The blur's σ in pixels.
        sigma: f32,
    },
}

/// What [`attach_annotation_maps`] did.
#[derive(Debug, Clone)]
pub struct AttachedMaps {
    /// The records, annotated images pointing at their new maps.
    pub records: Records,
    /// How many images got a map.
    pub annotated: usize,
    /// Annotation keys that matched no image, sorted (a typo, or images of another split).
    pub unmatched: Vec<String>,
}

impl MapAnnotations {
    fn keys(&self) -> Vec<&str> {
        match self {
            MapAnnotations::Boxes { boxes, .. } => boxes.keys().map(String::as_str).collect(),
            MapAnnotations::Fixations { fixations, .. } => {
                fixations.keys().map(String::as_str).collect()
            }
        }
    }

    fn draw(&self, key: &str, size: [usize; 2]) -> Vec<f32> {
        match self {
            MapAnnotations::Boxes { boxes, shape } => box_map(&boxes[key], size, *shape),
            MapAnnotations::Fixations { fixations, sigma } => {
                fixation_map(&fixations[key], size, *sigma)
            }
        }
    }
}

/// Draws the map of every image of `records` that `annotations` names, at the image's size,
/// writes it as `dir/<index>-<image stem>.npy` (float32, [`write_npy_map`]) and points the
/// record's `saliency` at it; other records are kept as they are. An annotation names an
/// image by its path's last components (`a.png` names `…/a.png`, `cats/a.png` names
/// `…/cats/a.png`); the longest match wins.
///
/// # Errors
/// [`DataError::Decode`] (or `Io`) for an annotated image whose size cannot be read,
/// [`DataError::Io`] if `dir` or a map cannot be written.
pub fn attach_annotation_maps(
    records: &Records,
    annotations: &MapAnnotations,
    dir: &Path,
) -> Result<AttachedMaps, DataError> {
    std::fs::create_dir_all(dir).map_err(DataError::io(dir))?;
    let keys = annotations.keys();
    let mut used = vec![false; keys.len()];
    let mut out = records.clone();
    let mut annotated = 0;
    for (index, record) in out.items.iter_mut().enumerate() {
        let Some((k, key)) = keys
            .iter()
            .enumerate()
            .filter(|(_, key)| record.image.ends_with(Path::new(key)))
            .max_by_key(|(_, key)| Path::new(key).components().count())
        else {
            continue;
        };
        used[k] = true;
        let (width, height) =
            image::image_dimensions(&record.image).map_err(|source| DataError::Decode {
                path: record.image.clone(),
                source,
            })?;
        let size = [height as usize, width as usize];
        let map = annotations.draw(key, size);
        let stem = record
            .image
            .file_stem()
            .map_or_else(|| "map".into(), |s| s.to_string_lossy().into_owned());
        let path: PathBuf = dir.join(format!("{index:05}-{stem}.npy"));
        write_npy_map(&path, &map, size)?;
        record.saliency = Some(path);
        annotated += 1;
    }
    let mut unmatched: Vec<String> = keys
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(key, _)| key.to_string())
        .collect();
    unmatched.sort();
    Ok(AttachedMaps {
        records: out,
        annotated,
        unmatched,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BoundingBox, Record, ResizeFilter, SaliencyConfig, load_saliency, read_npy_map};

    #[test]
    fn boxes_become_npy_maps_the_dataset_reads() {
        let dir = tempfile::tempdir().unwrap();
        let image = |name: &str| {
            let path = dir.path().join(name);
            image::GrayImage::new(6, 4).save(&path).unwrap();
            path
        };
        let records = Records {
            items: vec![
                Record {
                    image: image("a.png"),
                    saliency: None,
                    label: 0,
                },
                Record {
                    image: image("b.png"),
                    saliency: None,
                    label: 1,
                },
            ],
            classes: vec!["x".into(), "y".into()],
        };
        let mut boxes = BoxAnnotations::new();
        boxes.insert(
            "a.png".into(),
            vec![BoundingBox {
                x0: 0.0,
                y0: 0.0,
                x1: 3.0,
                y1: 2.0,
                label: None,
            }],
        );
        boxes.insert("c.png".into(), Vec::new());
        let annotations = MapAnnotations::Boxes {
            boxes,
            shape: BoxShape::Hard,
        };
        let attached =
            attach_annotation_maps(&records, &annotations, &dir.path().join("maps")).unwrap();
        assert_eq!(attached.annotated, 1);
        assert_eq!(attached.unmatched, ["c.png"]);
        assert!(attached.records.items[1].saliency.is_none());
        let path = attached.records.items[0].saliency.clone().unwrap();
        let map = read_npy_map(&path).unwrap();
        assert_eq!(map.size, [4, 6]);
        assert_eq!(&map.values[..6], &[1.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
        // The dataset reads the .npy map like an image map: averaged to a 2×3 grid of 2×2
        // pixel cells, the 3×2 box fills the top-left cell and half of the next.
        let config = SaliencyConfig::new([2, 3]).with_filter(ResizeFilter::Area);
        let grid = load_saliency(&path, &config).unwrap();
        assert_eq!(grid, [1.0, 0.5, 0.0, 0.0, 0.0, 0.0]);
    }
}
