//! Training a backbone with the CYBORG loss on Burn's `Learner` (burn-train): checkpoints each
//! epoch, resuming a killed run, the best model by validation accuracy, the config saved with
//! the run.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::data::dataloader::DataLoader;
use burn::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use burn::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use burn::lr_scheduler::step::StepLrSchedulerConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, ModuleOptimizer, SgdConfig};
use burn::prelude::*;
use burn::train::metric::{AccuracyMetric, AurocMetric, LearningRateMetric};
use burn::train::{
    ExecutionStrategy, Learner, LearnerSummary, MultiDeviceOptim, SupervisedTraining,
    TrainingStrategy,
};
use cyborg_data::{SaliencyBatch, SaliencyBatcher, SaliencyDataset};
use cyborg_models::{Backbone, ModelError};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::loading::epoch_loader::EpochLoader;
use crate::loading::ordered_loader::OrderedLoader;
use crate::progress::renderer::EpochLog;
use crate::progress::training_progress::SharedProgress;
use crate::run_folder::checkpointing::{ACCURACY, BestAndLast, at_least};
use crate::run_folder::history::HISTORY_FILE;
use crate::run_folder::run_lock::RunLock;
use crate::training::loss_metric::{LossTerm, LossTermMetric};
use crate::training::recipe::{Optimizer, Schedule, TrainingConfig};
use crate::training::run::Run;
use crate::training::step::{CyborgModel, TrainableModel};

/// The data of a run.
pub struct TrainData {
    /// Training images and maps, at the model's input size and CAM grid.
    pub train: SaliencyDataset,
    /// Validation images (model selection).
    pub valid: SaliencyDataset,
    /// `[channels, height, width]` of the inputs.
    pub image_shape: [usize; 3],
    /// The CAM grid `[h, w]` the maps are resized to.
    pub grid: [usize; 2],
}

/// The outcome of [`train`].
#[derive(Debug)]
pub struct TrainedRun<M = Backbone> {
    /// The model of the best epoch by validation accuracy, in inference mode.
    pub model: M,
    /// That epoch (1-based).
    pub best_epoch: usize,
    /// Its validation accuracy, in [0, 1].
    pub best_accuracy: f64,
    /// The run folder.
    pub dir: PathBuf,
}

/// Stack of the thread that runs the learner (only touched pages are committed).
const LEARNER_STACK: usize = 256 << 20;

/// What `best.json` in the run folder records.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct BestRecord {
    epoch: usize,
    valid_accuracy: f64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `value` as pretty JSON (with a final newline) to `path`, through a temporary file
/// beside it, synced and renamed into place (`cyborg_atomic_write`): a reader never sees a
/// half-written file, and a failed write leaves the previous one intact.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), TrainError> {
    let text = serde_json::to_string_pretty(value).expect("plain data serialises to JSON") + "\n";
    cyborg_atomic_write::write_bytes_atomically(path, text.as_bytes()).map_err(io(path))
}

/// The latest epoch whose model, optimiser and scheduler checkpoints are all on disk.
pub fn last_complete_checkpoint(dir: &Path) -> Option<usize> {
    complete_checkpoints(dir).first().copied()
}

/// The epochs whose model, optimiser and scheduler checkpoints are all on disk, latest first.
fn complete_checkpoints(dir: &Path) -> Vec<usize> {
    let checkpoints = dir.join("checkpoint");
    let Ok(entries) = std::fs::read_dir(&checkpoints) else {
        return Vec::new();
    };
    let mut epochs: Vec<usize> = entries
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let epoch: usize = name
                .strip_prefix("model-")?
                .strip_suffix(".bpk")?
                .parse()
                .ok()?;
            let complete = ["optim", "scheduler"]
                .iter()
                .all(|kind| checkpoints.join(format!("{kind}-{epoch}.bpk")).exists());
            complete.then_some(epoch)
        })
        .collect();
    epochs.sort_unstable_by(|a, b| b.cmp(a));
    epochs
}

/// Validation accuracy per epoch, from the run folder's metric logs, in percent (as Burn's
/// `AccuracyMetric` logs it and the checkpointing strategy reads it).
fn valid_accuracies(dir: &Path) -> Vec<(usize, f64)> {
    let Ok(summary) = LearnerSummary::new(dir, &[ACCURACY]) else {
        return Vec::new();
    };
    summary
        .metrics
        .valid
        .iter()
        .find(|metric| metric.name == ACCURACY)
        .map(|metric| {
            metric
                .entries
                .iter()
                .map(|entry| (entry.step, entry.value))
                .collect()
        })
        .unwrap_or_default()
}

