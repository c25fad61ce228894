//! cargo run --release --example headline_comparisons -- --quick
//!
//! The CYBORG paper's headline comparisons, measured on Decoy Fashion-MNIST (real garments, an
//! 8×8 class texture in a random corner, `--patch-size`; `apt-get install
//! dataset-fashion-mnist`):
//!
//! 1. **More data.** The texture codes the label on a share p of the training and validation
//!    images (`--agreements`, the first is the headline; another class's texture otherwise)
//!    and a random class's at test time. Cross-entropy on N images and on `--multiple` × N,
//!    against every guided loss (`--losses`) on N, with human maps (the garments'
//!    silhouettes). Every run gets the same number of steps: the runs on N train
//!    `--multiple` times as many epochs as the runs on multiple × N (`--large-epochs`), all
//!    with Adam 0.005 on a cosine schedule, batch 64, the best validation epoch kept. For each
//!    loss: does "guided on N" beat "cross-entropy on multiple × N"?
//! 2. **What kind of map** (at `--detail-agreement`, the headline 0.9 by default; it needs
//!    cross-entropy hurt, a gap to close; for `--focus` losses): silhouettes
//!    (segmentation-like), their bounding boxes, and silhouettes degraded the way people's
//!    maps are (dilated, blurred, shifted by up to 2 pixels, a quarter of the area erased;
//!    `cyborg::data::MapDegradationConfig`).
//! 3. **How many maps** (at `--detail-agreement`, for `--focus` losses): maps on `--fractions` of
//!    the N training images (the rest cross-entropy only), as the share of the gap closed from
//!    cross-entropy on N to the ceiling (cross-entropy on N clean images, no texture), from
//!    the means over seeds with a paired bootstrap interval (`gap_closed_of_means`).
//!
//! Each cell: mean [95 % bootstrap interval over `--seeds` seeds] of the accuracy on the
//! decoy test (textures at random). `--quick`: two seeds, the first agreement only, fractions
//! 0.1 and 0.5. Writes `results.md`, `results.json`, `more_data.png` (the "more data" tables
//! as intervals) and `fractions.png` under `--out`; `--from-results FILE` redraws them from an
//! earlier run's results.json without training.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use burn::prelude::*;
use clap::{Parser, ValueEnum};
use cyborg::cam::save_png;
use cyborg::data::{DecoyConfig, DecoyPatch, MapDegradationConfig, MnistFiles, Record, Records};
use cyborg::models::{Backbone, SmallCnnConfig};
use cyborg::train::{
    CLEAN_TEST, Chart, ChartSeries, DECOY_TEST, DecoyExperiments, DecoyTaskConfig, Experiment,
    ExperimentReport, IntervalPanel, IntervalRow, LegendCorner, Run, Schedule, TrainingConfig,
    charts_picture, decoy_experiments, feature_grid, gap_closed_of_means, interval_chart_picture,
    interval95, write_json,
};

#[path = "support/box_maps.rs"]
mod box_maps;
#[path = "support/logging.rs"]
mod logging;
#[path = "support/study_loss.rs"]
mod study_loss;

use box_maps::box_maps;
use study_loss::Loss;

/// Rewrites the human maps of records into a folder.
type MapWriter<'a> = &'a dyn Fn(&Records, &Path) -> Result<Records, Box<dyn Error>>;

/// Cross-entropy must be this far under the ceiling on average over the seeds (and in 95 % of
/// the bootstrap's resamples of them) for a share of the gap to be given.
const MIN_GAP: f64 = 0.02;

