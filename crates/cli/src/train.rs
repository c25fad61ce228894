//! `cyborg train`: train a backbone with the CYBORG loss on manifest CSVs, then evaluate the
//! best model on the validation and test sets.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use cyborg_data::{AugmentConfig, CyborgSplit, Records, read_cyborg_csv, read_manifest};
use cyborg_train::{Experiment, Run, SaliencyLossConfig, TrainingConfig, feature_grid};

use crate::choices::{BackendArgs, ClassChoice, LossChoice, OptimizerChoice, ScheduleChoice};
use crate::error::CliError;
use crate::eval::print_table;
use crate::model::ModelArgs;
use crate::progress::{Progress, TrainingBars};
use crate::test_names::test_set_names;

/// Train with the CYBORG loss (defaults: the paper's recipe), keep the best model by
/// validation accuracy, evaluate it.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Training manifest (`image,saliency,label`); its labels define the classes.
    #[arg(long)]
    train: PathBuf,
    /// Validation manifest (model selection).
    #[arg(long)]
    val: PathBuf,
    /// Test manifest(s), evaluated with the best model, reported by file stem (with as many
    /// parent folders as it takes to tell same-named files apart).
    #[arg(long = "test")]
    tests: Vec<PathBuf>,
    /// Read --train/--val/--test as CSVs of the CYBORG paper's layout (`split,class,path`
    /// without header, paths relative to ROOT; classes Real = 0, Synthetic = 1).
    #[arg(long, value_name = "ROOT")]
    cyborg_layout: Option<PathBuf>,
    /// With --cyborg-layout: the folder (relative to ROOT) of the training images' human maps,
    /// named like the images.
    #[arg(long, default_value = "heatmaps")]
    heatmaps: PathBuf,
    /// The loss (cyborg: the paper's; masked, energy, l1: cross-entropy plus --lambda times a
    /// penalty on the CAM outside the human map; see docs/training.md).
    #[arg(long, value_enum, default_value_t = LossChoice::Cyborg)]
    loss: LossChoice,
    /// --loss cyborg: weight of cross-entropy, 1 is plain cross-entropy [default: 0.5, the
    /// paper's].
    #[arg(long)]
    alpha: Option<f64>,
    /// --loss cyborg: explain the label's class (the paper) or the predicted one in the loss
    /// [default: label].
    #[arg(long, value_enum)]
    cam_class: Option<ClassChoice>,
    /// --loss masked, energy or l1: weight of the penalty added to cross-entropy [default: 1].
    #[arg(long)]
    lambda: Option<f64>,
    /// The same as --loss masked --lambda LAMBDA.
    #[arg(long, value_name = "LAMBDA", conflicts_with_all = ["alpha", "cam_class", "loss", "lambda"])]
    masked: Option<f64>,
    /// Epochs.
    #[arg(long, default_value_t = 50)]
    epochs: usize,
    /// Images per step.
    #[arg(long, default_value_t = 20)]
    batch_size: usize,
    /// Initial learning rate.
    #[arg(long, default_value_t = 0.005)]
    lr: f64,
    /// The optimizer.
    #[arg(long, value_enum, default_value_t = OptimizerChoice::Sgd)]
    optimizer: OptimizerChoice,
    /// The learning rate over the epochs.
    #[arg(long, value_enum, default_value_t = ScheduleChoice::Step)]
    schedule: ScheduleChoice,
    /// Seed of weights and shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The run folder: config.json, checkpoints, logs, best.bpk, metrics.json.
    #[arg(long)]
    out: PathBuf,
    /// Continue a killed run in --out from its last complete checkpoint.
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    backend: BackendArgs,
    /// Train data-parallel on this many devices of --backend (GPUs 0..N of wgpu or cuda): each
    /// takes --batch-size images from its share of the data, one step averages their
    /// gradients (an effective batch of N × --batch-size).
    #[arg(long, default_value_t = 1)]
    devices: usize,
    /// Threads that decode, resize and augment the batches while the model trains. The
    /// batches and their order do not depend on it, so neither does the trained model.
    #[arg(long, default_value_t = cyborg_train::DEFAULT_WORKERS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    workers: usize,
    /// Recompute cheap intermediate results in the backward pass instead of keeping them:
    /// less memory (DenseNet-121's step: see docs/benchmarks.md), a slower step.
    #[arg(long)]
    gradient_checkpointing: bool,
    /// Augment the training images and their maps together: a horizontal flip with
    /// probability 0.5 and a random square crop (see --min-crop), drawn from --seed, the epoch
    /// and the image.
    #[arg(long)]
    augment: bool,
    /// --augment: the smallest crop, as a fraction of the image side (1 = no crop).
    #[arg(long, default_value_t = 0.85, requires = "augment")]
    min_crop: f64,
}

impl TrainArgs {
    fn recipe(&self) -> Result<TrainingConfig, CliError> {
        let config = TrainingConfig::paper().with_loss(self.loss_config()?);
        let config = config
            .with_learning_rate(self.lr)
            .with_optimizer(self.optimizer.into())
            .with_schedule(self.schedule.into())
            .with_batch_size(self.batch_size)
            .with_epochs(self.epochs)
            .with_seed(self.seed)
            .with_gradient_checkpointing(self.gradient_checkpointing)
            .with_augment(self.augment.then(|| {
                AugmentConfig::new()
                    .with_min_crop(self.min_crop)
                    .with_seed(self.seed)
            }));
        config.validate().map_err(usage)?;
        Ok(config)
    }
}