/// The best epoch by accuracy, a later one winning ties.
fn best_of(accuracies: &[(usize, f64)]) -> Option<(usize, f64)> {
    accuracies
        .iter()
        .copied()
        .fold(None, |best, (epoch, value)| match best {
            Some((_, b)) if !at_least(value, b) => best,
            _ => Some((epoch, value)),
        })
}

/// Trains the model that `build` makes (called after seeding the device; any
/// [`TrainableModel`]: a shipped `Backbone` or a model of your own) with the CYBORG loss as
/// `config` says, in the run folder `dir`:
///
/// - `dir/config.json`: the recipe; `dir/checkpoint/{model,optim,scheduler}-E.bpk`: the last
///   epoch and the best one by validation accuracy; `dir/train`, `dir/valid`: Burn's metric logs
///   (loss, cross-entropy, saliency, accuracy, and AUROC for two classes);
/// - `dir/history.csv`: the same per epoch and split, with the learning rate and the seconds
///   each pass took ([`read_history`](crate::read_history)), appended after each pass;
/// - `dir/best.bpk` (the best model, loadable with `cyborg_models::load_checkpoint` into the
///   same architecture) and
///   `dir/best.json` (its epoch and validation accuracy).
///
/// With `resume`, continues from the last complete checkpoint in `dir` (nothing lost but the
/// epoch that was running) exactly as the uninterrupted run would have: the model with its
/// batch-norm statistics, the optimiser and scheduler states come from the checkpoint, and the
/// order of the training images is a function of the seed and the epoch number
/// ([`SaliencyDataset::with_shuffle`](cyborg_data::SaliencyDataset::with_shuffle)), so the
/// resumed run ends with the same model, bit for bit, on the same device. Otherwise starts
/// over, clearing earlier logs and checkpoints. The run holds `dir` ([`RunLock`]) while it
/// trains: a second run on the same folder fails with [`TrainError::Busy`].
/// Progress goes to `tracing`, one line per epoch and split
/// ([`LogProgress`](crate::LogProgress); choose another
/// receiver with [`Run::progress`]).
///
/// `devices[0]` builds the model and holds the best one returned. With N > 1 devices,
/// burn-train's multi-device strategy gives each device its share of the training set and
/// `batch_size` images at a time; one optimiser step (on the first device) takes the mean of
/// the N devices' gradients, so the effective batch is N × `batch_size` and an epoch has N
/// times fewer steps (the schedule counts them). The CYBORG step runs on every device
/// unchanged.
pub fn train<M: TrainableModel>(
    build: impl FnOnce(&Device) -> M + Send,
    config: &TrainingConfig,
    data: TrainData,
    dir: &Path,
    resume: bool,
    devices: &[Device],
) -> Result<TrainedRun<M>, TrainError> {
    Run::new(config.clone(), dir)
        .on_devices(devices.iter().cloned())
        .resume(resume)
        .train(build, data)
}

/// Takes the lock of the run folder `dir` ([`RunLock`]) after checking that it is one: a
/// folder that holds what a run writes (`train/`, `valid/`, `checkpoint/`) but no
/// `config.json` is refused before anything is written in it, since `--out` pointed at a
/// dataset must not lose them.
pub(crate) fn hold_run_folder(dir: &Path) -> Result<RunLock, TrainError> {
    let present: Vec<&str> = RUN_SUBFOLDERS
        .into_iter()
        .filter(|sub| dir.join(sub).exists())
        .collect();
    if !present.is_empty() && !dir.join("config.json").exists() {
        return Err(TrainError::Config(format!(
            "{} holds {} but is not a cyborg run folder (no config.json): choose another \
             output folder; nothing was deleted",
            dir.display(),
            present.join(", ")
        )));
    }
    RunLock::acquire(dir)
}

