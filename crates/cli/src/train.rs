//! `cyborg train`: train a backbone with the CYBORG loss on manifest CSVs, then evaluate the
//! best model on the validation and test sets.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use cyborg_cam::CamClass;
use cyborg_data::{Records, SaliencyConfig, SaliencyDataset, read_manifest};
use cyborg_train::{
    EvaluationConfig, Optimizer, Schedule, TrainData, TrainingConfig, evaluate, feature_grid, train,
};

use crate::error::CliError;
use crate::eval::{print_table, stem};
use crate::model::{ModelArgs, device};
use crate::output::write_json;
use crate::progress::Progress;

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
    /// Test manifest(s), evaluated with the best model, reported by file stem.
    #[arg(long = "test")]
    tests: Vec<PathBuf>,
    /// Weight of cross-entropy: 1 is plain cross-entropy, 0.5 the paper's CYBORG.
    #[arg(long, default_value_t = 0.5)]
    alpha: f64,
    /// Explain the label's class (the paper) or the predicted one in the loss.
    #[arg(long, default_value = "label")]
    cam_class: String,
    /// Epochs.
    #[arg(long, default_value_t = 50)]
    epochs: usize,
    /// Images per step.
    #[arg(long, default_value_t = 20)]
    batch_size: usize,
    /// Initial learning rate.
    #[arg(long, default_value_t = 0.005)]
    lr: f64,
    /// sgd (momentum 0.9, weight decay 1e-6) or adam.
    #[arg(long, default_value = "sgd")]
    optimizer: String,
    /// step (×0.1 every 12 epochs), cosine or constant.
    #[arg(long, default_value = "step")]
    schedule: String,
    /// Seed of weights, shuffling and augmentation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The run folder: config.json, checkpoints, logs, best.bpk, metrics.json.
    #[arg(long)]
    out: PathBuf,
    /// Continue a killed run in --out from its last complete checkpoint.
    #[arg(long)]
    resume: bool,
    /// flex, wgpu or cuda (among those compiled in).
    #[arg(long, default_value = "flex")]
    backend: String,
}

impl TrainArgs {
    fn recipe(&self) -> Result<TrainingConfig, CliError> {
        let optimizer = match self.optimizer.as_str() {
            "sgd" => Optimizer::Sgd {
                momentum: 0.9,
                weight_decay: 1e-6,
            },
            "adam" => Optimizer::Adam { weight_decay: 0.0 },
            other => {
                return Err(usage(format!(
                    "--optimizer must be sgd or adam, got {other:?}"
                )));
            }
        };
        let schedule = match self.schedule.as_str() {
            "step" => Schedule::Step {
                every_epochs: 12,
                gamma: 0.1,
            },
            "cosine" => Schedule::Cosine,
            "constant" => Schedule::Constant,
            other => {
                return Err(usage(format!(
                    "--schedule must be step, cosine or constant, got {other:?}"
                )));
            }
        };
        let cam_class = match self.cam_class.as_str() {
            "label" => CamClass::Label,
            "predicted" => CamClass::Predicted,
            other => {
                return Err(usage(format!(
                    "--cam-class must be label or predicted, got {other:?}"
                )));
            }
        };
        let config = TrainingConfig::paper()
            .with_alpha(self.alpha)
            .with_cam_class(cam_class)
            .with_learning_rate(self.lr)
            .with_optimizer(optimizer)
            .with_schedule(schedule)
            .with_batch_size(self.batch_size)
            .with_epochs(self.epochs)
            .with_seed(self.seed);
        config.validate().map_err(usage)?;
        Ok(config)
    }
}

fn usage(message: String) -> CliError {
    CliError::Usage(message)
}

/// Runs `cyborg train`.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    let device = device(&args.backend)?;
    let recipe = args.recipe()?;
    let train_records = read_manifest(&args.train, None)?;
    let classes = train_records.classes.clone();
    let same_classes = |path: &PathBuf| -> Result<Records, CliError> {
        Ok(read_manifest(path, Some(classes.clone()))?)
    };
    let valid_records = same_classes(&args.val)?;
    let tests = args
        .tests
        .iter()
        .map(|path| Ok((stem(path), same_classes(path)?)))
        .collect::<Result<Vec<_>, CliError>>()?;
    let model_args = ModelArgs {
        num_classes: classes.len().max(2),
        ..args.model.clone()
    };
    device.seed(recipe.seed);
    let net = model_args.build(&device)?;
    let shape = model_args.image_shape();
    let grid = feature_grid(&net, shape, &device);
    let image = model_args.image_config()?;
    let dataset = |records: Records| {
        SaliencyDataset::new(records, image.clone(), SaliencyConfig::new(grid)).with_map_cache()
    };
    println!(
        "{}: {} classes, {} training / {} validation images, CAM grid {}×{}, run folder {}",
        model_args.model,
        classes.len(),
        train_records.len(),
        valid_records.len(),
        grid[0],
        grid[1],
        args.out.display()
    );
    let data = TrainData {
        train: dataset(train_records),
        valid: dataset(valid_records.clone()),
        image_shape: shape,
        grid,
    };
    let run = train(|_| net, &recipe, data, &args.out, args.resume, &device)
        .map_err(|e| CliError::Train(Box::new(e)))?;
    println!(
        "best epoch {} (validation accuracy {:.4}); model in {}",
        run.best_epoch,
        run.best_accuracy,
        args.out.join("best.bpk").display()
    );

    let inference = device.clone();
    let model = run.model;
    let config = EvaluationConfig::new().with_batch_size(args.batch_size.max(1));
    let evaluate_on = |name: &str, records: Records| {
        let mut progress = Progress::new(name);
        evaluate(
            &model,
            &dataset(records),
            shape,
            grid,
            &config,
            &inference,
            |d, t| progress.update(d, t),
        )
    };
    let val = evaluate_on("val", valid_records)?;
    let mut test = BTreeMap::new();
    for (name, records) in tests {
        let evaluation = evaluate_on(&name, records)?;
        test.insert(name, evaluation);
    }
    let mut table = BTreeMap::new();
    table.insert("val".to_string(), val.clone());
    for (name, evaluation) in &test {
        table.insert(format!("test: {name}"), evaluation.clone());
    }
    print_table(&table);
    let json = serde_json::json!({ "val": val, "test": test, "best_epoch": run.best_epoch });
    let path = write_json(&args.out, "metrics.json", &json)?;
    println!("wrote {}", path.display());
    Ok(())
}
