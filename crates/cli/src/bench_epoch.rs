//! `cyborg bench-epoch`: whole training epochs as `cyborg train` runs them, on a folder of
//! generated PNG images with human maps (made on the first run), timed pass by pass;
//! `scripts/bench_epoch.py` does the same in PyTorch on the same folder.

use std::path::PathBuf;

use clap::Args;
use cyborg_bench::{BenchModel, EpochMeasurement, measure_epochs, write_epoch_folder};

use crate::choices::BackendArgs;
use crate::error::CliError;

/// Which model, on which data, with how many loader threads.
#[derive(Debug, Clone, Args)]
pub struct BenchEpochArgs {
    /// The model: small-cnn, resnet18 or densenet121 (torchvision's layouts).
    #[arg(long, default_value = "resnet18")]
    model: String,
    /// The folder of images, human maps and manifests; written on the first run (seeded),
    /// read as it is on later ones.
    #[arg(long)]
    data: PathBuf,
    /// Training images in the folder.
    #[arg(long, default_value_t = 200)]
    images: usize,
    /// Epochs; the first is reported apart (caches cold), the median of the others is the
    /// figure.
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    /// Images per step (the paper's 20).
    #[arg(long, default_value_t = 20)]
    batch_size: usize,
    /// Loader threads that decode and resize the batches while the model trains.
    #[arg(long, default_value_t = cyborg_train::DEFAULT_WORKERS)]
    workers: usize,
    #[command(flatten)]
    backend: BackendArgs,
    /// Add the measurement to this JSON file (a list, created if absent).
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Runs `cyborg bench-epoch`.
pub fn run(args: &BenchEpochArgs) -> Result<(), CliError> {
    let model = BenchModel::ALL
        .into_iter()
        .find(|m| m.name() == args.model)
        .ok_or_else(|| {
            CliError::Usage(format!(
                "--model {:?}: one of small-cnn, resnet18, densenet121",
                args.model
            ))
        })?;
    if args.epochs == 0 || args.images == 0 || args.batch_size == 0 || args.workers == 0 {
        return Err(CliError::Usage(
            "--epochs, --images, --batch-size and --workers must be at least 1".into(),
        ));
    }
    let device = args.backend.device()?;
    let manifest = write_epoch_folder(&args.data, args.images, 0)?;
    eprintln!(
        "{} images in {}; {} epochs of {} on {}",
        args.images,
        manifest.display(),
        args.epochs,
        model.name(),
        args.backend.backend.name()
    );
    let mut m = measure_epochs(
        model,
        &args.data,
        &device,
        args.backend.backend.name(),
        args.workers,
        args.batch_size,
        args.epochs,
    )
    .map_err(|e| CliError::Train(Box::new(e)))?;
    m.machine = crate::bench::machine(args.backend.backend.name());
    println!(
        "{} {}: {:.1} images/s (epochs {:?} s), peak {} MiB, {} threads, {} workers; {}",
        m.workload,
        m.backend,
        m.images_per_second,
        m.epoch_s
            .iter()
            .map(|s| (s * 10.0).round() / 10.0)
            .collect::<Vec<_>>(),
        m.peak_mib.map_or("?".into(), |p| format!("{p:.0}")),
        m.threads,
        m.workers,
        m.machine
    );
    if let Some(path) = &args.json {
        let mut all: Vec<EpochMeasurement> = match std::fs::read_to_string(path) {
            Ok(text) => crate::bench::parse_json_list(path, &text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(CliError::io(path)(e)),
        };
        all.push(m);
        cyborg_train::write_json(path, &all).map_err(|e| CliError::Train(Box::new(e)))?;
    }
    Ok(())
}