/// Refuses to resume with another recipe than the one the run started with (recorded in
/// `config.json`); only the number of epochs may grow.
fn check_same_recipe(path: &Path, config: &TrainingConfig) -> Result<(), TrainError> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let Ok(serde_json::Value::Object(mut before)) = serde_json::from_str(&text) else {
        return Ok(());
    };
    let serde_json::Value::Object(mut now) =
        serde_json::to_value(config).expect("plain data serialises to JSON")
    else {
        return Ok(());
    };
    before.remove("epochs");
    now.remove("epochs");
    let changed: Vec<&str> = now
        .iter()
        .filter(|(key, value)| before.get(*key) != Some(value))
        .map(|(key, _)| key.as_str())
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    Err(TrainError::Config(format!(
        "{}: resuming with another {} than the run started with; resume with the run's own \
         settings (only the number of epochs may change), or start a new run",
        path.display(),
        changed.join(", ")
    )))
}

/// What a run writes in its folder besides files, cleared when a run starts over.
const RUN_SUBFOLDERS: [&str; 5] = [
    "train",
    "valid",
    "checkpoint",
    crate::run_folder::scores::SCORES_FOLDER,
    crate::run_folder::run_file::SETS_FOLDER,
];

/// [`train`] with the settings of `run`, in a folder whose lock the caller holds
/// ([`hold_run_folder`]).
pub(crate) fn train_locked<M: TrainableModel>(
    build: impl FnOnce(&Device) -> M + Send,
    data: TrainData,
    run: &Run,
) -> Result<TrainedRun<M>, TrainError> {
    // Burn's learner recurses deeply in unoptimised builds: run it on a thread with a roomy
    // stack rather than the caller's.
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("cyborg-train".into())
            .stack_size(LEARNER_STACK)
            .spawn_scoped(scope, || train_steps(build, data, run))
            .map_err(io(&run.dir))?;
        worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The steps of a run, in order; each is one function below.
fn train_steps<M: TrainableModel>(
    build: impl FnOnce(&Device) -> M,
    data: TrainData,
    run: &Run,
) -> Result<TrainedRun<M>, TrainError> {
    let (config, dir, devices) = (&run.recipe, run.dir.as_path(), run.devices.as_slice());
    config.validate().map_err(TrainError::Config)?;
    if devices.is_empty() {
        return Err(TrainError::Config(
            "training needs at least one device".into(),
        ));
    }
    let candidates = prepare_folder(dir, config, run.resume)?;
    let devices = training_devices(devices, config);
    let device = &devices[0];
    device.seed(config.seed);
    // `train()` puts a model built on a plain device (or in validation mode) on autodiff, and
    // initialises every lazily initialised parameter now, right after seeding, so the same
    // seed gives the same weights whatever else draws random numbers later. No forward pass
    // here: in training mode it would leave a pending batch-norm statistics update behind,
    // which Burn applies at the next step, over the statistics a resumed checkpoint loaded.
    let net = build(device).train();
    if !net.pools_features() && !config.loss.is_cross_entropy_only() {
        return Err(TrainError::Config(
            "the model's head does not pool its feature maps (a class-token ViT): no CAM \
             explains its logits, so it cannot train with a saliency loss; use cross-entropy \
             alone (CYBORG with alpha 1) or a model with a pooled head (VitPool::PatchMean)"
                .into(),
        ));
    }
    let model =
        CyborgModel::new(net, config.loss.clone()).with_gradient_scale(1.0 / devices.len() as f64);
    let last = resume_point(&model, dir, &candidates)?;
    let steps = steps_per_epoch(data.train.records().len(), devices.len(), config.batch_size);
    let learner = Learner::new(model, optimizer(config), scheduler(config, steps)?);
    let training = supervised_training(
        data,
        config,
        dir,
        last,
        devices,
        run.progress.clone(),
        run.workers,
    );
    let result = training.launch(learner);
    if let Some(error) = result.error {
        return Err(TrainError::Training(error));
    }
    keep_best(result.model, dir)
}

/// Makes `dir` ready for a run and writes the recipe to `dir/config.json`. Returns the epochs
/// to try resuming from (latest first): none unless `resume`, in which case the recipe must be
/// the one the run started with. A run that starts over clears an earlier run's logs and
/// checkpoints ([`hold_run_folder`] checked that the folder is one of ours).
fn prepare_folder(
    dir: &Path,
    config: &TrainingConfig,
    resume: bool,
) -> Result<Vec<usize>, TrainError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let candidates = if resume {
        complete_checkpoints(dir)
    } else {
        Vec::new()
    };
    if resume && candidates.is_empty() {
        tracing::warn!(
            "{}: no complete checkpoint to resume from; starting over",
            dir.display()
        );
    }
    if candidates.is_empty() {
        for sub in RUN_SUBFOLDERS {
            let path = dir.join(sub);
            if path.exists() {
                std::fs::remove_dir_all(&path).map_err(io(&path))?;
            }
        }
    } else {
        check_same_recipe(&dir.join("config.json"), config)?;
    }
    write_json(&dir.join("config.json"), config)?;
    Ok(candidates)
}

