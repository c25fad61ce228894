//! cargo run --release --example guidance_benchmark
//!
//! The guidance benchmark: every loss of the family on four tasks with a planted shortcut
//! (one of them with a ViT), over several seeds, each task with its clean ceiling
//! (cross-entropy trained without the shortcut). About 31 minutes on two CPU cores with the defaults (5 seeds, 200 runs);
//! `--seeds 2` for a 10-minute look, `--tasks` and `--losses` for less.
//!
//! Tasks (`--tasks`):
//! - `shortcut`: the shipped shortcut task at 16×16 (`cyborg::data::ShortcutTaskConfig`; a
//!   bright square codes the class in training, at random in the test), the small CNN at
//!   width 4, 10 epochs, batch 32; the human map marks the bar. Data drawn per seed.
//! - `shortcut-vit`: the same data and recipe, a small ViT (4×4-pixel patches, width 32, two
//!   blocks of two heads, the head on the mean of the patch tokens: a 4×4 CAM grid as the
//!   CNN's).
//! - `decoy`: Decoy Fashion-MNIST with a class texture (`cyborg::data::DecoyPatch::Texture`,
//!   a 4×4 black-and-white pattern per class in a random corner; at test time the pattern of
//!   a random class), 2,000 training, 1,000 validation and 1,000 test images, the small CNN
//!   at width 8, 10 epochs, batch 64; the human map is the garment's silhouette.
//! - `decoy-boxes`: the same images, the human map the garment's bounding box, written to a
//!   box CSV and read back the way a user's boxes are (`cyborg::data::read_box_csv`,
//!   `attach_annotation_maps`, hard masks).
//!
//! The decoy tasks read Fashion-MNIST (`apt-get install dataset-fashion-mnist`, or
//! `--fashion-mnist DIR`) and are skipped with a note where it is missing.
//!
//! Losses (`--losses`; see `examples/support/study_loss.rs`): the penalties of masked, energy
//! and l1 run once per weight in `--lambdas` (default 0.3 and 1). Every run uses Adam 0.005 and keeps the best validation
//! epoch (validation images carry the shortcut, as a user's would).
//!
//! For each task and loss, over seeds, mean with a 95 % percentile-bootstrap interval:
//! accuracy where the shortcut misleads, the share of the cross-entropy → ceiling gap closed
//! there (seed by seed; only where cross-entropy is at least 5 points under the ceiling on
//! every seed), accuracy on the clean test images (no shortcut) and its cost against the
//! ceiling, and CAM agreement (the share of the label's min-max normalised CAM inside the
//! human region, map ≥ 0.5, on the test images where the shortcut misleads). Then, per task, whether the
//! best guided loss meets the target (≥ 95 % of the gap closed, the interval's lower end
//! ≥ 90 %, at most one point of clean accuracy lost).
//!
//! Writes under `--out` (default `target/guidance_benchmark`): `results.md` (the tables),
//! `results.json` (every run's report), `benchmark.png` (the three measures as dot-and-whisker
//! panels, one line per task), the data and the run folders.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use burn::prelude::*;
use clap::{Parser, ValueEnum};
use cyborg::cam::save_png;
use cyborg::data::{DecoyConfig, DecoyPatch, MnistFiles, Records, ShortcutTaskConfig};
use cyborg::models::{Backbone, SmallCnnConfig, VitConfig};
use cyborg::train::{
    ALL_TEST_IMAGES, CLEAN_TEST, DECOY_TEST, DecoyExperiments, DecoyTaskConfig, Experiment,
    ExperimentReport, Interval, IntervalPanel, IntervalRow, Run, SQUARE_MISLEADS, TrainingConfig,
    decoy_experiments, feature_grid, gap_closed, interval_chart_picture, interval95, mean_and_std,
    shortcut_experiment, write_json,
};

#[path = "support/box_maps.rs"]
mod box_maps;
#[path = "support/study_loss.rs"]
mod study_loss;

use box_maps::box_maps;

use study_loss::Loss;

/// The clean-test name of the shortcut task: its test images without the square.
const NO_SQUARE: &str = "no square";
/// The ViT task's patch side (a 4×4 CAM grid at 16×16, as the CNN's).
const VIT_PATCH: usize = 4;
/// The ViT task's epochs (10 left the ceiling untrained).
const VIT_EPOCHS: usize = 30;
/// The ViT task's Adam learning rate (0.005 did not train the ceiling).
const VIT_LR: f64 = 0.001;
/// Cross-entropy must be this far under the ceiling on every seed for a gap to be shared.
const MIN_GAP: f64 = 0.05;

