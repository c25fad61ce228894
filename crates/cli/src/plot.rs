//! `cyborg plot`: redraw a run's pictures from the files in its folder.

use std::path::PathBuf;

use clap::Args;
use cyborg_train::draw_curves;

use crate::error::CliError;

/// Redraw the pictures of a run folder from its files alone: `curves.png` (loss terms,
/// accuracy and AUC per epoch from `history.csv`, training against validation, the best epoch
/// marked).
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
    let curves = draw_curves(&args.run)?;
    println!("wrote {}", curves.display());
    Ok(())
}
