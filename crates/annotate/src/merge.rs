//! Several annotators' maps of the same images, averaged into one map per image.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use cyborg_data::{Record, Records, read_manifest, write_manifest};
use image::GrayImage;
use serde::{Deserialize, Serialize};

use crate::AnnotateError;
use crate::agreement::{ImageAgreement, mean};
use crate::names::MapNames;

/// What [`merge_annotators`] wrote and found; also written as `OUT/agreement.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeSummary {
    /// The annotators merged (their folders' names).
    pub annotators: Vec<String>,
    /// Images in the union of their manifests.
    pub images: usize,
    /// Images with at least one map (each got a merged map).
    pub merged: usize,
    /// Images with maps from two annotators or more (each got an agreement).
    pub compared: usize,
    /// Mean over the compared images of their mean pairwise Pearson correlation.
    pub pearson: Option<f64>,
    /// Mean over the compared images of their mean pairwise IoU of marked regions.
    pub iou: Option<f64>,
    /// The merged manifest (`OUT/manifest.csv`).
    pub manifest: PathBuf,
    /// The per-image agreement table (`OUT/agreement.csv`).
    pub table: PathBuf,
    /// The compared images from least to most agreeing (by IoU), at most ten.
    pub least_agreeing: Vec<(PathBuf, f64)>,
}

/// Merges the map folders of several annotators, each `DIR/maps/<annotator>` as
/// `cyborg annotate` writes it beside `DIR/<annotator>.csv`, into `out`:
/// - `out/maps/<image stem>.png`: per image, the pixel-wise mean of the maps it has (rounded);
/// - `out/manifest.csv`: every image of the annotators' manifests (`image,saliency,label`),
///   `saliency` empty where nobody drew a map;
/// - `out/agreement.csv`: per image `image,annotators,pearson,iou`, each measure the mean over
///   pairs of annotators ([`ImageAgreement`]; empty where undefined);
/// - `out/agreement.json`: the [`MergeSummary`].
///
/// # Errors
/// [`AnnotateError::NotAnnotatorFolder`] for a folder without its manifest,
/// [`AnnotateError::SizeMismatch`] for maps of one image that differ in size,
/// [`AnnotateError::Usage`] for no folder or `out` among them; I/O and decoding errors name
/// their file.
pub fn merge_annotators(folders: &[PathBuf], out: &Path) -> Result<MergeSummary, AnnotateError> {
    if folders.is_empty() {
        return Err(AnnotateError::Usage("merge: no map folder given".into()));
    }
    let mut annotators = Vec::new();
    let mut union: Vec<Record> = Vec::new();
    let mut classes: Option<Vec<String>> = None;
    let mut position: HashMap<PathBuf, usize> = HashMap::new();
    // Per image of the union: (annotator, map file) of each map drawn.
    let mut maps: Vec<Vec<PathBuf>> = Vec::new();
    for folder in folders {
        let (name, manifest) = annotator_manifest(folder)?;
        if std::fs::canonicalize(out).ok() == std::fs::canonicalize(folder).ok() {
            return Err(AnnotateError::Usage(format!(
                "--out {} is one of the folders merged; choose another",
                out.display()
            )));
        }
        let records = read_manifest(&manifest, classes.clone())?;
        classes.get_or_insert(records.classes);
        for record in records.items {
            let image =
                std::fs::canonicalize(&record.image).map_err(AnnotateError::io(&record.image))?;
            let at = *position.entry(image.clone()).or_insert_with(|| {
                union.push(Record {
                    image,
                    saliency: None,
                    label: record.label,
                });
                maps.push(Vec::new());
                union.len() - 1
            });
            maps[at].extend(record.saliency);
        }
        annotators.push(name);
    }
    let folder = out.join("maps");
    std::fs::create_dir_all(&folder).map_err(AnnotateError::io(&folder))?;
    let mut names = MapNames::default();
    let mut rows = Vec::new();
    for (record, files) in union.iter_mut().zip(&maps) {
        if files.is_empty() {
            continue;
        }
        let images = files
            .iter()
            .map(|f| Ok(image::open(f).map_err(AnnotateError::image(f))?.to_luma8()))
            .collect::<Result<Vec<_>, AnnotateError>>()?;
        check_sizes(&record.image, files, &images)?;
        let path = folder.join(names.assign(&record.image));
        write_png(&path, &mean_map(&images))?;
        record.saliency = Some(path);
        let agreement = ImageAgreement::of(&images.iter().collect::<Vec<_>>());
        rows.push((record.image.clone(), agreement));
    }
    let merged = rows.len();
    let records = Records {
        items: union,
        classes: classes.unwrap_or_default(),
    };
    let manifest = out.join("manifest.csv");
    write_manifest(&manifest, &records)?;
    let table = out.join("agreement.csv");
    write_table(&table, &rows)?;
    let compared: Vec<&(PathBuf, ImageAgreement)> =
        rows.iter().filter(|(_, a)| a.annotators > 1).collect();
    let pearson = mean(
        &compared
            .iter()
            .filter_map(|(_, a)| a.pearson)
            .collect::<Vec<_>>(),
    );
    let iou = mean(
        &compared
            .iter()
            .filter_map(|(_, a)| a.iou)
            .collect::<Vec<_>>(),
    );
    let mut least: Vec<(PathBuf, f64)> = compared
        .iter()
        .filter_map(|(image, a)| a.iou.map(|iou| (image.clone(), iou)))
        .collect();
    least.sort_by(|a, b| a.1.total_cmp(&b.1));
    least.truncate(10);
    let summary = MergeSummary {
        annotators,
        images: records.items.len(),
        merged,
        compared: compared.len(),
        pearson,
        iou,
        manifest,
        table,
        least_agreeing: least,
    };
    let json = out.join("agreement.json");
    let text = serde_json::to_vec_pretty(&summary).expect("a MergeSummary serializes");
    cyborg_atomic_write::write_bytes_atomically(&json, &text).map_err(AnnotateError::io(&json))?;
    Ok(summary)
}