/// Every guided loss on four shortcut tasks, over seeds, against the clean ceiling.
#[derive(Debug, Parser)]
struct Args {
    /// The tasks, in the report's order.
    #[arg(long, value_delimiter = ',', default_values_t = [TaskKind::Shortcut, TaskKind::ShortcutVit, TaskKind::Decoy, TaskKind::DecoyBoxes])]
    tasks: Vec<TaskKind>,
    /// The losses besides cross-entropy and the ceiling (which always run).
    #[arg(long, value_delimiter = ',', default_values_t = [Loss::Cyborg, Loss::Contrast, Loss::Masked, Loss::Energy, Loss::L1])]
    losses: Vec<Loss>,
    /// Weights of the penalty of masked, energy and l1: each runs once per weight.
    #[arg(long, value_delimiter = ',', default_values_t = [0.3, 1.0])]
    lambdas: Vec<f64>,
    /// Seeds per task and loss (0, 1, …); at least 2 for an interval, 5 for the benchmark.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(2..))]
    seeds: u64,
    /// The folder of Fashion-MNIST's IDX files.
    #[arg(long, default_value = "/usr/share/datasets/fashion-mnist")]
    fashion_mnist: PathBuf,
    /// Where results, pictures, data and run folders go.
    #[arg(long, default_value = "target/guidance_benchmark")]
    out: PathBuf,
}

/// A task of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Ord, PartialOrd, ValueEnum)]
enum TaskKind {
    /// The shipped shortcut task, 16×16, small CNN at width 4.
    Shortcut,
    /// The same data, a small ViT (4×4 patches, width 32, two blocks of two heads, patch-mean
    /// head: the same 4×4 CAM grid as the CNN's).
    ShortcutVit,
    /// Decoy Fashion-MNIST with class textures, garment silhouettes as human maps.
    Decoy,
    /// The same, garment bounding boxes as human maps.
    DecoyBoxes,
}

impl std::fmt::Display for TaskKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = self.to_possible_value().expect("no variant is skipped");
        f.write_str(value.get_name())
    }
}

impl TaskKind {
    fn title(self) -> &'static str {
        match self {
            TaskKind::Shortcut => "shortcut task, 16x16",
            TaskKind::ShortcutVit => "shortcut task, 16x16, ViT",
            TaskKind::Decoy => "Decoy Fashion-MNIST, silhouettes",
            TaskKind::DecoyBoxes => "Decoy Fashion-MNIST, boxes",
        }
    }

    /// The name in the chart's panel titles (ASCII, short).
    fn short(self) -> &'static str {
        match self {
            TaskKind::Shortcut => "shortcut",
            TaskKind::ShortcutVit => "shortcut ViT",
            TaskKind::Decoy => "decoy",
            TaskKind::DecoyBoxes => "decoy boxes",
        }
    }

    /// The test sets where the shortcut misleads and without it.
    fn tests(self) -> (&'static str, &'static str) {
        match self {
            TaskKind::Shortcut | TaskKind::ShortcutVit => (SQUARE_MISLEADS, NO_SQUARE),
            TaskKind::Decoy | TaskKind::DecoyBoxes => (DECOY_TEST, CLEAN_TEST),
        }
    }

    /// The task's model, freshly initialised on `device`.
    fn build(self, device: &Device) -> Backbone {
        match self {
            TaskKind::Shortcut => {
                Backbone::SmallCnn(SmallCnnConfig::new(2).with_width(4).init(device))
            }
            TaskKind::ShortcutVit => Backbone::Vit(
                VitConfig::new(2)
                    .with_channels(1)
                    .with_image_size(16)
                    .with_patch_size(VIT_PATCH)
                    .with_embed_dim(32)
                    .with_depth(2)
                    .with_num_heads(2)
                    .init(device),
            ),
            TaskKind::Decoy | TaskKind::DecoyBoxes => {
                Backbone::SmallCnn(SmallCnnConfig::new(10).with_width(8).init(device))
            }
        }
    }

    /// The shortcut task's data (both models), or Fashion-MNIST's.
    fn shortcut(self) -> bool {
        matches!(self, TaskKind::Shortcut | TaskKind::ShortcutVit)
    }

    fn recipe(self, entry: &Entry, seed: u64) -> TrainingConfig {
        let (epochs, batch) = match self {
            TaskKind::Shortcut => (10, 32),
            TaskKind::ShortcutVit => (VIT_EPOCHS, 32),
            TaskKind::Decoy | TaskKind::DecoyBoxes => (10, 64),
        };
        let recipe = TrainingConfig::from_scratch();
        let learning_rate = match self {
            TaskKind::ShortcutVit => VIT_LR,
            _ => recipe.learning_rate,
        };
        recipe
            .with_learning_rate(learning_rate)
            .with_loss(entry.loss.config(entry.lambda.unwrap_or(1.0)))
            .with_epochs(epochs)
            .with_batch_size(batch)
            .with_seed(seed)
    }
}

