//! The crate's errors: [`TrainError`], everything that can stop a run, and [`RunFileError`],
//! a run folder's file that does not read.

use std::path::PathBuf;
use std::sync::Arc;

use burn::train::TrainingError;
use cyborg_models::ModelError;

#[cfg(doc)]
use crate::{RunLock, train};

/// Everything that can stop [`train`].
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A value of the recipe is unusable.
    #[error("{0}")]
    Config(String),
    /// The run folder could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Another run holds the run folder (see [`RunLock`]).
    #[error(
        "{dir} is in use by another run ({holder}); wait for it to end or choose another folder"
    )]
    Busy {
        /// The run folder.
        dir: PathBuf,
        /// What the lock file says of the run that holds it.
        holder: String,
    },
    /// Burn's learner stopped with an error (data, checkpoint or worker).
    #[error("training stopped: {0}")]
    Training(#[source] Arc<TrainingError>),
    /// The best checkpoint could not be read back or the best model written.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// An image or map could not be read while evaluating.
    #[error(transparent)]
    Data(#[from] cyborg_data::DataError),
    /// The per-image scores could not be written.
    #[error(transparent)]
    Scores(Box<RunFileError>),
}

/// A run folder's CSV file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RunFileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a row of the file.
    #[error("{path}:{line}: {message}")]
    BadRow {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A JSON file of the run is not what it should hold.
    #[error("{path}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}
