//! `cyborg plot`: redraw a run's pictures from the files in its folder.

use std::path::PathBuf;

use clap::Args;
use cyborg_train::draw_run_pictures;

use crate::error::CliError;

/// Redraw the pictures of a run folder from its files alone: `curves.png` (loss terms,
/// accuracy and AUC per epoch from `history.csv`, training against validation, the best epoch
/// marked) and, once the run was evaluated, `roc-<set>.png` per validation and test set (from
/// `scores/`).
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The run folder (what `cyborg train --out` wrote).
    #[arg(long)]
    run: PathBuf,
}

/// Runs `cyborg plot`.
pub fn run(args: &PlotArgs) -> Result<(), CliError> {
    if !args.run.is_dir() {
        return Err(CliError::Usage(format!(
            "{}: no such run folder",
            args.run.display()
        )));
    }
    for picture in draw_run_pictures(&args.run)? {
        println!("wrote {}", picture.display());
    }
    Ok(())
}
