//! Training and evaluating CYBORG models on Burn: the paper's recipe on burn-train's
//! `Learner`, accuracy, ROC AUC as the paper computes it, and how well a model's CAMs agree
//! with human saliency maps.
//!
//! - [`train`]: any model with the CAM contract ([`TrainableModel`]: a shipped
//!   `cyborg_models::Backbone` or your own) with the CYBORG loss ([`TrainingConfig`], the
//!   paper's recipe by default), checkpoints each epoch, `resume`, the best model by
//!   validation accuracy; [`CyborgModel`] is the `TrainStep`/`InferenceStep` for Burn's
//!   `Learner` if you drive it yourself, with the loss terms as metrics ([`LossTermMetric`]).
//! - [`run_experiment`]: train, then evaluate the best model on validation and test sets and
//!   write `metrics.json` (what `cyborg train` and the `synthetic_faces` example run).
//! - [`Run`]: the same two with their settings named (`Run::new(recipe, dir).on(device)
//!   .experiment(build, experiment)`).
//! - [`shortcut_experiment`]: the shortcut task that ships with the project, written as an
//!   [`Experiment`] (what the quickstart and the examples train on); [`decoy_experiments`]:
//!   a decoy task from MNIST-style files and its clean twin.
//! - [`mean_and_std`], [`bootstrap_interval`]: a mean over seeds with its sample standard
//!   deviation or its percentile-bootstrap interval.
//! - [`roc_auc`] / [`macro_auc`]: exact ROC AUC (ties count one half), [`AucScore`] chooses the
//!   paper's sigmoid-of-the-positive-logit or the softmax probability for two classes.
//! - [`read_history`]: the run folder's `history.csv` (one row per epoch and split, written as
//!   training goes, continued by a resumed run); `draw_curves` (feature `pictures`) draws it
//!   as `curves.png`.
//! - [`evaluate`]: a [`cyborg_cam::CamBackbone`] on a [`cyborg_data::SaliencyDataset`] →
//!   [`Evaluation`] (accuracy, AUC, CAM MSE / Pearson / top-k IoU / pointing game / mass
//!   inside against the human maps).
//! - [`write_report`] (feature `pictures`): runs compared on one HTML page.
//!
//! # Where things are
//!
//! The modules, in the order a batch meets them. No two import each other, directly or round
//! a circle: `tasks` and `report` build on `training`; `training` on `loading`, `progress`,
//! `run_folder` and `evaluation`; `progress` on `run_folder`; `run_folder` on `evaluation`;
//! all may use `error`.
//!
//! 1. `tasks`: the shipped tasks (shortcut, decoy) written as an [`Experiment`].
//! 2. `loading`: batches in a fixed order whatever the workers ([`OrderedLoader`]), shuffled
//!    by (seed, epoch) ([`EpochLoader`]).
//! 3. `training`: the recipe ([`TrainingConfig`]), the step a batch goes through
//!    ([`CyborgModel`]) and its loss terms as metrics, the trainer on Burn's `Learner`
//!    ([`train`]), a run's settings ([`Run`]) and an experiment (train, then evaluate:
//!    [`run_experiment`]).
//! 4. `progress`: each split's summary as it ends ([`TrainingProgress`], the epoch lines).
//! 5. `run_folder`: what a run leaves on disk: `history.csv`, `scores/`, `classes.json`,
//!    `sets/`, the checkpoints kept and the lock.
//! 6. `evaluation`: accuracy, AUC and the CAM's agreement ([`evaluate`]), and the statistics
//!    that summarise seeds ([`bootstrap_interval`]).
//! 7. `report` (feature `pictures`): the pictures drawn from a run folder (`curves.png`,
//!    `roc-*.png`, `cams.png`) and the HTML report, with their charts.
//!
//! `error` holds the crate's two errors, [`TrainError`] and [`RunFileError`].

mod error;
mod evaluation;
mod loading;
mod progress;
#[cfg(feature = "pictures")]
mod report;
mod run_folder;
mod tasks;
mod training;

/// The loss choice a [`TrainingConfig`] holds, from `cyborg-saliency-loss`.
pub use cyborg_saliency_loss::SaliencyLossConfig;
pub use error::{RunFileError, TrainError};
pub use evaluation::auc::{AucScore, macro_auc, roc_auc, roc_curve};
pub use evaluation::bootstrap::{
    Interval, bootstrap_interval, gap_closed, gap_closed_of_means, interval95, mean_and_std,
};
pub use evaluation::evaluate::{
    Evaluation, EvaluationConfig, evaluate, evaluate_scored, feature_grid,
};
pub use loading::epoch_loader::EpochLoader;
pub use loading::ordered_loader::OrderedLoader;
#[cfg(feature = "stderr-logs")]
pub use progress::logs::show_logs;
pub use progress::renderer::EpochLog;
pub use progress::training_progress::{LogProgress, SharedProgress, TrainingProgress};
#[cfg(feature = "pictures")]
pub use report::cams_picture::{CAMS_FILE, draw_cams};
#[cfg(feature = "pictures")]
pub use report::plots::{CURVES_FILE, PlotError, draw_curves, draw_roc, draw_run_pictures};
#[cfg(feature = "pictures")]
pub use report::*;
pub use run_folder::checkpointing::BestAndLast;
pub use run_folder::history::{HISTORY_FILE, HistoryRow, read_history};
pub use run_folder::run_file::{CLASSES_FILE, SETS_FOLDER, csv_files, read_classes};
pub use run_folder::run_lock::{LOCK_FILE, RunLock};
pub use run_folder::scores::{
    RocCurve, SCORES_FOLDER, Scores, read_scores, scores_file_name, write_scores,
};
pub use tasks::decoy::{
    CLEAN_TEST, DECOY_TEST, DecoyExperiments, DecoyTaskConfig, decoy_experiments,
};
pub use tasks::shortcut::{ALL_TEST_IMAGES, SQUARE_MISLEADS, shortcut_experiment};
pub use training::experiment::{Experiment, ExperimentReport, run_experiment};
pub use training::loss_metric::{LossTerm, LossTermInput, LossTermMetric};
pub use training::recipe::{Optimizer, Schedule, TrainingConfig};
pub use training::run::{DEFAULT_WORKERS, Run};
pub use training::step::{CyborgModel, CyborgOutput, TrainableModel};
pub use training::trainer::{TrainData, TrainedRun, last_complete_checkpoint, train, write_json};