/// The paper's headline comparisons on Decoy Fashion-MNIST, at an equal budget of steps.
#[derive(Debug, Parser)]
struct Args {
    /// Training images of the small set (N).
    #[arg(long, default_value_t = 1000)]
    n: usize,
    /// Side of the class texture in pixels (a larger one is an easier shortcut: with 4×4
    /// textures cross-entropy on 1,000 images ignored a texture that lies one time in ten).
    #[arg(long, default_value_t = 8)]
    patch_size: usize,
    /// How many times N cross-entropy also trains on.
    #[arg(long, default_value_t = 7)]
    multiple: usize,
    /// Shares of training images whose texture codes their label, for the "more data" tables.
    #[arg(long, value_delimiter = ',', default_values_t = [0.9, 0.75, 1.0])]
    agreements: Vec<f64>,
    /// The share of the map-kind and map-share comparisons (it needs a gap between
    /// cross-entropy and the ceiling).
    #[arg(long, default_value_t = 0.9)]
    detail_agreement: f64,
    /// Guided losses trained on N with silhouettes.
    #[arg(long, value_delimiter = ',', default_values_t = [Loss::Cyborg, Loss::Masked, Loss::Energy, Loss::L1])]
    losses: Vec<Loss>,
    /// Weight of the penalty of masked, energy and l1.
    #[arg(long, default_value_t = 1.0)]
    lambda: f64,
    /// The losses of the map-kind and map-share comparisons.
    #[arg(long, value_delimiter = ',', default_values_t = [Loss::Cyborg, Loss::Masked])]
    focus: Vec<Loss>,
    /// Map kinds besides the silhouettes.
    #[arg(long, value_delimiter = ',', default_values_t = [MapKind::Boxes, MapKind::Degraded])]
    map_kinds: Vec<MapKind>,
    /// Shares of the N images with a map, besides all of them.
    #[arg(long, value_delimiter = ',', default_values_t = [0.05, 0.1, 0.25, 0.5])]
    fractions: Vec<f64>,
    /// Seeds (0, 1, …); at least 2 for an interval.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(2..))]
    seeds: u64,
    /// Epochs of the runs on multiple × N; the runs on N train multiple times as many.
    #[arg(long, default_value_t = 3)]
    large_epochs: usize,
    /// Two seeds, the headline agreement only, fractions 0.1 and 0.5.
    #[arg(long)]
    quick: bool,
    /// Train nothing: redraw results.md and the pictures from this results.json (written by
    /// an earlier run with the same options).
    #[arg(long)]
    from_results: Option<PathBuf>,
    /// The folder of Fashion-MNIST's IDX files.
    #[arg(long, default_value = "/usr/share/datasets/fashion-mnist")]
    fashion_mnist: PathBuf,
    /// Where results, data and run folders go.
    #[arg(long, default_value = "target/headline_comparisons")]
    out: PathBuf,
}

/// What the human maps are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
enum MapKind {
    /// The garment's silhouette (dilated and blurred: segmentation-like).
    Silhouettes,
    /// The silhouette's bounding box, hard.
    Boxes,
    /// The silhouette degraded as people's maps are.
    Degraded,
}

impl std::fmt::Display for MapKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = self.to_possible_value().expect("no variant is skipped");
        f.write_str(value.get_name())
    }
}

/// Which images a run trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Images {
    /// N images with the texture.
    Small,
    /// multiple × N images with the texture.
    Large,
    /// N images without a texture (the ceiling).
    Clean,
}

/// One run of the study, per seed.
#[derive(Debug, Clone)]
struct Setting {
    agreement: f64,
    loss: Loss,
    images: Images,
    maps: MapKind,
    fraction: f64,
}

impl Setting {
    fn plain(agreement: f64, loss: Loss, images: Images) -> Self {
        Setting {
            agreement,
            loss,
            images,
            maps: MapKind::Silhouettes,
            fraction: 1.0,
        }
    }

    /// Its name in the run folders and results.json. The ceiling's clean images carry no
    /// texture, so its runs are the same for every agreement: one key (and one run) for all.
    fn key(&self) -> String {
        let images = match self.images {
            Images::Small => "n",
            Images::Large => "large",
            Images::Clean => return format!("{}-clean", self.loss),
        };
        format!(
            "p{}-{}-{images}-{}-f{}",
            self.agreement, self.loss, self.maps, self.fraction
        )
    }
}

/// The loss's name in the tables, with its weight where it has one.
fn label(loss: Loss, lambda: f64) -> String {
    match loss.weighted() {
        true => format!("{} (λ = {lambda})", loss.label()),
        false => loss.label().to_string(),
    }
}

