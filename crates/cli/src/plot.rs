//! `cyborg plot`: redraw a run's pictures from the files in its folder.

use std::path::PathBuf;

use clap::Args;
use cyborg_data::read_manifest;
use cyborg_train::{PlotError, SETS_FOLDER, csv_files, draw_cams, draw_run_pictures, feature_grid};

use crate::choices::BackendArgs;
use crate::error::CliError;
use crate::model::ModelArgs;

/// Redraw the pictures of a run folder from its files alone: `curves.png` (loss terms,
/// accuracy and AUC per epoch from `history.csv`, training against validation, the best epoch
/// marked) and, once the run was evaluated, `roc-<set>.png` per validation and test set (from
/// `scores/`) and `cams.png` (the best model's CAMs on the first test set's images that agree
/// least with their human maps, from `sets/`).
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The run folder (what `cyborg train --out` wrote).
    #[arg(long)]
    run: PathBuf,
    #[command(flatten)]
    backend: BackendArgs,
}

/// Runs `cyborg plot`.
pub fn run(args: &PlotArgs) -> Result<(), CliError> {
    ModelArgs::check_run_folder(&args.run)?;
    for picture in draw_run_pictures(&args.run)? {
        println!("wrote {}", picture.display());
    }
    if let Some(picture) = draw_run_cams(&args.run, &args.backend)? {
        println!("wrote {}", picture.display());
    }
    Ok(())
}

/// Draws `cams.png` of the run in `dir` with its best model, on the first of its test sets
/// (by name; the validation set if it has none) as `sets/` records them. `None` when the run
/// has no `sets/` (not evaluated yet) or the set has no human maps.
pub fn draw_run_cams(
    dir: &std::path::Path,
    backend: &BackendArgs,
) -> Result<Option<PathBuf>, CliError> {
    let Some(set) = first_evaluated_set(dir) else {
        return Ok(None);
    };
    let model_args = ModelArgs::of_run(dir).resolve()?;
    let device = backend.device()?;
    let model = model_args.load(&device)?;
    let records = read_manifest(&set, model_args.classes()?)?;
    let grid = feature_grid(&model, model_args.image_shape(), &device);
    match draw_cams(
        &model,
        &records,
        &model_args.image_config()?,
        grid,
        dir,
        &device,
    ) {
        Ok(path) => Ok(Some(path)),
        Err(PlotError::NoMaps | PlotError::NotPooled) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// The run's first test set by name as `sets/` records it (`test-…` sorts after `val`), else
/// its validation set; `None` before the run was evaluated.
pub fn first_evaluated_set(dir: &std::path::Path) -> Option<PathBuf> {
    let mut files = csv_files(&dir.join(SETS_FOLDER)).ok()?;
    files.sort_by_key(|p| {
        (
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("test-")),
            p.clone(),
        )
    });
    files.into_iter().next()
}