/// The annotator's name and manifest of a folder `DIR/maps/<annotator>`.
fn annotator_manifest(folder: &Path) -> Result<(String, PathBuf), AnnotateError> {
    let canonical = std::fs::canonicalize(folder).map_err(AnnotateError::io(folder))?;
    let name = canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let manifest = canonical
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join(format!("{name}.csv")))
        .unwrap_or_default();
    match manifest.is_file() && canonical.is_dir() {
        true => Ok((name, manifest)),
        false => Err(AnnotateError::NotAnnotatorFolder {
            folder: folder.to_path_buf(),
            manifest,
        }),
    }
}

fn check_sizes(image: &Path, files: &[PathBuf], maps: &[GrayImage]) -> Result<(), AnnotateError> {
    for (file, map) in files.iter().zip(maps).skip(1) {
        if map.dimensions() != maps[0].dimensions() {
            return Err(AnnotateError::SizeMismatch {
                image: image.to_path_buf(),
                first: files[0].clone(),
                first_size: maps[0].dimensions(),
                second: file.clone(),
                second_size: map.dimensions(),
            });
        }
    }
    Ok(())
}

/// The pixel-wise mean of equally sized maps, rounded half up.
fn mean_map(maps: &[GrayImage]) -> GrayImage {
    let (width, height) = maps[0].dimensions();
    let n = maps.len() as u32;
    let pixels = (0..maps[0].as_raw().len())
        .map(|i| {
            let sum: u32 = maps.iter().map(|m| u32::from(m.as_raw()[i])).sum();
            ((2 * sum + n) / (2 * n)) as u8
        })
        .collect();
    GrayImage::from_raw(width, height, pixels).expect("as many pixels as the first map")
}

fn write_png(path: &Path, map: &GrayImage) -> Result<(), AnnotateError> {
    let mut png = Vec::new();
    map.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(AnnotateError::image(path))?;
    cyborg_atomic_write::write_bytes_atomically(path, &png).map_err(AnnotateError::io(path))
}

fn write_table(path: &Path, rows: &[(PathBuf, ImageAgreement)]) -> Result<(), AnnotateError> {
    let number = |v: Option<f64>| v.map(|v| format!("{v:.6}")).unwrap_or_default();
    let mut text = csv::Writer::from_writer(Vec::new());
    let mut write = |fields: [String; 4]| {
        text.write_record(fields)
            .map_err(|e| AnnotateError::io(path)(e.into()))
    };
    write([
        "image".into(),
        "annotators".into(),
        "pearson".into(),
        "iou".into(),
    ])?;
    for (image, a) in rows {
        write([
            image.to_string_lossy().into_owned(),
            a.annotators.to_string(),
            number(a.pearson),
            number(a.iou),
        ])?;
    }
    let bytes = text
        .into_inner()
        .map_err(|e| AnnotateError::io(path)(e.into_error()))?;
    cyborg_atomic_write::write_bytes_atomically(path, &bytes).map_err(AnnotateError::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_rounds_half_up() {
        let map = |v: [u8; 3]| GrayImage::from_raw(3, 1, v.to_vec()).unwrap();
        let merged = mean_map(&[map([0, 255, 1]), map([255, 255, 2])]);
        assert_eq!(merged.as_raw(), &[128, 255, 2]);
    }
}
