//! `cyborg faithfulness`: which CAM method is most faithful to a model, by ROAD and the
//! confidence drop, on the images of a test manifest.

use std::path::PathBuf;

use burn::prelude::*;
use clap::Args;
use cyborg_cam::{RoadConfig, RoadRemoval, try_road};
use cyborg_data::read_manifest;
use cyborg_models::{CamMethod, ExplainConfig, Target, confidence_drop, try_explain};
use cyborg_train::{Interval, interval95};

use crate::cam::{Methods, method_parser, selected_methods};
use crate::choices::BackendArgs;
use crate::error::CliError;
use crate::images::load_images;
use crate::model::ModelArgs;
use crate::output::write_json;
use crate::progress::Progress;

/// Rank CAM methods by how faithful their maps are to a model: ROAD (remove and debias) and
/// the confidence drop, per method, on a test manifest, with 95 % intervals over its images.
#[derive(Debug, Clone, Args)]
pub struct FaithfulnessArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// The test manifest (`image,saliency,label`): each image is explained for its label.
    #[arg(long)]
    test: PathBuf,
    /// Comma-separated methods, or all.
    #[arg(long, value_delimiter = ',', value_parser = method_parser(), default_value = "all")]
    methods: Vec<Methods>,
    /// At most this many images (the manifest's first).
    #[arg(long)]
    limit: Option<usize>,
    /// Images per forward pass.
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    /// ROAD's percentiles, comma-separated, each in (0, 100): at p, most-relevant-first keeps
    /// the pixels below the map's p-th percentile.
    #[arg(long, value_delimiter = ',', default_values_t = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0])]
    percentiles: Vec<f64>,
    /// Which pixels ROAD removes at percentile p: `rank`, exactly 100 − p % of them (ties by
    /// position), or `threshold`, pytorch-grad-cam's rule (those at or above the p-th
    /// percentile: all of a ReLU map's zeros at once), to reproduce its numbers.
    #[arg(long, value_enum, default_value_t = RemovalChoice::Rank)]
    removal: RemovalChoice,
    /// Share of the pixels (most salient first) the confidence drop replaces by the image's
    /// channel means, in (0, 1].
    #[arg(long, default_value_t = 0.2)]
    drop_fraction: f64,
    /// Seed of ROAD's imputation noise.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Write DIR/faithfulness.json.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    backend: BackendArgs,
}

/// `--removal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RemovalChoice {
    /// Exactly the share of the percentile.
    Rank,
    /// pytorch-grad-cam's threshold.
    Threshold,
}

impl From<RemovalChoice> for RoadRemoval {
    fn from(choice: RemovalChoice) -> Self {
        match choice {
            RemovalChoice::Rank => RoadRemoval::Rank,
            RemovalChoice::Threshold => RoadRemoval::Threshold,
        }
    }
}

/// Per-image measures of one method.
#[derive(Debug, Default)]
struct Measures {
    combined: Vec<f64>,
    most_relevant_first: Vec<f64>,
    least_relevant_first: Vec<f64>,
    confidence_drop: Vec<f64>,
}

