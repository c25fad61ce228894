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
        let folder = root.join(class);
        for image in
            files_with_extensions(&folder, &IMAGE_EXTENSIONS).map_err(DataError::io(&folder))?
        {
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

/// The files of `folder` itself (not its sub-folders) whose extension is one of `extensions`
/// (ASCII case-insensitive, without the dot), sorted by path.
///
/// # Errors
/// The first error listing `folder` or reading one of its entries.
pub fn files_with_extensions(folder: &Path, extensions: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)));
        if wanted && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
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