/// A task's data for one seed: the experiment with the shortcut, and the ceiling's.
#[derive(Clone)]
struct TaskData {
    guided: Experiment,
    ceiling: Experiment,
}

#[path = "support/logging.rs"]
mod logging;

fn main() -> ExitCode {
    logging::show_logs();
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("guidance_benchmark: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let device = Device::flex();
    let mut losses = vec![Entry::plain(Loss::Ce)];
    for &loss in &args.losses {
        match loss {
            Loss::Ce | Loss::Ceiling => {}
            _ if loss.weighted() => losses.extend(args.lambdas.iter().map(|&l| Entry {
                loss,
                lambda: Some(l),
            })),
            _ => losses.push(Entry::plain(loss)),
        }
    }
    losses.push(Entry::plain(Loss::Ceiling));
    let fashion = args
        .fashion_mnist
        .join("train-images-idx3-ubyte.gz")
        .is_file()
        || args.fashion_mnist.join("train-images-idx3-ubyte").is_file();
    let mut results: Vec<(TaskKind, BTreeMap<String, Vec<ExperimentReport>>)> = Vec::new();
    let mut decoy_cache: BTreeMap<TaskKind, TaskData> = BTreeMap::new();
    for &task in &args.tasks {
        if !task.shortcut() && !fashion {
            eprintln!(
                "skipped {}: no Fashion-MNIST under {} (apt-get install dataset-fashion-mnist, \
                 or --fashion-mnist DIR)",
                task.title(),
                args.fashion_mnist.display()
            );
            continue;
        }
        let build = |device: &Device| task.build(device);
        let size = if task.shortcut() { 16 } else { 28 };
        let grid = feature_grid(&build(&device), [1, size, size], &device);
        let mut by_loss: BTreeMap<String, Vec<ExperimentReport>> = BTreeMap::new();
        for seed in 0..args.seeds {
            let data = task_data(task, seed, grid, args, &mut decoy_cache)?;
            for entry in &losses {
                eprintln!("\n{} — {} — seed {seed}", task.title(), entry.label());
                let experiment = match entry.loss {
                    Loss::Ceiling => data.ceiling.clone(),
                    _ => data.guided.clone(),
                };
                let dir = args
                    .out
                    .join(format!("runs/{task}/{}-seed{seed}", entry.key()));
                let report = Run::new(task.recipe(entry, seed), dir)
                    .on(device.clone())
                    .experiment(build, experiment)?;
                by_loss.entry(entry.key()).or_default().push(report);
            }
        }
        results.push((task, by_loss));
    }
    if results.is_empty() {
        return Err("no task could run".into());
    }
    let json: BTreeMap<String, _> = results.iter().map(|(t, r)| (t.to_string(), r)).collect();
    write_json(&args.out.join("results.json"), &json)?;

    let minutes = start.elapsed().as_secs_f32() / 60.0;
    let mut report = format!(
        "Guidance benchmark: {} seeds, {minutes:.0} min in all. Mean [95 % bootstrap interval \
         over seeds].\n",
        args.seeds
    );
    let mut panels = Vec::new();
    for (task, by_loss) in &results {
        let summary = TaskSummary::new(*task, &losses, by_loss);
        summary.write_table(&mut report);
        panels.extend(summary.panels());
    }
    println!("\n{report}");
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("results.md"), &report)?;
    let chart = interval_chart_picture(&panels, 3);
    let picture = args.out.join("benchmark.png");
    save_png(&chart, &picture)?;
    println!(
        "wrote {}, results.md and results.json beside it",
        picture.display()
    );
    Ok(())
}

