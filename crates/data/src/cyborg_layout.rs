//! The layout of the CYBORG paper's released data.

use std::path::{Path, PathBuf};

use crate::manifest::existing;
use crate::{DataError, Record, Records};

/// The class names of the CYBORG data, in label order: `Real` = 0, `Synthetic` = 1.
pub const CYBORG_CLASSES: [&str; 2] = ["Real", "Synthetic"];

/// Which rows of a CYBORG CSV to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CyborgSplit {
    /// Rows whose split is `train`; each has a saliency map.
    Train,
    /// Rows whose split is `test` (validation and test files); none has a map.
    Test,
}

/// Reads a CSV of the CYBORG paper's layout: no header, rows `split,class,relative/path`
/// (`split` is `train` or `test`, `class` is `Real` or `Synthetic`), paths relative to `root`.
/// Rows of the other split are skipped. A training image's saliency map is
/// `<root>/<heatmap_dir>/<image file name>`; test images have none.
///
/// # Errors
/// A [`DataError`] naming the CSV and line: a row without three fields, an unknown split or
/// class, an image or training map that does not exist, or no row of the split.
pub fn read_cyborg_csv(
    csv_path: impl AsRef<Path>,
    root: impl AsRef<Path>,
    heatmap_dir: impl AsRef<Path>,
    split: CyborgSplit,
) -> Result<Records, DataError> {
    let csv_path = csv_path.as_ref();
    let file = std::fs::File::open(csv_path).map_err(DataError::io(csv_path))?;
    parse_cyborg_csv(file, csv_path, root.as_ref(), heatmap_dir.as_ref(), split)
}

/// [`read_cyborg_csv`] on CSV text from `reader`, as if it were the file `csv_path` (which
/// names it in errors).
///
/// # Errors
/// As [`read_cyborg_csv`].
pub fn parse_cyborg_csv(
    reader: impl std::io::Read,
    csv_path: &Path,
    root: &Path,
    heatmap_dir: &Path,
    split: CyborgSplit,
) -> Result<Records, DataError> {
    let heatmaps = root.join(heatmap_dir);
    let csv_error = |source| DataError::Csv {
        path: csv_path.to_path_buf(),
        source,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let mut items = Vec::new();
    for row in reader.records() {
        let row = row.map_err(csv_error)?;
        let line = row.position().map_or(0, |p| p.line() as usize);
        let bad = |message: String| DataError::BadRow {
            path: csv_path.to_path_buf(),
            line,
            message,
        };
        if row.len() != 3 {
            return Err(bad(format!(
                "expected split,class,path; got {} fields",
                row.len()
            )));
        }
        let row_split = match &row[0] {
            "train" => CyborgSplit::Train,
            "test" => CyborgSplit::Test,
            other => return Err(bad(format!("split {other:?} is neither train nor test"))),
        };
        let label = CYBORG_CLASSES
            .iter()
            .position(|c| *c == &row[1])
            .ok_or_else(|| DataError::UnknownClass {
                path: csv_path.to_path_buf(),
                line,
                name: row[1].to_string(),
                known: CYBORG_CLASSES.map(String::from).to_vec(),
            })?;
        if row_split != split {
            continue;
        }
        let image = existing(csv_path, line, "image", root.join(&row[2]))?;
        let saliency = match split {
            CyborgSplit::Test => None,
            CyborgSplit::Train => {
                let name = image.file_name().map(PathBuf::from).unwrap_or_default();
                Some(existing(
                    csv_path,
                    line,
                    "saliency map",
                    heatmaps.join(name),
                )?)
            }
        };
        items.push(Record {
            image,
            saliency,
            label,
        });
    }
    Records::non_empty(
        items,
        CYBORG_CLASSES.map(String::from).to_vec(),
        csv_path,
        "rows of the requested split",
    )
}
