//! Image folders: `root/<class>/<image>`, with an optional parallel tree of saliency maps.

use std::path::{Path, PathBuf};

use crate::{DataError, Record, Records};

/// File extensions read as images (case-insensitive).
pub const IMAGE_EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "bmp"];

/// Reads `root/<class>/<image>`: classes are the sub-folders in sorted order, images the files
/// with an [image extension](IMAGE_EXTENSIONS) in sorted order. With `saliency_root`, the map of
/// `root/<class>/<name>` is `saliency_root/<class>/<name>` when that file exists; images without
/// one are unannotated.
///
/// # Errors
/// [`DataError::Io`] if a folder cannot be listed, [`DataError::Empty`] if no image is found.
pub fn read_image_folder(
    root: impl AsRef<Path>,
    saliency_root: Option<&Path>,
) -> Result<Records, DataError> {
    let root = root.as_ref();
    let classes: Vec<String> = sorted_entries(root)?
        .into_iter()
        .filter(|p| p.is_dir())
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let mut items = Vec::new();
    for (label, class) in classes.iter().enumerate() {
        for image in sorted_entries(&root.join(class))? {
            if !(image.is_file() && is_image(&image)) {
                continue;
            }
            let saliency = saliency_root
                .zip(image.file_name())
                .map(|(s, name)| s.join(class).join(name))
                .filter(|p| p.is_file());
            items.push(Record {
                image,
                saliency,
                label,
            });
        }
    }
    Records::non_empty(items, classes, root, "images in class sub-folders")
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
}

fn sorted_entries(folder: &Path) -> Result<Vec<PathBuf>, DataError> {
    let mut entries = std::fs::read_dir(folder)
        .and_then(|dir| {
            dir.map(|e| e.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(DataError::io(folder))?;
    entries.sort();
    Ok(entries)
}