/// Writes the data of `task` for `seed`; the decoy tasks' data does not depend on the seed
/// and is written once, into `decoy_cache`.
fn task_data(
    task: TaskKind,
    seed: u64,
    grid: [usize; 2],
    args: &Args,
    decoy_cache: &mut BTreeMap<TaskKind, TaskData>,
) -> Result<TaskData, Box<dyn Error>> {
    let data = args.out.join("data");
    if task.shortcut() {
        let shortcut = ShortcutTaskConfig::new()
            .with_image_size(16)
            .with_seed(seed);
        let dir = data.join(format!("shortcut/seed-{seed}"));
        let mut guided = shortcut_experiment(&shortcut, 256, &dir, grid)?;
        let clean_dir = data.join(format!("shortcut/seed-{seed}-no-square"));
        let clean = shortcut_experiment(&shortcut.with_cue_contrast(0.0), 256, &clean_dir, grid)?;
        // The same test images without the square (the generator's draws do not depend on
        // the square's contrast).
        let no_square = test_set(&clean, ALL_TEST_IMAGES).clone();
        guided.tests.push((NO_SQUARE.into(), no_square));
        let ceiling = Experiment {
            train: clean.train,
            val: clean.val,
            ..guided.clone()
        };
        return Ok(TaskData { guided, ceiling });
    }
    if let Some(cached) = decoy_cache.get(&task) {
        return Ok(cached.clone());
    }
    let silhouettes = match decoy_cache.get(&TaskKind::Decoy) {
        Some(cached) => cached.clone(),
        None => {
            let files = MnistFiles::read(&args.fashion_mnist)?;
            let config = DecoyTaskConfig::new()
                .with_train_size(2000)
                .with_validation_size(1000)
                .with_test_size(1000)
                .with_decoy(DecoyConfig::new().with_patch(DecoyPatch::Texture { classes: 10 }));
            eprintln!("writing Decoy Fashion-MNIST under {}…", data.display());
            let DecoyExperiments { decoy, clean } =
                decoy_experiments(&files, &config, &data.join("decoy"), grid)?;
            TaskData {
                guided: decoy,
                ceiling: clean,
            }
        }
    };
    decoy_cache.insert(TaskKind::Decoy, silhouettes.clone());
    if task == TaskKind::Decoy {
        return Ok(silhouettes);
    }
    let boxes = data.join("decoy-boxes");
    // Both experiments test on the same images: their boxes are drawn once.
    let tests = silhouettes
        .guided
        .tests
        .iter()
        .map(|(name, records)| {
            let maps = box_maps(records, &boxes.join(name.replace(' ', "-")))?;
            Ok((name.clone(), maps))
        })
        .collect::<Result<Vec<_>, Box<dyn Error>>>()?;
    let with_boxes = |experiment: &Experiment, which: &str| -> Result<Experiment, Box<dyn Error>> {
        Ok(Experiment {
            train: box_maps(&experiment.train, &boxes.join(format!("{which}-train")))?,
            val: box_maps(&experiment.val, &boxes.join(format!("{which}-val")))?,
            tests: tests.clone(),
            ..experiment.clone()
        })
    };
    let data = TaskData {
        guided: with_boxes(&silhouettes.guided, "decoy")?,
        ceiling: with_boxes(&silhouettes.ceiling, "clean")?,
    };
    decoy_cache.insert(task, data.clone());
    Ok(data)
}

/// The records of test set `name`.
fn test_set<'a>(experiment: &'a Experiment, name: &str) -> &'a Records {
    &experiment
        .tests
        .iter()
        .find(|(n, _)| n == name)
        .expect("the task's test set")
        .1
}

/// One task's runs, summarised per loss.
struct TaskSummary {
    task: TaskKind,
    /// Whether cross-entropy is at least [`MIN_GAP`] under the ceiling on every seed.
    hurt: bool,
    rows: Vec<LossSummary>,
}

/// A loss with its weight, as the benchmark runs it.
#[derive(Debug, Clone, Copy)]
struct Entry {
    loss: Loss,
    /// The penalty's weight (masked, energy, l1).
    lambda: Option<f64>,
}

impl Entry {
    fn plain(loss: Loss) -> Self {
        Entry { loss, lambda: None }
    }

    /// The name of its run folders and its key in results.json.
    fn key(&self) -> String {
        match self.lambda {
            Some(lambda) => format!("{}-{lambda}", self.loss),
            None => self.loss.to_string(),
        }
    }

    /// The table's row label.
    fn label(&self) -> String {
        match self.lambda {
            Some(lambda) => format!("{} (λ = {lambda})", self.loss.label()),
            None => self.loss.label().into(),
        }
    }

    /// The chart's row label (ASCII).
    fn short(&self) -> String {
        match self.lambda {
            Some(lambda) => format!("{} {lambda}", self.loss.short()),
            None => self.loss.short().into(),
        }
    }
}

/// One loss on one task, over seeds.
struct LossSummary {
    entry: Entry,
    misled: Interval,
    /// `None` for cross-entropy and the ceiling, or where cross-entropy is not hurt.
    gap: Option<Interval>,
    clean: Interval,
    /// The ceiling's mean clean accuracy minus this loss's.
    clean_cost: f64,
    agreement: Option<Interval>,
}

