//! Errors of the picture code: saving PNG files and parsing colormap names.

use std::path::PathBuf;

/// Why a picture could not be written. Each variant names the file and keeps the cause.
#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    /// The path has no file name (`/`, `..`), so there is nowhere to put the temporary file.
    #[error("cannot save a picture to {}: the path has no file name", path.display())]
    NoFileName {
        /// The path given.
        path: PathBuf,
    },
    /// Creating, writing, syncing or renaming the file failed.
    #[error("could not write {}", path.display())]
    Io {
        /// The file that was to be written.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The PNG encoder refused the image (for example one with a zero width or height).
    #[error("could not encode {} as PNG", path.display())]
    Encode {
        /// The file that was to be written.
        path: PathBuf,
        /// The encoder's error.
        #[source]
        source: image::ImageError,
    },
}

/// A colormap name that [`Colormap`](super::Colormap)'s `FromStr` does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown colormap {name:?}, expected one of \"viridis\", \"turbo\", \"jet\"")]
pub struct ParseColormapError {
    /// The name that was given.
    pub name: String,
}