fn main() -> ExitCode {
    logging::show_logs();
    let mut args = Args::parse();
    if args.quick {
        args.seeds = 2;
        args.agreements.truncate(1);
        args.fractions = vec![0.1, 0.5];
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("headline_comparisons: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let headline = args.detail_agreement;

    let mut settings = Vec::new();
    if !args.agreements.contains(&headline) {
        // The detail comparisons' floor and ceiling, without a table of their own.
        settings.push(Setting::plain(headline, Loss::Ce, Images::Small));
        settings.push(Setting::plain(headline, Loss::Ceiling, Images::Clean));
    }
    for &p in &args.agreements {
        settings.push(Setting::plain(p, Loss::Ce, Images::Small));
        settings.push(Setting::plain(p, Loss::Ce, Images::Large));
        settings.push(Setting::plain(p, Loss::Ceiling, Images::Clean));
        settings.extend(
            args.losses
                .iter()
                .map(|&l| Setting::plain(p, l, Images::Small)),
        );
    }
    for &loss in &args.focus {
        // The reference of both comparisons: silhouettes on every image.
        settings.push(Setting::plain(headline, loss, Images::Small));
        for &maps in &args.map_kinds {
            settings.push(Setting {
                maps,
                ..Setting::plain(headline, loss, Images::Small)
            });
        }
        for &fraction in &args.fractions {
            settings.push(Setting {
                fraction,
                ..Setting::plain(headline, loss, Images::Small)
            });
        }
    }
    // Each setting once (the reference runs above may repeat the tables' runs).
    let mut seen = std::collections::BTreeSet::new();
    settings.retain(|s| seen.insert(s.key()));
    std::fs::create_dir_all(&args.out)?;
    let (results, timing) = match &args.from_results {
        Some(path) => (
            read_results(path)?,
            format!("redrawn from {}", path.display()),
        ),
        None => {
            let results = train_all(args, &settings)?;
            write_json(&args.out.join("results.json"), &results)?;
            let minutes = start.elapsed().as_secs_f64() / 60.0;
            (results, format!("{minutes:.0} min in all"))
        }
    };
    let mut report = format!(
        "Headline comparisons on Decoy Fashion-MNIST ({}×{} textures): N = {}, {}·N, {} seeds, \
         {} epochs on {}·N and {} on N (equal steps), {timing}. Accuracy on the decoy test, \
         mean [95 % bootstrap interval over seeds].\n",
        args.patch_size,
        args.patch_size,
        args.n,
        args.multiple,
        args.seeds,
        args.large_epochs,
        args.multiple,
        args.large_epochs * args.multiple,
    );
    let accuracy = |key: &str, set: &str| -> Vec<f64> {
        results[key].iter().map(|r| r.test[set].accuracy).collect()
    };
    let panels: Vec<IntervalPanel> = args
        .agreements
        .iter()
        .map(|&p| more_data(&mut report, args, p, &accuracy))
        .collect();
    save_png(
        &interval_chart_picture(&panels, panels.len().clamp(1, 3)),
        &args.out.join("more_data.png"),
    )?;
    let base = |loss: Loss| Setting::plain(headline, loss, Images::Small);
    let floor = accuracy(&base(Loss::Ce).key(), DECOY_TEST);
    let ceiling = accuracy(
        &Setting::plain(headline, Loss::Ceiling, Images::Clean).key(),
        DECOY_TEST,
    );
    let share = |values: &[f64]| gap_closed_of_means(values, &floor, &ceiling, MIN_GAP);
    let _ = writeln!(
        report,
        "\n### What kind of map (p = {headline})\n\n| loss | maps | accuracy, decoy test | \
         share of the gap closed |\n|---|---|---|---|"
    );
    for &loss in &args.focus {
        let kinds = std::iter::once(MapKind::Silhouettes).chain(args.map_kinds.iter().copied());
        for maps in kinds {
            let values = accuracy(&Setting { maps, ..base(loss) }.key(), DECOY_TEST);
            let _ = writeln!(
                report,
                "| {} | {maps} | {} | {} |",
                label(loss, args.lambda),
                interval95(&values),
                share(&values).map_or("—".into(), |i| i.to_string()),
            );
        }
    }
    let _ = writeln!(
        report,
        "\n### How many maps (p = {headline})\n\n| loss | share of images with a map | \
         accuracy, decoy test | share of the gap closed |\n|---|---|---|---|"
    );
    let mut fractions: Vec<f64> = args.fractions.clone();
    fractions.push(1.0);
    fractions.sort_by(f64::total_cmp);
    let mut series = Vec::new();
    for (color, &loss) in args.focus.iter().enumerate() {
        // No map at all is cross-entropy itself: none of the gap closed.
        let mut points = vec![[0.0, 0.0]];
        for &fraction in &fractions {
            let values = accuracy(
                &Setting {
                    fraction,
                    ..base(loss)
                }
                .key(),
                DECOY_TEST,
            );
            let closed = share(&values);
            let _ = writeln!(
                report,
                "| {} | {fraction} | {} | {} |",
                label(loss, args.lambda),
                interval95(&values),
                closed.map_or("—".into(), |i| i.to_string()),
            );
            points.extend(closed.map(|i| [fraction, i.mean]));
        }
        if points.len() == 1 {
            points.clear();
        }
        series.push(ChartSeries {
            label: loss.short().into(),
            points,
            color,
            dashed: false,
        });
    }
    println!("\n{report}");
    std::fs::write(args.out.join("results.md"), &report)?;
    let chart = Chart {
        title: format!("maps on a share of N images (p = {headline})"),
        x_label: "share of the training images with a map".into(),
        y_label: "share of the gap closed".into(),
        x_range: Some([0.0, 1.0]),
        y_range: None,
        series,
        marks: vec![],
        diagonal: false,
        legend: LegendCorner::LowerRight,
    };
    save_png(
        &charts_picture(&[chart], 1, (560, 400)),
        &args.out.join("fractions.png"),
    )?;
    println!(
        "wrote results.md, more_data.png and fractions.png{} under {}",
        if args.from_results.is_some() {
            ""
        } else {
            " (and results.json)"
        },
        args.out.display()
    );
    Ok(())
}

/// The "more data" table of agreement `p`: cross-entropy on N and on multiple × N, the
/// ceiling, and each guided loss on N, with whether it beats cross-entropy on multiple × N
/// (the interval of the seed-by-seed difference above 0); returned as a chart panel too
/// (decoy-test accuracy, a dashed line at cross-entropy on multiple × N).
fn more_data(
    report: &mut String,
    args: &Args,
    p: f64,
    accuracy: &dyn Fn(&str, &str) -> Vec<f64>,
) -> IntervalPanel {
    let large = accuracy(
        &Setting::plain(p, Loss::Ce, Images::Large).key(),
        DECOY_TEST,
    );
    let _ = writeln!(
        report,
        "\n### More data (p = {p})\n\n| run | accuracy, decoy test | accuracy, clean test | \
         minus CE on {}·N | beats CE on {}·N? |\n|---|---|---|---|---|",
        args.multiple, args.multiple
    );
    // (table name, chart name in the picture's plain font, setting)
    let mut rows = vec![
        (
            "cross-entropy on N".to_string(),
            "CE on N".to_string(),
            Setting::plain(p, Loss::Ce, Images::Small),
        ),
        (
            format!("cross-entropy on {}·N", args.multiple),
            format!("CE on {}N", args.multiple),
            Setting::plain(p, Loss::Ce, Images::Large),
        ),
        (
            "cross-entropy on N clean images (ceiling)".to_string(),
            "ceiling (clean N)".to_string(),
            Setting::plain(p, Loss::Ceiling, Images::Clean),
        ),
    ];
    rows.extend(args.losses.iter().map(|&loss| {
        (
            format!("{} on N", label(loss, args.lambda)),
            format!("{} on N", loss.short()),
            Setting::plain(p, loss, Images::Small),
        )
    }));
    let mut chart_rows = Vec::new();
    for (name, chart_name, setting) in rows {
        let key = setting.key();
        let decoy = accuracy(&key, DECOY_TEST);
        let decoy_interval = interval95(&decoy);
        chart_rows.push(IntervalRow {
            label: chart_name,
            value: Some([decoy_interval.low, decoy_interval.mean, decoy_interval.high]),
        });
        let difference: Vec<f64> = decoy.iter().zip(&large).map(|(a, b)| a - b).collect();
        let interval = interval95(&difference);
        let verdict = match (setting.images, interval.low > 0.0, interval.high < 0.0) {
            (Images::Large, ..) => "—",
            (_, true, _) => "**yes**",
            (_, _, true) => "no",
            _ => "unresolved",
        };
        let _ = writeln!(
            report,
            "| {name} | {decoy_interval} | {} | {interval} | {verdict} |",
            interval95(&accuracy(&key, CLEAN_TEST)),
        );
    }
    // The axis: the rows' intervals with a margin, on a 0.05 grid.
    let lows = chart_rows.iter().filter_map(|r| r.value.map(|v| v[0]));
    let highs = chart_rows.iter().filter_map(|r| r.value.map(|v| v[2]));
    let low = (lows.fold(1.0, f64::min) / 0.05).floor() * 0.05;
    let high = (highs.fold(0.0, f64::max) / 0.05).ceil() * 0.05;
    let large_mean = large.iter().sum::<f64>() / large.len() as f64;
    IntervalPanel {
        title: format!("p = {p}"),
        x_label: "accuracy, decoy test".into(),
        rows: chart_rows,
        range: [low.max(0.0), high.min(1.0).max(low + 0.05)],
        references: vec![large_mean],
    }
}

/// The runs of every setting, `--seeds` times each.
fn train_all(
    args: &Args,
    settings: &[Setting],
) -> Result<BTreeMap<String, Vec<ExperimentReport>>, Box<dyn Error>> {
    let device = Device::flex();
    let cnn = SmallCnnConfig::new(10).with_width(8);
    let build = |device: &Device| Backbone::SmallCnn(cnn.init(device));
    let grid = feature_grid(&build(&device), [1, 28, 28], &device);
    let files = MnistFiles::read(&args.fashion_mnist)?;
    // Each (agreement, images, maps, fraction) once; the losses share it.
    let mut data: BTreeMap<String, Experiment> = BTreeMap::new();
    let mut results: BTreeMap<String, Vec<ExperimentReport>> = BTreeMap::new();
    for seed in 0..args.seeds {
        for setting in settings {
            let experiment = experiment(args, &files, grid, setting, seed, &mut data)?;
            let small = args.large_epochs * args.multiple;
            let epochs = match setting.images {
                Images::Large => args.large_epochs,
                Images::Small | Images::Clean => small,
            };
            let recipe = TrainingConfig::from_scratch()
                .with_loss(setting.loss.config(args.lambda))
                .with_schedule(Schedule::Cosine)
                .with_batch_size(64)
                .with_epochs(epochs)
                .with_seed(seed);
            let dir = args.out.join(format!("runs/{}-seed{seed}", setting.key()));
            eprintln!("\nseed {seed}: {}", setting.key());
            let report = Run::new(recipe, &dir)
                .on(device.clone())
                .experiment(build, experiment)?;
            results.entry(setting.key()).or_default().push(report);
        }
    }
    Ok(results)
}

/// The results.json of an earlier run. Its ceiling runs may carry their agreement in their
/// key (`p0.9-ceiling-clean-silhouettes-f1`, before the ceiling was trained once for all):
/// those are read under the one key.
fn read_results(path: &Path) -> Result<BTreeMap<String, Vec<ExperimentReport>>, Box<dyn Error>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut results: BTreeMap<String, Vec<ExperimentReport>> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let ceiling = Setting::plain(1.0, Loss::Ceiling, Images::Clean).key();
    let legacy: Vec<String> = results
        .keys()
        .filter(|k| k.contains(&format!("-{ceiling}-")))
        .cloned()
        .collect();
    for key in legacy {
        let runs = results.remove(&key).expect("a key just listed");
        results.entry(ceiling.clone()).or_insert(runs);
    }
    Ok(results)
}

/// The experiment of `setting` (written once per data choice; runs of other losses and seeds
/// reuse it).
fn experiment(
    args: &Args,
    files: &MnistFiles,
    grid: [usize; 2],
    setting: &Setting,
    seed: u64,
    cache: &mut BTreeMap<String, Experiment>,
) -> Result<Experiment, Box<dyn Error>> {
    let p = setting.agreement;
    let task_key = format!("p{p}");
    if !cache.contains_key(&format!("{task_key}-large")) {
        let config = DecoyTaskConfig::new()
            .with_train_size(args.n * args.multiple)
            .with_validation_size(1000)
            .with_test_size(1000)
            .with_decoy(
                DecoyConfig::new()
                    .with_patch(DecoyPatch::Texture { classes: 10 })
                    .with_patch_size(args.patch_size)
                    .with_agreement(p),
            );
        let dir = args.out.join(format!("data/{task_key}"));
        eprintln!(
            "writing Decoy Fashion-MNIST (p = {p}) under {}…",
            dir.display()
        );
        let DecoyExperiments { decoy, clean } = decoy_experiments(files, &config, &dir, grid)?;
        let first_n = |records: &Records| Records {
            items: records.items[..args.n].to_vec(),
            classes: records.classes.clone(),
        };
        let small = Experiment {
            train: first_n(&decoy.train),
            ..decoy.clone()
        };
        let ceiling = Experiment {
            train: first_n(&clean.train),
            val: clean.val.clone(),
            ..decoy.clone()
        };
        cache.insert(format!("{task_key}-large"), decoy);
        cache.insert(format!("{task_key}-small"), small);
        cache.insert(format!("{task_key}-clean"), ceiling);
    }
    let images = match setting.images {
        Images::Large => return Ok(cache[&format!("{task_key}-large")].clone()),
        Images::Clean => return Ok(cache[&format!("{task_key}-clean")].clone()),
        Images::Small => cache[&format!("{task_key}-small")].clone(),
    };
    let dir = args.out.join(format!("data/{task_key}"));
    let maps_key = format!("{task_key}-{}", setting.maps);
    if !cache.contains_key(&maps_key) {
        let with_maps = |map: MapWriter| {
            Ok::<_, Box<dyn Error>>(Experiment {
                train: map(&images.train, &dir.join(format!("{}-train", setting.maps)))?,
                val: map(&images.val, &dir.join(format!("{}-val", setting.maps)))?,
                ..images.clone()
            })
        };
        let experiment = match setting.maps {
            MapKind::Silhouettes => images.clone(),
            MapKind::Boxes => with_maps(&|r, d| box_maps(r, d))?,
            MapKind::Degraded => with_maps(&|r, d| degraded_maps(r, d))?,
        };
        cache.insert(maps_key.clone(), experiment);
    }
    let mut experiment = cache[&maps_key].clone();
    if setting.fraction < 1.0 {
        experiment.train = experiment.train.keep_maps(setting.fraction, seed);
    }
    Ok(experiment)
}

/// Each record's map degraded as people's are (dilated, blurred, shifted up to 2 pixels, a
/// quarter of the area erased), written as PNGs into `dir`.
fn degraded_maps(records: &Records, dir: &Path) -> Result<Records, Box<dyn Error>> {
    let degradation = MapDegradationConfig::new()
        .with_dilation(1)
        .with_blur_radius(1)
        .with_jitter(2)
        .with_erase(0.25);
    std::fs::create_dir_all(dir)?;
    let mut items = Vec::with_capacity(records.items.len());
    for (index, record) in records.items.iter().enumerate() {
        let Some(map) = &record.saliency else {
            items.push(record.clone());
            continue;
        };
        let map = image::open(map)?.into_luma8();
        let (w, h) = map.dimensions();
        let plane: Vec<f32> = map.as_raw().iter().map(|&v| f32::from(v) / 255.0).collect();
        let out = degradation.degrade(&plane, [h as usize, w as usize], index as u64);
        let pixels = out
            .iter()
            .map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
            .collect();
        let path = dir.join(format!("{index:05}.png"));
        image::GrayImage::from_raw(w, h, pixels)
            .expect("h·w values")
            .save(&path)?;
        items.push(Record {
            saliency: Some(path),
            ..record.clone()
        });
    }
    Ok(Records {
        items,
        classes: records.classes.clone(),
    })
}
