//! `cyborg export`: a trained model's weights in PyTorch's layout.

use std::path::PathBuf;

use clap::Args;

use crate::choices::BackendArgs;
use crate::error::CliError;
use crate::model::ModelArgs;

/// Write a model's weights as a safetensors file with PyTorch's key names and layout, which
/// torchvision (timm for Xception) loads with `load_state_dict`. Prints the Python line that
/// builds the matching model.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// The file to write (`*.safetensors`).
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
    /// Replace --to if it exists (by default an existing file is kept and the export fails).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    backend: BackendArgs,
}

/// Runs `cyborg export`.
pub fn run(args: &ExportArgs) -> Result<(), CliError> {
    if let Some(dir) = &args.model.run {
        ModelArgs::check_run_folder(dir)?;
    }
    let model_args = args.model.resolve()?;
    let device = args.backend.device()?;
    let model = model_args.load(&device)?;
    let report = model.save_pytorch_weights(&args.to, args.force)?;
    println!(
        "wrote {} ({} tensors)",
        args.to.display(),
        report.keys.len()
    );
    let architecture = model_args.architecture()?;
    match architecture.pytorch_constructor(
        model_args.num_classes,
        model_args.image_size(),
        model_args.torchvision_layout(),
    ) {
        Some(constructor) => {
            println!("load it in Python with:");
            println!("  model = {constructor}");
            if model_args.channels != 3 {
                println!(
                    "  # first give the model a {}-channel input convolution",
                    model_args.channels
                );
            }
            println!(
                "  model.load_state_dict(safetensors.torch.load_file({:?}))",
                args.to.display().to_string()
            );
        }
        None => println!(
            "{architecture} has no PyTorch reference implementation: the keys are its Burn parameter paths"
        ),
    }
    Ok(())
}
