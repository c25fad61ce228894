//! `cyborg cam`: CAM-family heatmaps over images, written as labelled PNG grids.

use std::path::PathBuf;

use burn::prelude::*;
use clap::Args;
use cyborg_cam::{GridConfig, GridMap, GridRow, grid, image_from_tensor, save_png};
use cyborg_data::{Augmentation, SaliencyConfig, load_saliency_aligned, read_manifest};
use cyborg_models::{CamMethod, ExplainConfig, SessConfig, Target, full_grad, sess, try_explain};

use crate::choices::{BackendArgs, ClassChoice, ColormapChoice};
use crate::error::CliError;
use crate::images::{image_files, load_images_and_pictures};
use crate::model::ModelArgs;
use crate::progress::Progress;

/// Draw CAM-family heatmaps for the images of a manifest or a folder.
#[derive(Debug, Clone, Args)]
pub struct CamArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// A manifest CSV (`image,saliency,label`): its human maps are drawn beside the methods.
    #[arg(long, conflicts_with = "images")]
    manifest: Option<PathBuf>,
    /// A folder of images (png, jpg, jpeg, bmp), explained for their predicted class.
    #[arg(long)]
    images: Option<PathBuf>,
    /// Comma-separated methods, or all.
    #[arg(
        long,
        value_delimiter = ',',
        value_parser = method_parser(),
        default_value = "cam,gradcam,gradcam++,layercam,eigencam"
    )]
    methods: Vec<Methods>,
    /// Each map the first principal component of the method's weighted activations instead of
    /// their sum (pytorch-grad-cam's `eigen_smooth`): less noise outside the dominant pattern.
    #[arg(long)]
    eigen_smooth: bool,
    /// Each map the mean over the image mirrored or not × intensities 0.9, 1 and 1.1
    /// (pytorch-grad-cam's `aug_smooth`): six times the work.
    #[arg(long)]
    aug_smooth: bool,
    /// Explain the label's class (manifests only) or the predicted one.
    #[arg(long, value_enum, default_value_t = ClassChoice::Label)]
    target: ClassChoice,
    /// Explain what tells the predicted class from the three classes whose scores are closest
    /// to it (Finer-CAM's target, α = 1) instead of the class alone; with the gradient methods.
    #[arg(long, conflicts_with = "target")]
    finer: bool,
    /// Each method wrapped in SESS (windows slid over the image at 12 scales, weighted by the
    /// class probability and fused): sharper maps, about 120 forward passes per image.
    #[arg(long, conflicts_with = "finer")]
    sess: bool,
    /// A FullGrad column after the methods (input and bias gradients of every layer).
    #[arg(long, conflicts_with = "finer")]
    full_grad: bool,
    /// At most this many images.
    #[arg(long)]
    limit: Option<usize>,
    /// Images per picture (one row each).
    #[arg(long, default_value_t = 8)]
    rows: usize,
    /// The heatmaps' colours.
    #[arg(long, value_enum, default_value_t = ColormapChoice::Viridis)]
    colormap: ColormapChoice,
    /// Opacity of the heatmap over the image.
    #[arg(long, default_value_t = 0.5)]
    alpha: f32,
    /// Tile size in pixels.
    #[arg(long, default_value_t = 160)]
    tile_size: u32,
    /// Where the pictures go.
    #[arg(long, default_value = "cams")]
    out: PathBuf,
    #[command(flatten)]
    backend: BackendArgs,
}

/// One value of `--methods`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Methods {
    /// Every method.
    All,
    /// One method.
    One(CamMethod),
}

/// Parses `--methods` values among the names of [`CamMethod::ALL`] and `all` (listed in
/// `--help`).
pub(crate) fn method_parser() -> impl clap::builder::TypedValueParser<Value = Methods> {
    use clap::builder::TypedValueParser;
    let names = CamMethod::ALL.map(CamMethod::name);
    clap::builder::PossibleValuesParser::new(names.into_iter().chain(["all"])).map(
        |name| match name.parse::<CamMethod>() {
            Ok(method) => Methods::One(method),
            Err(_) => Methods::All,
        },
    )
}

/// The methods `--methods` names, in order, each once.
pub(crate) fn selected_methods(values: &[Methods]) -> Vec<CamMethod> {
    if values.contains(&Methods::All) {
        return CamMethod::ALL.to_vec();
    }
    let mut methods = Vec::new();
    for value in values {
        if let Methods::One(method) = value
            && !methods.contains(method)
        {
            methods.push(*method);
        }
    }
    methods
}

/// One image to explain.
struct Input {
    image: PathBuf,
    saliency: Option<PathBuf>,
    label: Option<usize>,
}

