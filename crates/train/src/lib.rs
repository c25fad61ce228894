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

mod auc;
mod bootstrap;
#[cfg(feature = "pictures")]
mod cams_picture;
mod checkpointing;
mod decoy;
mod epoch_loader;
mod evaluate;
mod experiment;
mod history;
#[cfg(feature = "stderr-logs")]
mod logs;
mod loss_metric;
mod ordered_loader;
#[cfg(feature = "pictures")]
mod plots;
mod progress;
mod recipe;
mod renderer;
#[cfg(feature = "pictures")]
mod report;
mod run;
mod run_file;
mod run_lock;
mod scores;
mod shortcut;
mod step;
mod trainer;

pub use auc::{AucScore, macro_auc, roc_auc, roc_curve};
pub use bootstrap::{Interval, bootstrap_interval, gap_closed, interval95, mean_and_std};
#[cfg(feature = "pictures")]
pub use cams_picture::{CAMS_FILE, draw_cams};
pub use checkpointing::BestAndLast;
/// The loss choice a [`TrainingConfig`] holds, from `cyborg-saliency-loss`.
pub use cyborg_saliency_loss::SaliencyLossConfig;
pub use decoy::{CLEAN_TEST, DECOY_TEST, DecoyExperiments, DecoyTaskConfig, decoy_experiments};
pub use epoch_loader::EpochLoader;
pub use evaluate::{Evaluation, EvaluationConfig, evaluate, evaluate_scored, feature_grid};
pub use experiment::{Experiment, ExperimentReport, SETS_FOLDER, run_experiment};
pub use history::{HISTORY_FILE, HistoryRow, read_history};
#[cfg(feature = "stderr-logs")]
pub use logs::show_logs;
pub use loss_metric::{LossTerm, LossTermInput, LossTermMetric};
pub use ordered_loader::OrderedLoader;
#[cfg(feature = "pictures")]
pub use plots::{CURVES_FILE, PlotError, draw_curves, draw_roc, draw_run_pictures};
pub use progress::{LogProgress, SharedProgress, TrainingProgress};
pub use recipe::{Optimizer, Schedule, TrainingConfig};
pub use renderer::EpochLog;
#[cfg(feature = "pictures")]
pub use report::*;
pub use run::{DEFAULT_WORKERS, Run};
pub use run_file::{CLASSES_FILE, RunFileError, csv_files, read_classes};
pub use run_lock::{LOCK_FILE, RunLock};
pub use scores::{RocCurve, SCORES_FOLDER, Scores, read_scores, scores_file_name, write_scores};
pub use shortcut::{ALL_TEST_IMAGES, SQUARE_MISLEADS, shortcut_experiment};
pub use step::{CyborgModel, CyborgOutput, TrainableModel};
pub use trainer::{TrainData, TrainError, TrainedRun, last_complete_checkpoint, train, write_json};