impl TaskSummary {
    fn new(
        task: TaskKind,
        losses: &[Entry],
        by_loss: &BTreeMap<String, Vec<ExperimentReport>>,
    ) -> Self {
        let (misled_set, clean_set) = task.tests();
        let scores = |entry: &Entry, set: &str| -> Vec<f64> {
            by_loss[&entry.key()]
                .iter()
                .map(|r| r.test[set].accuracy)
                .collect()
        };
        let (ce, top) = (Entry::plain(Loss::Ce), Entry::plain(Loss::Ceiling));
        let floor = scores(&ce, misled_set);
        let ceiling = scores(&top, misled_set);
        let ceiling_clean = mean_and_std(&scores(&top, clean_set)).0;
        let rows = losses
            .iter()
            .map(|&entry| {
                let misled = scores(&entry, misled_set);
                let clean = interval95(&scores(&entry, clean_set));
                let gap = match entry.loss {
                    Loss::Ce | Loss::Ceiling => None,
                    _ => gap_closed(&misled, &floor, &ceiling, MIN_GAP).map(|s| interval95(&s)),
                };
                let agreement: Option<Vec<f64>> = by_loss[&entry.key()]
                    .iter()
                    .map(|r| r.test[misled_set].cam_mass_inside)
                    .collect();
                LossSummary {
                    entry,
                    misled: interval95(&misled),
                    gap,
                    clean_cost: ceiling_clean - clean.mean,
                    clean,
                    agreement: agreement.map(|a| interval95(&a)),
                }
            })
            .collect();
        let hurt = gap_closed(&floor, &floor, &ceiling, MIN_GAP).is_some();
        Self { task, hurt, rows }
    }

    /// The task's table and verdict, in Markdown.
    fn write_table(&self, out: &mut String) {
        let (misled_set, clean_set) = self.task.tests();
        let _ = writeln!(
            out,
            "\n### {}\n\n| loss | accuracy, {misled_set} | share of the gap closed | accuracy, \
             {clean_set} | cost vs ceiling | CAM mass inside the human map |\n|---|---|---|---|---|---|",
            self.task.title()
        );
        let show = |i: Option<Interval>| i.map_or("—".to_string(), |i| i.to_string());
        for row in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:+.3} | {} |",
                row.entry.label(),
                row.misled,
                show(row.gap),
                row.clean,
                -row.clean_cost,
                show(row.agreement),
            );
        }
        let _ = writeln!(out, "\n{}", self.verdict());
    }

    /// Whether the best guided loss meets the target, in one sentence.
    fn verdict(&self) -> String {
        let best = self
            .rows
            .iter()
            .filter_map(|r| r.gap.map(|g| (r, g)))
            .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean));
        if !self.hurt {
            return format!(
                "Cross-entropy is within {:.0} points of the ceiling on some seed: no gap to close, \
                 no target to meet.",
                MIN_GAP * 100.0
            );
        }
        let Some((row, gap)) = best else {
            return "No guided loss ran.".into();
        };
        let met = gap.mean >= 0.95 && gap.low >= 0.90 && row.clean_cost <= 0.01;
        format!(
            "Target (≥ 95 % of the gap, lower end ≥ 90 %, ≤ 1 point of clean accuracy lost): {} \
             by the best guided loss, {}: {gap} of the gap closed, clean accuracy {:+.3} against \
             the ceiling.",
            if met { "**met**" } else { "**not met**" },
            row.entry.label(),
            -row.clean_cost
        )
    }

    /// The three measures as chart panels.
    fn panels(&self) -> Vec<IntervalPanel> {
        let panel = |measure: &str,
                     value: &dyn Fn(&LossSummary) -> Option<Interval>,
                     range,
                     references| IntervalPanel {
            title: format!("{}: {measure}", self.task.short()),
            x_label: measure.into(),
            rows: self
                .rows
                .iter()
                .map(|row| IntervalRow {
                    label: row.entry.short(),
                    value: value(row).map(|i| [i.low, i.mean, i.high]),
                })
                .collect(),
            range,
            references,
        };
        vec![
            panel("accuracy, misled", &|r| Some(r.misled), [0.0, 1.0], vec![]),
            // Shares above 1 happen (better than the ceiling).
            panel("gap closed", &|r| r.gap, [0.0, 1.2], vec![0.9, 1.0]),
            panel("CAM mass inside", &|r| r.agreement, [0.0, 1.0], vec![]),
        ]
    }
}