/// Every device on autodiff with the same checkpointing: burn-train's multi-device strategy
/// keeps the devices it is given, and mixed strategies cannot meet in one op.
fn training_devices(devices: &[Device], config: &TrainingConfig) -> Vec<Device> {
    devices
        .iter()
        .map(|device| {
            let device = device.clone().autodiff();
            if config.gradient_checkpointing {
                device.gradient_checkpointing()
            } else {
                device
            }
        })
        .collect()
}

/// The epoch to resume from: the latest of `candidates` whose model reads back (a run killed
/// while writing one leaves a truncated file, and the epoch before it, if kept, is the one to
/// continue); `None` to start over.
fn resume_point<M: TrainableModel>(
    model: &CyborgModel<M>,
    dir: &Path,
    candidates: &[usize],
) -> Result<Option<usize>, TrainError> {
    if candidates.is_empty() {
        return Ok(None);
    }
    let readable = candidates.iter().copied().find(|epoch| {
        let path = dir.join("checkpoint").join(format!("model-{epoch}.bpk"));
        let readable = model.clone().try_load_file(&path).is_ok();
        if !readable {
            tracing::warn!("{}: cannot be read, not resuming from it", path.display());
        }
        readable
    });
    match readable {
        Some(epoch) => Ok(Some(epoch)),
        None => Err(TrainError::Config(format!(
            "{}: no checkpoint can be read back; run without --resume to start over (this \
             clears the folder's logs and checkpoints)",
            dir.display()
        ))),
    }
}

/// Optimiser steps per epoch. Burn steps the scheduler once per optimiser step: with N
/// devices, once per N batches (each device iterates its share of the training set).
fn steps_per_epoch(images: usize, devices: usize, batch_size: usize) -> usize {
    images.div_ceil(devices).div_ceil(batch_size).max(1)
}

/// The recipe's optimiser.
fn optimizer(config: &TrainingConfig) -> ModuleOptimizer {
    let weight_decay = |decay: f64| (decay > 0.0).then(|| WeightDecayConfig::new(decay as f32));
    match config.optimizer {
        Optimizer::Sgd {
            momentum,
            weight_decay: decay,
        } => SgdConfig::new()
            .with_momentum(Some(
                MomentumConfig::new()
                    .with_momentum(momentum)
                    .with_dampening(0.0)
                    .with_nesterov(false),
            ))
            .with_weight_decay(weight_decay(decay))
            .init(),
        Optimizer::Adam {
            weight_decay: decay,
        } => AdamConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(weight_decay(decay))
            .init(),
    }
}

/// The recipe's learning-rate schedule, counted in optimiser steps (`steps` per epoch).
fn scheduler(config: &TrainingConfig, steps: usize) -> Result<ModuleLrScheduler, TrainError> {
    match config.schedule {
        Schedule::Constant => Ok(ModuleLrScheduler::from(config.learning_rate)),
        Schedule::Step {
            every_epochs,
            gamma,
        } => StepLrSchedulerConfig::new(config.learning_rate, every_epochs * steps)
            .with_gamma(gamma)
            .init()
            .map_err(TrainError::Config),
        Schedule::Cosine => {
            CosineAnnealingLrSchedulerConfig::new(config.learning_rate, config.epochs * steps)
                .init()
                .map_err(TrainError::Config)
        }
    }
}

