//! `cyborg eval`: accuracy, AUC and CAM agreement with human maps on manifest CSVs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use cyborg_data::{SaliencyConfig, SaliencyDataset, read_manifest};
use cyborg_train::{Evaluation, EvaluationConfig, evaluate, feature_grid};

use crate::choices::{AucScoreChoice, BackendArgs};
use crate::error::CliError;
use crate::model::ModelArgs;
use crate::output::write_json;
use crate::progress::Progress;
use crate::test_names::test_set_names;

/// Evaluate a model on one or more manifest CSVs (`image,saliency,label`).
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// A test manifest; repeat for several test sets (each reported by its file stem, with as
    /// many parent folders as it takes to tell same-named files apart).
    #[arg(long = "test", required = true)]
    tests: Vec<PathBuf>,
    /// Images per forward pass.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Two-class AUC score: positive-logit (sigmoid of the class-1 logit, the paper's) or
    /// softmax.
    #[arg(long, value_enum, default_value_t = AucScoreChoice::PositiveLogit)]
    auc_score: AucScoreChoice,
    /// Write DIR/metrics.json.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    backend: BackendArgs,
}

/// Runs `cyborg eval`.
pub fn run(args: &EvalArgs) -> Result<(), CliError> {
    let device = args.backend.device()?;
    if args.batch_size == 0 {
        return Err(CliError::Usage(
            "--batch-size must be positive, got 0".into(),
        ));
    }
    let model_args = args.model.resolve()?;
    let model = model_args.load(&device)?;
    let shape = model_args.image_shape();
    let grid = feature_grid(&model, shape, &device);
    let image = model_args.image_config()?;
    let config = EvaluationConfig::new()
        .with_batch_size(args.batch_size)
        .with_auc_score(args.auc_score.into());
    let mut results = BTreeMap::new();
    for (stem, path) in test_set_names(&args.tests)?.into_iter().zip(&args.tests) {
        let records = read_manifest(path, model_args.classes()?)?;
        check_classes(&records, model_args.num_classes, path)?;
        let dataset = SaliencyDataset::new(records, image.clone(), SaliencyConfig::new(grid));
        let mut progress = Progress::new(&stem);
        let evaluation = evaluate(&model, &dataset, shape, grid, &config, &device, |d, t| {
            progress.update(d, t)
        })?;
        results.insert(stem, evaluation);
    }
    print_table(&results);
    if let Some(out) = &args.out {
        let json = serde_json::json!({ "test": results });
        let path = write_json(out, "metrics.json", &json)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Labels must name classes the model has: a manifest with more classes is a usage error (its
/// labels would index past the model's logits).
pub(crate) fn check_classes(
    records: &cyborg_data::Records,
    num_classes: usize,
    path: &std::path::Path,
) -> Result<(), CliError> {
    if records.classes.len() > num_classes {
        return Err(CliError::Usage(format!(
            "{}: {} classes ({}) but --num-classes is {num_classes}",
            path.display(),
            records.classes.len(),
            records.classes.join(", ")
        )));
    }
    Ok(())
}

/// One row per evaluated set.
pub(crate) fn print_table(results: &BTreeMap<String, Evaluation>) {
    let cell = |x: Option<f64>| x.map_or_else(|| "—".to_string(), |x| format!("{x:.4}"));
    println!(
        "{:<16} {:>7} {:>9} {:>7} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "test set",
        "images",
        "accuracy",
        "AUC",
        "annotated",
        "CAM MSE",
        "Pearson",
        "top IoU",
        "pointing",
        "inside",
        "drop"
    );
    for (name, e) in results {
        println!(
            "{:<16} {:>7} {:>9.4} {:>7} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            name,
            e.images,
            e.accuracy,
            cell(e.auc),
            e.annotated,
            cell(e.cam_mse),
            cell(e.cam_pearson),
            cell(e.cam_top_iou),
            cell(e.pointing_game),
            cell(e.cam_mass_inside),
            cell(e.cam_confidence_drop)
        );
    }
}
