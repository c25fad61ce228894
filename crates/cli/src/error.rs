//! Everything the command reports as a one-line error.

use std::path::PathBuf;

/// An error of the `cyborg` command: printed as one line, exit status 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A flag's value is unusable.
    #[error("{0}")]
    Usage(String),
    /// Reading the data.
    #[error(transparent)]
    Data(#[from] cyborg_data::DataError),
    /// Loading weights or a checkpoint.
    #[error(transparent)]
    Model(#[from] cyborg_models::ModelError),
    /// Training.
    #[error(transparent)]
    Train(Box<cyborg_train::TrainError>),
    /// Reading a run folder's files.
    #[error(transparent)]
    RunFile(#[from] cyborg_train::RunFileError),
    /// Drawing a run's pictures from its files.
    #[error(transparent)]
    Plot(#[from] cyborg_train::PlotError),
    /// Annotating, or merging annotators' maps.
    #[error(transparent)]
    Annotate(#[from] cyborg_annotate::AnnotateError),
    /// Writing a picture.
    #[error(transparent)]
    Picture(#[from] cyborg_cam::PictureError),
    /// An explanation the model cannot give for this input.
    #[error(transparent)]
    Explain(#[from] cyborg_cam::ExplainError),
    /// ROAD refused its input.
    #[error(transparent)]
    Road(#[from] cyborg_cam::RoadError),
    /// Any other file operation.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl CliError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| CliError::Io { path, source }
    }
}
