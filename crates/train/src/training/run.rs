//! [`Run`]: where and how a run trains, set by name, for [`train`] and [`run_experiment`]
//! (its `train` is in the trainer, its `experiment` beside `run_experiment`).

use std::path::PathBuf;

use burn::prelude::*;

use crate::progress::training_progress::{SharedProgress, TrainingProgress};
use crate::training::recipe::TrainingConfig;
#[cfg(doc)]
use crate::{LogProgress, run_experiment, train};

/// The data-loading threads of a [`Run`] unless [`Run::workers`] says otherwise.
pub const DEFAULT_WORKERS: usize = 2;

/// A run: its recipe, its folder, its devices, and whether it resumes. The named form of
/// [`train`]'s and [`run_experiment`]'s arguments.
///
/// ```no_run
/// # use burn::prelude::*;
/// # use cyborg_train::{Experiment, Run, TrainingConfig};
/// # fn example(experiment: Experiment, device: Device) -> Result<(), cyborg_train::TrainError> {
/// # let build = |device: &Device| cyborg_models::Architecture::SmallCnn.init(2, 1, false, device);
/// let report = Run::new(TrainingConfig::paper(), "runs/cyborg")
///     .on(device)
///     .experiment(build, experiment)?;
/// println!("test AUC {:?}", report.test["test"].auc);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Run {
    pub(crate) recipe: TrainingConfig,
    pub(crate) dir: PathBuf,
    pub(crate) devices: Vec<Device>,
    pub(crate) resume: bool,
    pub(crate) progress: SharedProgress,
    pub(crate) workers: usize,
}

impl Run {
    /// A run of `recipe` in the folder `dir`, starting over, on no device yet (see
    /// [`Run::on`]).
    pub fn new(recipe: TrainingConfig, dir: impl Into<PathBuf>) -> Self {
        Self {
            recipe,
            dir: dir.into(),
            devices: Vec::new(),
            resume: false,
            progress: SharedProgress::default(),
            workers: DEFAULT_WORKERS,
        }
    }

    /// Trains on `device` (added to the devices: several train data-parallel, see [`train`]).
    pub fn on(mut self, device: Device) -> Self {
        self.devices.push(device);
        self
    }

    /// Trains on each of `devices` (added to the devices, as [`Run::on`] adds one).
    pub fn on_devices(mut self, devices: impl IntoIterator<Item = Device>) -> Self {
        self.devices.extend(devices);
        self
    }

    /// Continues from the folder's last complete checkpoint when `resume` (see [`train`]).
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Prepares batches (decoding, resizing, augmenting) on `workers` threads (at least 1;
    /// [`DEFAULT_WORKERS`] unless set). The batches and their order do not depend on it
    /// ([`OrderedLoader`](crate::OrderedLoader)): only the speed does.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Reports training's progress to `progress` (by default [`LogProgress`]: each split's
    /// summary line to `tracing`).
    pub fn progress(mut self, progress: impl TrainingProgress + 'static) -> Self {
        self.progress = SharedProgress::new(progress);
        self
    }
}
