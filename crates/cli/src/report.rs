//! `cyborg report`: one HTML page comparing runs.

use std::path::PathBuf;

use clap::Args;
use cyborg_data::read_manifest;
use cyborg_train::{
    Gallery, GalleryConfig, GalleryModel, ReportRun, cam_gallery, read_report_runs, write_report,
};

use crate::choices::BackendArgs;
use crate::error::CliError;
use crate::model::ModelArgs;
use crate::plot::first_evaluated_set;

/// Compare runs on one self-contained HTML page (no network; it opens from disk): each run's
/// recipe and model, every set's accuracy, AUC and CAM agreement side by side with the best
/// marked, learning curves and ROC curves of all runs on shared axes, and a CAM gallery (the
/// same test images through each run's best model, where the runs disagree most first).
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run folders written by `cyborg train`, any number (a missing or damaged file is named
    /// on the page, not fatal).
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    /// The page to write.
    #[arg(long, default_value = "report.html")]
    out: PathBuf,
    /// Images in the CAM gallery (0: none; the gallery runs each best model on the test set).
    #[arg(long, default_value_t = 8)]
    gallery: usize,
    #[command(flatten)]
    backend: BackendArgs,
}

/// Runs `cyborg report`.
pub fn run(args: &ReportArgs) -> Result<(), CliError> {
    let problems = write(&args.runs, &args.out, args.gallery, &args.backend)?;
    println!(
        "wrote {} ({} run(s){})",
        args.out.display(),
        args.runs.len(),
        match problems {
            0 => String::new(),
            n => format!("; {n} file(s) missing or unreadable, named on the page"),
        }
    );
    Ok(())
}

/// Writes the report of the run folders `dirs` to `out` with a gallery of `shown` images (0:
/// none); returns how many files could not be read.
pub fn write(
    dirs: &[PathBuf],
    out: &std::path::Path,
    shown: usize,
    backend: &BackendArgs,
) -> Result<usize, CliError> {
    let runs = read_report_runs(dirs);
    let gallery = match shown {
        0 => None,
        shown => Some(gallery(&runs, shown, backend)?),
    };
    write_report(&runs, gallery.as_ref(), out)?;
    Ok(runs.iter().map(|r| r.problems.len()).sum())
}

/// The CAM gallery of every run that has its model (`model.json`, `best.bpk`), on the first
/// test set the first such run evaluated (the validation set without one). Runs without a
/// model are named in the gallery's notes.
pub fn gallery(
    runs: &[ReportRun],
    shown: usize,
    backend: &BackendArgs,
) -> Result<Gallery, CliError> {
    let mut notes = Vec::new();
    let mut models = Vec::new();
    let mut set = None;
    let device = backend.device()?;
    for run in runs {
        let usable = run.dir.join("model.json").is_file() && run.dir.join("best.bpk").is_file();
        let first_set = first_evaluated_set(&run.dir);
        let (true, Some(run_set)) = (usable, first_set) else {
            notes.push(format!(
                "{}: not in the CAM gallery (it needs model.json, best.bpk and sets/, which \
                 cyborg train writes)",
                run.name
            ));
            continue;
        };
        let model_args = ModelArgs::of_run(&run.dir).resolve()?;
        models.push(GalleryModel {
            name: run.name.clone(),
            model: model_args.load(&device)?,
            image: model_args.image_config()?,
        });
        let classes = model_args.classes()?;
        set.get_or_insert((run_set, classes));
    }
    let Some((set, classes)) = set else {
        return Ok(Gallery {
            notes,
            ..Gallery::default()
        });
    };
    let records = read_manifest(&set, classes)?;
    let name = set
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let config = GalleryConfig {
        shown,
        ..GalleryConfig::default()
    };
    let mut gallery = cam_gallery(&models, &name, &records, &device, &config)?;
    gallery.notes = notes;
    Ok(gallery)
}
