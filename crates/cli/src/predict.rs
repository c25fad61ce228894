//! `cyborg predict`: the class and class probabilities of a trained run's model per image.

use std::path::PathBuf;

use burn::tensor::activation::softmax;
use clap::Args;
use cyborg_cam::{
    CamBackbone, CamMethod, ExplainConfig, GridConfig, GridMap, GridRow, Target, explain, grid,
    image_from_tensor, save_png,
};

use crate::choices::BackendArgs;
use crate::error::CliError;
use crate::images::{image_files, load_images, load_images_and_pictures};
use crate::model::ModelArgs;

/// Predict the class of images with a trained run's best model: one CSV row per image with the
/// predicted class and every class's probability (softmax), on standard output or to --out.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The run folder (what `cyborg train --out` wrote: model.json and best.bpk).
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// Image files or folders of images (png, jpg, jpeg, bmp; a folder's own files, sorted by
    /// name).
    #[arg(required = true, value_name = "IMAGES_OR_FOLDER")]
    inputs: Vec<PathBuf>,
    /// Write the CSV to this file (through a temporary file) instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also draw, for each image, the input beside the CAM of its predicted class (overlaid),
    /// as `<row>-<file stem>.png` in this folder (created if needed); the CSV gains a `cam`
    /// column with each picture's path.
    #[arg(long, value_name = "DIR")]
    cams: Option<PathBuf>,
    /// Images per forward pass.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    #[command(flatten)]
    backend: BackendArgs,
}

/// Runs `cyborg predict`.
pub fn run(args: &PredictArgs) -> Result<(), CliError> {
    ModelArgs::check_run_folder(&args.run)?;
    if args.batch_size == 0 {
        return Err(CliError::Usage(
            "--batch-size must be positive, got 0".into(),
        ));
    }
    let mut images = Vec::new();
    for input in &args.inputs {
        if input.is_dir() {
            images.extend(image_files(input)?);
        } else if input.is_file() {
            images.push(input.clone());
        } else {
            return Err(CliError::Usage(format!(
                "{}: no such image or folder",
                input.display()
            )));
        }
    }
    let model_args = ModelArgs::of_run(&args.run).resolve()?;
    let classes = model_args
        .classes()?
        .unwrap_or_else(|| (0..model_args.num_classes).map(|c| c.to_string()).collect());
    let device = args.backend.device()?;
    let model = model_args.load(&device)?;
    let config = model_args.image_config()?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["image".to_string(), "predicted".to_string()];
    header.extend(classes.iter().cloned());
    if args.cams.is_some() {
        header.push("cam".to_string());
    }
    csv.write_record(&header).map_err(csv_error)?;
    if let Some(dir) = &args.cams {
        std::fs::create_dir_all(dir).map_err(CliError::io(dir))?;
    }
    let mut row_number = 0;
    for chunk in images.chunks(args.batch_size) {
        let shape = model_args.image_shape();
        let (batch, cams) = match &args.cams {
            Some(_) => {
                let (batch, pictures) = load_images_and_pictures(chunk, &config, shape, &device)?;
                let maps = explain(
                    &model,
                    batch.clone(),
                    CamMethod::Cam,
                    &Target::Predicted,
                    &ExplainConfig::new(),
                );
                (batch, Some((pictures, maps)))
            }
            None => (load_images(chunk, &config, shape, &device)?, None),
        };
        let probabilities = softmax(model.forward_classified(batch).logits, 1);
        let [n, k] = probabilities.dims();
        let values = probabilities
            .into_data()
            .convert::<f64>()
            .try_to_vec::<f64>()
            .expect("float probabilities");
        for (i, path) in chunk.iter().enumerate().take(n) {
            let row = &values[i * k..(i + 1) * k];
            let best = (0..k)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .expect("at least two classes");
            let mut cells = vec![path.display().to_string(), classes[best].clone()];
            cells.extend(row.iter().map(|p| format!("{p:.6}")));
            row_number += 1;
            if let (Some(dir), Some((inputs, maps))) = (&args.cams, &cams) {
                let stem = path.file_stem().unwrap_or_default().to_string_lossy();
                let picture = dir.join(format!("{row_number:04}-{stem}.png"));
                let input = image_from_tensor(inputs.clone().narrow(0, i, 1).squeeze_dim::<3>(0));
                let label = format!("CAM, {}", classes[best]);
                let row = GridRow::new(input, vec![Some(GridMap::from_batch(maps, i))]);
                save_png(
                    &grid(&GridConfig::new(), &["input", &label], &[row]),
                    &picture,
                )?;
                cells.push(picture.display().to_string());
            }
            csv.write_record(&cells).map_err(csv_error)?;
        }
    }
    let csv = csv
        .into_inner()
        .map_err(|e| csv_error(csv::Error::from(e.into_error())))?;
    match &args.out {
        Some(path) => {
            cyborg_atomic_write::write_bytes_atomically(path, &csv).map_err(CliError::io(path))?;
            eprintln!("wrote {} ({} images)", path.display(), images.len());
        }
        None => print!("{}", String::from_utf8_lossy(&csv)),
    }
    Ok(())
}

/// A CSV writer's error (it writes to memory: only a bad record can fail).
fn csv_error(error: csv::Error) -> CliError {
    CliError::Usage(format!("cannot write the predictions as CSV: {error}"))
}
