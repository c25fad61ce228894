//! The manifest CSV: `image,saliency,label` with a header, paths relative to the CSV.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::annotation_table::Table;
use crate::{DataError, Record, Records};

/// Reads a manifest CSV: a header naming the columns `image`, `saliency` and `label` (in any
/// order; other columns are ignored), then one row per image. Paths are relative to the CSV's
/// folder (absolute paths are kept). `saliency` may be empty for images without a human map.
/// `label` is a class name or an integer index.
///
/// Classes: with `classes = Some(list)`, labels are names from the list or indices into it;
/// otherwise integer labels `0..=max` name themselves, and names are sorted alphabetically.
///
/// # Errors
/// A [`DataError`] naming the file and line: unreadable CSV, a missing column, an empty image
/// path, an unknown class, a file that does not exist, or no row at all.
pub fn read_manifest(
    path: impl AsRef<Path>,
    classes: Option<Vec<String>>,
) -> Result<Records, DataError> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(DataError::io(path))?;
    parse_manifest(file, path, classes)
}

/// [`read_manifest`] on CSV text from `reader`, as if it were the file `path`: `path` names
/// it in errors and its folder anchors relative paths.
///
/// # Errors
/// As [`read_manifest`].
pub fn parse_manifest(
    reader: impl std::io::Read,
    path: &Path,
    classes: Option<Vec<String>>,
) -> Result<Records, DataError> {
    let folder = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let table = Table::parse(reader, path, &["image", "saliency", "label"], 3)?;
    let mut rows = Vec::new();
    for row in table.rows() {
        let image = row
            .text(0)
            .ok_or_else(|| row.error("empty image path".into()))?;
        let field = |i: usize| row.text(i).unwrap_or("").to_string();
        rows.push((row.line, image.to_string(), field(1), field(2)));
    }
    if rows.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            what: "rows",
        });
    }

    let classes = match classes {
        Some(classes) => classes,
        None => derive_classes(path, &rows)?,
    };
    let mut items = Vec::with_capacity(rows.len());
    for (line, image, saliency, label) in rows {
        let label = resolve_label(&label, &classes).ok_or_else(|| DataError::UnknownClass {
            path: path.to_path_buf(),
            line,
            name: label.clone(),
            known: classes.clone(),
        })?;
        let image = existing(path, line, "image", folder.join(image))?;
        let saliency = match saliency.is_empty() {
            true => None,
            false => Some(existing(path, line, "saliency map", folder.join(saliency))?),
        };
        items.push(Record {
            image,
            saliency,
            label,
        });
    }
    Ok(Records { items, classes })
}

/// Writes `records` as a manifest CSV at `path`, paths relative to its folder where they lie
/// under it, labels as class names. Writes a temporary file beside it and renames it over
/// `path`, so an existing manifest is never left half-written.
///
/// # Errors
/// [`DataError::Io`] if the folder cannot be written.
pub fn write_manifest(path: impl AsRef<Path>, records: &Records) -> Result<(), DataError> {
    let path = path.as_ref();
    let folder = path.parent().unwrap_or(Path::new("."));
    let relative = |p: &Path| {
        p.strip_prefix(folder)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    let mut text = csv::Writer::from_writer(Vec::new());
    let mut write = |fields: [String; 3]| {
        text.write_record(fields).map_err(|e| DataError::Csv {
            path: path.to_path_buf(),
            source: e,
        })
    };
    write(["image".into(), "saliency".into(), "label".into()])?;
    for r in &records.items {
        let saliency = r.saliency.as_deref().map(relative).unwrap_or_default();
        write([
            relative(&r.image),
            saliency,
            records.classes[r.label].clone(),
        ])?;
    }
    let bytes = text
        .into_inner()
        .map_err(|e| DataError::io(path)(e.into_error()))?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to `path` atomically (a temporary file beside it, synced, renamed).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    cyborg_atomic_write::write_bytes_atomically(path, bytes).map_err(DataError::io(path))
}

/// The most classes integer labels may imply without a class list.
pub const MAX_INTEGER_CLASSES: usize = 100_000;

fn derive_classes(
    path: &Path,
    rows: &[(usize, String, String, String)],
) -> Result<Vec<String>, DataError> {
    let ints: Option<Vec<(usize, usize)>> = rows
        .iter()
        .map(|(line, _, _, label)| label.parse().ok().map(|l| (*line, l)))
        .collect();
    match ints {
        Some(ints) => {
            let (line, max) = ints.into_iter().max_by_key(|&(_, l)| l).unwrap_or((0, 0));
            if max >= MAX_INTEGER_CLASSES {
                return Err(DataError::BadRow {
                    path: path.to_path_buf(),
                    line,
                    message: format!(
                        "integer label {max} implies more than {MAX_INTEGER_CLASSES} classes; \
                         pass the class list"
                    ),
                });
            }
            Ok((0..=max).map(|i| i.to_string()).collect())
        }
        None => Ok(rows
            .iter()
            .map(|r| r.3.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()),
    }
}

fn resolve_label(label: &str, classes: &[String]) -> Option<usize> {
    classes
        .iter()
        .position(|c| c == label)
        .or_else(|| label.parse::<usize>().ok().filter(|&i| i < classes.len()))
}

pub(crate) fn existing(
    table: &Path,
    line: usize,
    what: &'static str,
    file: PathBuf,
) -> Result<PathBuf, DataError> {
    if file.is_file() {
        Ok(file)
    } else {
        Err(DataError::Missing {
            table: table.to_path_buf(),
            line,
            what,
            path: file,
        })
    }
}
