//! A whole experiment: train on one set of records, select on another, evaluate the best
//! model on the validation set and every test set, and write `metrics.json` in the run folder.

use std::collections::BTreeMap;
use std::path::Path;

use burn::prelude::*;
use cyborg_data::{ImageConfig, Records, SaliencyConfig, SaliencyDataset};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::evaluation::evaluate::{Evaluation, EvaluationConfig, evaluate_scored};
use crate::run_folder::run_file::{CLASSES_FILE, SETS_FOLDER};
use crate::run_folder::scores::{SCORES_FOLDER, scores_file_name, scores_of, write_scores};
use crate::training::recipe::TrainingConfig;
use crate::training::run::Run;
use crate::training::step::TrainableModel;
use crate::training::trainer::{TrainData, hold_run_folder, train_locked, write_json};

/// The data of an experiment, as records (decoded on demand).
#[derive(Debug, Clone)]
pub struct Experiment {
    /// Training images (with human maps where annotated).
    pub train: Records,
    /// Validation images: model selection by accuracy.
    pub val: Records,
    /// Test sets by name, each evaluated with the best model.
    pub tests: Vec<(String, Records)>,
    /// How images are decoded for the model.
    pub image: ImageConfig,
    /// The CAM grid `[h, w]` of the model at that input size.
    pub grid: [usize; 2],
}

/// What [`run_experiment`] reports and writes to `metrics.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExperimentReport {
    /// The epoch of the model kept (best validation accuracy, later epoch on ties).
    pub best_epoch: usize,
    /// The validation set, evaluated with that model.
    pub val: Evaluation,
    /// Each test set by name.
    pub test: BTreeMap<String, Evaluation>,
}

/// Trains with [`train`](crate::train), then evaluates the best model on the validation and test sets
/// (`progress(set, done, total)` reports the evaluation), and writes the report to
/// `dir/metrics.json` (`{"best_epoch", "val": {...}, "test": {"<name>": {...}}}`) and the
/// training set's class names to `dir/classes.json`, each set's per-image scores to
/// `dir/scores/val.csv` and `dir/scores/test-<name>.csv` ([`write_scores`]), and the sets
/// themselves as manifests to `dir/sets/val.csv` and `dir/sets/test-<name>.csv`. `devices` as in
/// [`train`](crate::train); the evaluation runs on the first. The run holds `dir` from start to
/// `metrics.json` ([`RunLock`](crate::RunLock)); test sets must have distinct names.
pub fn run_experiment<M: TrainableModel>(
    build: impl FnOnce(&Device) -> M + Send,
    recipe: &TrainingConfig,
    experiment: Experiment,
    dir: &Path,
    resume: bool,
    devices: &[Device],
    progress: impl FnMut(&str, usize, usize),
) -> Result<ExperimentReport, TrainError> {
    Run::new(recipe.clone(), dir)
        .on_devices(devices.iter().cloned())
        .resume(resume)
        .experiment_with_progress(build, experiment, progress)
}

/// Writes `records` as a manifest at `path` with absolute paths (a manifest's relative paths
/// are read against its own folder).
fn write_set(path: &Path, records: &Records) -> Result<(), TrainError> {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let records = Records {
        items: records
            .items
            .iter()
            .map(|r| cyborg_data::Record {
                image: absolute(&r.image),
                saliency: r.saliency.as_deref().map(absolute),
                label: r.label,
            })
            .collect(),
        classes: records.classes.clone(),
    };
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|source| TrainError::Io {
        path: parent.to_path_buf(),
        source,
    })?;
    cyborg_data::write_manifest(path, &records)?;
    Ok(())
}

/// [`run_experiment`] with the settings of `run`.
pub(crate) fn run_and_evaluate<M: TrainableModel>(
    build: impl FnOnce(&Device) -> M + Send,
    experiment: Experiment,
    run: &Run,
    mut progress: impl FnMut(&str, usize, usize),
) -> Result<ExperimentReport, TrainError> {
    let mut names: Vec<&str> = experiment.tests.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(TrainError::Config(format!(
            "two test sets are named {:?}: each needs its own name in metrics.json",
            pair[0]
        )));
    }
    let dir = run.dir.as_path();
    let _lock = hold_run_folder(dir)?;
    let image_shape = [
        experiment.image.channels,
        experiment.image.height,
        experiment.image.width,
    ];
    let dataset = |records: Records| {
        SaliencyDataset::new(
            records,
            experiment.image.clone(),
            SaliencyConfig::new(experiment.grid),
        )
        .with_map_cache()
    };
    let data = TrainData {
        train: dataset(experiment.train.clone()),
        valid: dataset(experiment.val.clone()),
        image_shape,
        grid: experiment.grid,
    };
    let trained = train_locked(build, data, run)?;
    let config = EvaluationConfig::new().with_batch_size(run.recipe.batch_size);
    // Each set's per-image scores go to scores/<file>, the set itself to sets/<file> (so
    // pictures of the best model can be drawn again from the folder alone); <file> is
    // val.csv or test-<name>.csv.
    let (scores_dir, sets_dir) = (dir.join(SCORES_FOLDER), dir.join(SETS_FOLDER));
    let mut evaluate_on = |name: &str, file: String, records: &Records| {
        let (evaluation, values) = evaluate_scored(
            &trained.model,
            &dataset(records.clone()),
            image_shape,
            experiment.grid,
            &config,
            &run.devices[0],
            |done, total| progress(name, done, total),
        )?;
        write_scores(&scores_dir.join(&file), &scores_of(records, values))
            .map_err(|e| TrainError::Scores(Box::new(e)))?;
        write_set(&sets_dir.join(&file), records)?;
        Ok::<_, TrainError>(evaluation)
    };
    let val = evaluate_on("val", "val.csv".into(), &experiment.val)?;
    let mut test = BTreeMap::new();
    for (name, records) in &experiment.tests {
        let file = format!("test-{}", scores_file_name(name));
        test.insert(name.clone(), evaluate_on(name, file, records)?);
    }
    // The class names, so evaluating the best model later maps labels the same way.
    write_json(&dir.join(CLASSES_FILE), &experiment.train.classes)?;
    let report = ExperimentReport {
        best_epoch: trained.best_epoch,
        val,
        test,
    };
    write_json(&dir.join("metrics.json"), &report)?;
    Ok(report)
}

impl Run {
    /// [`run_experiment`] with the model `build` makes, without progress reports.
    ///
    /// # Errors
    /// As [`run_experiment`]; no device is a [`TrainError::Config`].
    pub fn experiment<M: TrainableModel>(
        &self,
        build: impl FnOnce(&Device) -> M + Send,
        experiment: Experiment,
    ) -> Result<ExperimentReport, TrainError> {
        self.experiment_with_progress(build, experiment, |_, _, _| {})
    }

    /// [`run_experiment`] with the model `build` makes; `progress(set, done, total)` reports
    /// the evaluation.
    ///
    /// # Errors
    /// As [`run_experiment`]; no device is a [`TrainError::Config`].
    pub fn experiment_with_progress<M: TrainableModel>(
        &self,
        build: impl FnOnce(&Device) -> M + Send,
        experiment: Experiment,
        progress: impl FnMut(&str, usize, usize),
    ) -> Result<ExperimentReport, TrainError> {
        run_and_evaluate(build, experiment, self, progress)
    }
}