/// Runs `cyborg cam`.
pub fn run(args: &CamArgs) -> Result<(), CliError> {
    let model_args = args.model.resolve()?;
    let device = args.backend.device()?;
    let methods = selected_methods(&args.methods);
    if args.rows == 0 {
        return Err(CliError::Usage("--rows must be positive, got 0".into()));
    }
    if !(0.0..=1.0).contains(&args.alpha) {
        return Err(CliError::Usage(format!(
            "--alpha must be in [0, 1], got {}",
            args.alpha
        )));
    }
    let mut inputs: Vec<Input> = match (&args.manifest, &args.images) {
        (Some(manifest), None) => {
            let records = read_manifest(manifest, model_args.classes()?)?;
            crate::eval::check_classes(&records, model_args.num_classes, manifest)?;
            records
        }
        .items
        .into_iter()
        .map(|r| Input {
            image: r.image,
            saliency: r.saliency,
            label: Some(r.label),
        })
        .collect(),
        (None, Some(folder)) => image_files(folder)?
            .into_iter()
            .map(|image| Input {
                image,
                saliency: None,
                label: None,
            })
            .collect(),
        _ => {
            return Err(CliError::Usage(
                "give --manifest CSV or --images DIR".into(),
            ));
        }
    };
    let use_labels = match args.target {
        ClassChoice::Label => args.manifest.is_some(),
        ClassChoice::Predicted => false,
    };
    if let Some(limit) = args.limit {
        inputs.truncate(limit);
    }
    let model = model_args.load(&device)?;
    let image_config = model_args.image_config()?;
    let size = model_args.image_size();
    let map_config = SaliencyConfig::new([size, size]);
    let explain_config = ExplainConfig::new()
        .with_upsample(true)
        .with_eigen_smooth(args.eigen_smooth)
        .with_aug_smooth(args.aug_smooth);
    let grid_config = GridConfig::new()
        .with_tile_size(args.tile_size)
        .with_colormap(args.colormap.into())
        .with_alpha(args.alpha);
    let mut columns = vec!["input", "human"];
    columns.extend(methods.iter().map(|m| m.label()));
    if args.full_grad {
        columns.push("FullGrad");
    }
    std::fs::create_dir_all(&args.out).map_err(CliError::io(&args.out))?;
    let mut progress = Progress::new("cam");
    let chunks: Vec<&[Input]> = inputs.chunks(args.rows).collect();
    for (index, chunk) in chunks.iter().enumerate() {
        let paths: Vec<PathBuf> = chunk.iter().map(|i| i.image.clone()).collect();
        // The inputs as the model reads them, and as it saw them (cropped like them under
        // --resize-short) without the normalisation, for the pictures.
        let (images, plain) =
            load_images_and_pictures(&paths, &image_config, model_args.image_shape(), &device)?;
        let target = if args.finer {
            Target::finer()
        } else if use_labels {
            let labels: Vec<i64> = chunk.iter().map(|i| i.label.unwrap_or(0) as i64).collect();
            Target::Classes(Tensor::from_ints(labels.as_slice(), &device))
        } else {
            Target::Predicted
        };
        let mut rows: Vec<GridRow> = Vec::with_capacity(chunk.len());
        for (i, input) in chunk.iter().enumerate() {
            let picture = image_from_tensor(plain.clone().narrow(0, i, 1).squeeze_dim::<3>(0));
            let human = match &input.saliency {
                Some(path) => {
                    let map = load_saliency_aligned(
                        path,
                        &map_config,
                        &image_config,
                        &Augmentation::IDENTITY,
                    )?;
                    Some(GridMap::new(map, size, size))
                }
                None => None,
            };
            rows.push(GridRow::new(picture, vec![human]));
        }
        let mut explained: Vec<Tensor<3>> = Vec::with_capacity(methods.len() + 1);
        for method in &methods {
            explained.push(if args.sess {
                let config = SessConfig::new();
                sess(
                    &model,
                    images.clone(),
                    *method,
                    &target,
                    &explain_config,
                    &config,
                )?
            } else {
                try_explain(&model, images.clone(), *method, &target, &explain_config)?
            });
        }
        if args.full_grad {
            explained.push(full_grad(&model, images.clone(), &target)?);
        }
        for maps in explained {
            for (row, map) in rows.iter_mut().zip(maps.iter_dim(0)) {
                let values = map
                    .into_data()
                    .convert::<f32>()
                    .try_to_vec::<f32>()
                    .expect("float maps");
                row.maps.push(Some(GridMap::new(values, size, size)));
            }
        }
        let path = args.out.join(format!("cam-{:04}.png", index + 1));
        save_png(&grid(&grid_config, &columns, &rows), &path)?;
        progress.update(index + 1, chunks.len());
    }
    println!(
        "wrote {} picture(s) of {} image(s) to {}",
        chunks.len(),
        inputs.len(),
        args.out.display()
    );
    Ok(())
}
