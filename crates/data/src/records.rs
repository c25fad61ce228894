//! What every source produces: image paths, optional saliency-map paths and labels.

use std::path::{Path, PathBuf};

use crate::DataError;

/// One image of a dataset, not yet decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The image file.
    pub image: PathBuf,
    /// Its human saliency map, if it has one.
    pub saliency: Option<PathBuf>,
    /// Index into [`Records::classes`].
    pub label: usize,
}

/// The images of a dataset and its class names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Records {
    /// The images, in the source's order.
    pub items: Vec<Record>,
    /// Class names; a label is an index into this list.
    pub classes: Vec<String>,
}

impl Records {
    /// Records of `items` and `classes`, or [`DataError::Empty`] naming `source` and `what`
    /// was looked for when there is no item.
    pub fn non_empty(
        items: Vec<Record>,
        classes: Vec<String>,
        source: &Path,
        what: &'static str,
    ) -> Result<Self, DataError> {
        if items.is_empty() {
            return Err(DataError::Empty {
                path: source.to_path_buf(),
                what,
            });
        }
        Ok(Self { items, classes })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Number of images that have a saliency map.
    pub fn annotated(&self) -> usize {
        self.items.iter().filter(|r| r.saliency.is_some()).count()
    }
}
