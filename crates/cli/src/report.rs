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

/// The CAM gallery of every run that has its model (`model.json`, `best.bpk`) and the first
/// run's classes, on the first test set the first such run evaluated (the validation set
/// without one). A run left out, or a gallery that cannot be drawn, is a note on the page,
/// never the end of the report.
pub fn gallery(
    runs: &[ReportRun],
    shown: usize,
    backend: &BackendArgs,
) -> Result<Gallery, CliError> {
    let mut notes = Vec::new();
    let mut models = Vec::new();
    let mut set: Option<(PathBuf, Option<Vec<String>>)> = None;
    let device = backend.device()?;
    for run in runs {
        let usable = run.dir.join("model.json").is_file() && run.dir.join("best.bpk").is_file();
        let (true, Some(run_set)) = (usable, first_evaluated_set(&run.dir)) else {
            notes.push(format!(
                "{}: not in the CAM gallery (it needs model.json, best.bpk and sets/, which \
                 cyborg train writes)",
                run.name
            ));
            continue;
        };
        let loaded = ModelArgs::of_run(&run.dir)
            .resolve()
            .and_then(|args| Ok((args.load(&device)?, args.image_config()?, args.classes()?)));
        let (model, image, classes) = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                notes.push(format!("{}: not in the CAM gallery ({error})", run.name));
                continue;
            }
        };
        if let Some((_, first)) = &set
            && *first != classes
        {
            notes.push(format!(
                "{}: not in the CAM gallery (its classes differ from the first run's)",
                run.name
            ));
            continue;
        }
        set.get_or_insert((run_set, classes));
        models.push(GalleryModel {
            name: run.name.clone(),
            model,
            image,
        });
    }
    let drawn = set.map(|(set, classes)| -> Result<Gallery, CliError> {
        let records = read_manifest(&set, classes)?;
        let name = set
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let config = GalleryConfig {
            shown,
            ..GalleryConfig::default()
        };
        Ok(cam_gallery(&models, &name, &records, &device, &config)?)
    });
    let mut gallery = match drawn {
        Some(Ok(gallery)) => gallery,
        Some(Err(error)) => {
            notes.push(format!("no CAM gallery: {error}"));
            Gallery::default()
        }
        None => Gallery::default(),
    };
    gallery.notes = notes;
    Ok(gallery)
}