/// burn-train's supervised training of `data` in `dir`: the data loaders, the metrics, the
/// checkpointing, and the devices. Resumes after epoch `last` if given.
fn supervised_training<M: TrainableModel>(
    data: TrainData,
    config: &TrainingConfig,
    dir: &Path,
    last: Option<usize>,
    devices: Vec<Device>,
    progress: SharedProgress,
    workers: usize,
) -> SupervisedTraining<CyborgModel<M>> {
    let classes = data.train.classes().len();
    let valid_annotated = data.valid.records().annotated() > 0;
    let batcher = SaliencyBatcher::new(data.image_shape, data.grid);
    // The order of each epoch depends on the seed and the epoch number alone (a resumed run
    // sees the uninterrupted run's order); the loader tells the dataset which epoch starts.
    let train_set = match &config.augment {
        Some(augment) => data.train.with_augmentation(augment.clone()),
        None => data.train,
    }
    .with_shuffle(config.seed);
    // Batches are made on `workers` threads and handed out in order: the same batches in
    // the same order whatever the number.
    let batcher = Arc::new(batcher);
    let loader = |dataset: SaliencyDataset| -> Arc<dyn DataLoader<SaliencyBatch>> {
        Arc::new(OrderedLoader::new(
            Arc::new(dataset),
            batcher.clone(),
            config.batch_size,
            workers,
            Device::default(),
        ))
    };
    let dataloader_train: Arc<dyn DataLoader<SaliencyBatch>> = Arc::new(EpochLoader::new(
        loader(train_set.clone()),
        train_set,
        last.unwrap_or(0) as u64,
    ));
    let dataloader_valid = loader(data.valid);

    // Epochs after the last complete checkpoint may have logs but no checkpoint: not a best.
    let logged: Vec<(usize, f64)> = valid_accuracies(dir)
        .into_iter()
        .filter(|&(epoch, _)| last.is_some_and(|last| epoch <= last))
        .collect();
    let mut training = SupervisedTraining::new(dir, dataloader_train, dataloader_valid)
        .metrics((
            LossTermMetric::new(LossTerm::Total),
            LossTermMetric::new(LossTerm::CrossEntropy),
            AccuracyMetric::new(),
        ))
        .metric_train_numeric(LossTermMetric::new(LossTerm::Saliency))
        .with_default_checkpointers()
        .with_checkpointing_strategy(BestAndLast::resuming(best_of(&logged), last))
        .num_epochs(config.epochs)
        .metric_train_numeric(LearningRateMetric::new())
        .renderer(Box::new(
            EpochLog::new()
                .with_history(dir.join(HISTORY_FILE))
                .with_progress(progress),
        ))
        .with_application_logger(None);
    // The saliency term is only defined where images have maps (the paper's validation set
    // has none); AUROC as the paper scores it, for two classes.
    if valid_annotated {
        training = training.metric_valid_numeric(LossTermMetric::new(LossTerm::Saliency));
    }
    if classes == 2 {
        training = training.metric_valid_numeric(AurocMetric::binary());
    }
    if let Some(epoch) = last {
        training = training.checkpoint(epoch);
    }
    if devices.len() > 1 {
        training = training.with_training_strategy(TrainingStrategy::Default(
            ExecutionStrategy::multi(devices, MultiDeviceOptim::OptimMainDevice),
        ));
    }
    training
}

/// Reads the best epoch's checkpoint back into `model` (the trained one, for its structure),
/// writes it to `dir/best.bpk` and its epoch and accuracy to `dir/best.json`.
fn keep_best<M: TrainableModel>(
    model: CyborgModel<M>,
    dir: &Path,
) -> Result<TrainedRun<M>, TrainError> {
    let (best_epoch, best_percent) = best_of(&valid_accuracies(dir)).ok_or_else(|| {
        TrainError::Config(format!(
            "{}: no validation accuracy was logged",
            dir.display()
        ))
    })?;
    let path = dir
        .join("checkpoint")
        .join(format!("model-{best_epoch}.bpk"));
    let best = model
        .try_load_file(&path)
        .map_err(|source| ModelError::Checkpoint { path, source })?;
    cyborg_models::save_checkpoint(&best.net, dir.join("best.bpk"))?;
    let record = BestRecord {
        epoch: best_epoch,
        valid_accuracy: best_percent / 100.0,
    };
    write_json(&dir.join("best.json"), &record)?;
    Ok(TrainedRun {
        model: best.net,
        best_epoch,
        best_accuracy: best_percent / 100.0,
        dir: dir.to_path_buf(),
    })
}

impl Run {
    /// [`train`] the model `build` makes on `data`.
    ///
    /// # Errors
    /// As [`train`]; no device is a [`TrainError::Config`].
    pub fn train<M: TrainableModel>(
        &self,
        build: impl FnOnce(&Device) -> M + Send,
        data: TrainData,
    ) -> Result<TrainedRun<M>, TrainError> {
        let _lock = hold_run_folder(&self.dir)?;
        train_locked(build, data, self)
    }
}