impl TrainArgs {
    /// The loss that --loss, --alpha, --cam-class, --lambda and --masked describe; a flag that
    /// does not apply to the chosen loss is refused rather than ignored.
    fn loss_config(&self) -> Result<SaliencyLossConfig, CliError> {
        let (loss, lambda) = match self.masked {
            Some(lambda) => (LossChoice::Masked, Some(lambda)),
            None => (self.loss, self.lambda),
        };
        let name = loss.to_possible_value().expect("no loss is skipped");
        if let Some(weighted) = loss.weighted(lambda.unwrap_or(1.0)) {
            if self.alpha.is_some() || self.cam_class.is_some() {
                return Err(usage(format!(
                    "--alpha and --cam-class apply to --loss cyborg, not {}: its weight is \
                     --lambda",
                    name.get_name()
                )));
            }
            return Ok(weighted);
        }
        if lambda.is_some() {
            return Err(usage(
                "--lambda applies to --loss masked, energy or l1; CYBORG's weight is --alpha"
                    .into(),
            ));
        }
        let config = TrainingConfig::paper()
            .with_alpha(self.alpha.unwrap_or(0.5))
            .with_cam_class(self.cam_class.unwrap_or(ClassChoice::Label).into());
        Ok(config.loss)
    }
}

fn usage(message: String) -> CliError {
    CliError::Usage(message)
}

/// Runs `cyborg train`.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    if args.model.run.is_some() {
        return Err(CliError::Usage(
            "--run reads a trained model (cyborg eval, cyborg cam); cyborg train writes its run \
             folder to --out"
                .into(),
        ));
    }
    let devices = args.backend.devices(args.devices)?;
    let device = devices[0].clone();
    let recipe = args.recipe()?;
    let train_records = match &args.cyborg_layout {
        Some(root) => read_cyborg_csv(&args.train, root, &args.heatmaps, CyborgSplit::Train)?,
        None => read_manifest(&args.train, None)?,
    };
    let classes = train_records.classes.clone();
    let same_classes = |path: &PathBuf| -> Result<Records, CliError> {
        Ok(match &args.cyborg_layout {
            Some(root) => read_cyborg_csv(path, root, &args.heatmaps, CyborgSplit::Test)?,
            None => read_manifest(path, Some(classes.clone()))?,
        })
    };
    let valid_records = same_classes(&args.val)?;
    let tests = test_set_names(&args.tests)?
        .into_iter()
        .zip(&args.tests)
        .map(|(name, path)| Ok((name, same_classes(path)?)))
        .collect::<Result<Vec<_>, CliError>>()?;
    let model_args = ModelArgs {
        num_classes: classes.len().max(2),
        ..args.model.clone()
    };
    let architecture = model_args.architecture()?;
    device.seed(recipe.seed);
    let net = model_args.build(&device)?;
    let shape = model_args.image_shape();
    let grid = feature_grid(&net, shape, &device);
    println!(
        "{}: {} classes, {} training / {} validation images, CAM grid {}×{}, run folder {}",
        architecture,
        classes.len(),
        train_records.len(),
        valid_records.len(),
        grid[0],
        grid[1],
        args.out.display()
    );
    let description = model_args.describe(classes.clone())?;
    let experiment = Experiment {
        train: train_records,
        val: valid_records,
        tests,
        image: model_args.image_config()?,
        grid,
    };
    let mut progress: Option<(String, Progress)> = None;
    let report = Run::new(recipe, &args.out)
        .on_devices(devices)
        .workers(args.workers)
        .resume(args.resume)
        .progress(TrainingBars::new())
        .experiment_with_progress(
            |_| net,
            experiment,
            |name, done, total| {
                if progress.as_ref().is_none_or(|(current, _)| current != name) {
                    progress = Some((name.to_string(), Progress::new(name)));
                }
                if let Some((_, bar)) = progress.as_mut() {
                    bar.update(done, total);
                }
            },
        )
        .map_err(|e| CliError::Train(Box::new(e)))?;
    crate::output::write_json(
        &args.out,
        "model.json",
        &serde_json::to_value(&description).expect("plain data serialises to JSON"),
    )?;
    println!(
        "best epoch {}; model in {}",
        report.best_epoch,
        args.out.join("best.bpk").display()
    );
    let mut table = BTreeMap::new();
    table.insert("val".to_string(), report.val.clone());
    for (name, evaluation) in &report.test {
        table.insert(format!("test: {name}"), evaluation.clone());
    }
    print_table(&table);
    println!(
        "wrote {}, history.csv and scores/",
        args.out.join("metrics.json").display()
    );
    for picture in cyborg_train::draw_run_pictures(&args.out)? {
        println!("wrote {}", picture.display());
    }
    if let Some(picture) = crate::plot::draw_run_cams(&args.out, &args.backend)? {
        println!("wrote {}", picture.display());
    }
    let report = args.out.join(cyborg_train::REPORT_FILE);
    crate::report::write(std::slice::from_ref(&args.out), &report, 8, &args.backend)?;
    println!("wrote {}", report.display());
    Ok(())
}