/// Runs `cyborg faithfulness`.
pub fn run(args: &FaithfulnessArgs) -> Result<(), CliError> {
    check(args)?;
    let device = args.backend.device()?;
    let model_args = args.model.resolve()?;
    let records = read_manifest(&args.test, model_args.classes()?)?;
    crate::eval::check_classes(&records, model_args.num_classes, &args.test)?;
    let mut items = records.items;
    if let Some(limit) = args.limit {
        items.truncate(limit);
    }
    let model = model_args.load(&device)?;
    let image = model_args.image_config()?;
    let shape = model_args.image_shape();
    let methods = selected_methods(&args.methods);
    let explain_config = ExplainConfig::new().with_upsample(true);
    let mut measures: Vec<Measures> = methods.iter().map(|_| Measures::default()).collect();
    let mut progress = Progress::new("faithfulness");
    let total = items.len() * methods.len();
    for (batch, chunk) in items.chunks(args.batch_size).enumerate() {
        let paths: Vec<PathBuf> = chunk.iter().map(|r| r.image.clone()).collect();
        let images = load_images(&paths, &image, shape, &device)?;
        let labels: Vec<i64> = chunk.iter().map(|r| r.label as i64).collect();
        let target = Target::Classes(Tensor::from_ints(labels.as_slice(), &device));
        let road_config = RoadConfig::new()
            .with_percentiles(args.percentiles.clone())
            .with_removal(args.removal.into())
            .with_seed(args.seed)
            .with_first_image(batch * args.batch_size);
        for (m, &method) in methods.iter().enumerate() {
            let maps = try_explain(&model, images.clone(), method, &target, &explain_config)?;
            let scores = try_road(&model, images.clone(), maps.clone(), &target, &road_config)?;
            let drop = confidence_drop(&model, images.clone(), maps, &target, args.drop_fraction);
            let entry = &mut measures[m];
            entry.combined.extend(scores.combined);
            entry.most_relevant_first.extend(scores.most_relevant_first);
            entry
                .least_relevant_first
                .extend(scores.least_relevant_first);
            entry.confidence_drop.extend(
                drop.into_data()
                    .convert::<f64>()
                    .iter::<f64>()
                    .collect::<Vec<_>>(),
            );
            let done = (batch * args.batch_size) * methods.len() + (m + 1) * chunk.len();
            progress.update(done.min(total), total);
        }
    }
    let summary: Vec<(CamMethod, [Interval; 4])> = methods
        .iter()
        .zip(&measures)
        .map(|(method, m)| {
            let intervals = [
                interval95(&m.combined),
                interval95(&m.most_relevant_first),
                interval95(&m.least_relevant_first),
                interval95(&m.confidence_drop),
            ];
            (*method, intervals)
        })
        .collect();
    print_table(&summary, items.len());
    if let Some(out) = &args.out {
        let names = [
            "road_combined",
            "road_most_relevant_first",
            "road_least_relevant_first",
            "confidence_drop",
        ];
        let methods: serde_json::Map<String, serde_json::Value> = summary
            .iter()
            .map(|(method, intervals)| {
                let fields = names
                    .iter()
                    .zip(intervals)
                    .map(|(name, i)| {
                        let value =
                            serde_json::json!({"mean": i.mean, "low": i.low, "high": i.high});
                        (name.to_string(), value)
                    })
                    .collect::<serde_json::Map<_, _>>();
                (method.name().to_string(), serde_json::Value::Object(fields))
            })
            .collect();
        let json = serde_json::json!({
            "test": args.test.display().to_string(),
            "images": items.len(),
            "percentiles": args.percentiles,
            "removal": format!("{:?}", args.removal).to_lowercase(),
            "drop_fraction": args.drop_fraction,
            "methods": methods,
        });
        let path = write_json(out, "faithfulness.json", &json)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Usage errors before anything is loaded.
fn check(args: &FaithfulnessArgs) -> Result<(), CliError> {
    let usage = |message: String| Err(CliError::Usage(message));
    if args.batch_size == 0 {
        return usage("--batch-size must be positive, got 0".into());
    }
    if args.limit == Some(0) {
        return usage("--limit must be positive, got 0".into());
    }
    if let Some(p) = args
        .percentiles
        .iter()
        .find(|p| !(**p > 0.0 && **p < 100.0))
    {
        return usage(format!("--percentiles must be in (0, 100), got {p}"));
    }
    if !(args.drop_fraction > 0.0 && args.drop_fraction <= 1.0) {
        return usage(format!(
            "--drop-fraction must be in (0, 1], got {}",
            args.drop_fraction
        ));
    }
    Ok(())
}

/// One row per method, the most faithful by ROAD first.
fn print_table(summary: &[(CamMethod, [Interval; 4])], images: usize) {
    let mut rows: Vec<&(CamMethod, [Interval; 4])> = summary.iter().collect();
    rows.sort_by(|a, b| b.1[0].mean.total_cmp(&a.1[0].mean));
    println!(
        "{images} images; mean [95 % bootstrap interval over images]. ROAD: higher combined, \
         lower most-relevant-first and higher least-relevant-first are more faithful; a larger \
         confidence drop is more faithful."
    );
    println!(
        "{:<22} {:>26} {:>26} {:>26} {:>26}",
        "method",
        "ROAD combined",
        "ROAD most relevant first",
        "ROAD least relevant first",
        "confidence drop"
    );
    for (method, [combined, morf, lerf, drop]) in rows {
        println!(
            "{:<22} {:>26} {:>26} {:>26} {:>26}",
            method.label(),
            combined.to_string(),
            morf.to_string(),
            lerf.to_string(),
            drop.to_string()
        );
    }
}
