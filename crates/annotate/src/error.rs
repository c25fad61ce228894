//! The one error type of `cyborg-annotate`.

use std::path::PathBuf;

/// What can go wrong starting the annotation server, saving a map or merging maps. Every
/// variant names the file or value at fault and keeps its source.
#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A manifest or image folder could not be read.
    #[error(transparent)]
    Data(#[from] cyborg_data::DataError),
    /// A picture could not be read or written.
    #[error("{path}: {source}")]
    Image {
        /// The picture.
        path: PathBuf,
        /// What the decoder or encoder said.
        #[source]
        source: image::ImageError,
    },
    /// A map could not be encoded as PNG.
    #[error("{path}: {source}")]
    Encode {
        /// The map file.
        path: PathBuf,
        /// What the encoder said.
        #[source]
        source: png::EncodingError,
    },
    /// The annotator's name cannot be a folder name.
    #[error(
        "annotator name {name:?}: use letters, digits, '-', '_' or '.' (not first), at most 64"
    )]
    BadAnnotator {
        /// The name given.
        name: String,
    },
    /// The server could not listen on the address.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `host:port`.
        address: String,
        /// What the HTTP server said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Another `cyborg annotate` has the same annotator's files open.
    #[error(
        "{folder}: annotator {annotator} is already at work here (another cyborg annotate); \
         stop it first, or use another --annotator"
    )]
    Busy {
        /// The output folder.
        folder: PathBuf,
        /// The annotator.
        annotator: String,
    },
    /// The operating system gave no random bytes for the access token.
    #[error("no random bytes for the access token: {0}")]
    Random(#[source] getrandom::Error),
    /// Two annotators' maps of one image differ in size.
    #[error(
        "{image}: the maps {first} and {second} differ in size ({first_size:?} and {second_size:?})"
    )]
    SizeMismatch {
        /// The image.
        image: PathBuf,
        /// One map.
        first: PathBuf,
        /// Its size, `(width, height)`.
        first_size: (u32, u32),
        /// The other map.
        second: PathBuf,
        /// Its size.
        second_size: (u32, u32),
    },
    /// A folder given to merge is not `DIR/maps/<annotator>` beside `DIR/<annotator>.csv`.
    #[error(
        "{folder}: not an annotator's map folder of cyborg annotate (expected its manifest at {manifest})"
    )]
    NotAnnotatorFolder {
        /// The folder given.
        folder: PathBuf,
        /// Where its manifest should be.
        manifest: PathBuf,
    },
    /// Nothing to annotate, no folder to merge, or the output folder is one of the inputs.
    #[error("{0}")]
    Usage(String),
}

impl AnnotateError {
    /// A closure that wraps an I/O error with `path`, for `map_err`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    /// A closure that wraps an image error with `path`, for `map_err`.
    pub(crate) fn image(path: impl Into<PathBuf>) -> impl FnOnce(image::ImageError) -> Self {
        let path = path.into();
        move |source| Self::Image { path, source }
    }
}
