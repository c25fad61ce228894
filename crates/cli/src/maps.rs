//! `cyborg maps`: human maps drawn from bounding boxes or eye-tracking fixations, written as
//! float `.npy` maps beside a copy of the manifest that points at them; or several annotators'
//! maps from `cyborg annotate` merged into one map per image, with their agreement.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use cyborg_data::{
    BoxAnnotations, BoxShape, MapAnnotations, attach_annotation_maps, files_with_extensions,
    read_box_csv, read_fixation_csv, read_manifest, read_voc_xml, write_manifest,
};

use crate::error::CliError;

/// Draw human maps from bounding boxes (a CSV or Pascal VOC XML files) or eye-tracking
/// fixations (a CSV) for the images of a manifest: one float map per annotated image
/// (`OUT/maps/*.npy`), and `OUT/<manifest name>` pointing at them, ready for `cyborg train`.
/// Or, with `--merge DIR/maps/*`, average the maps of several `cyborg annotate` annotators
/// (`OUT/maps/*.png`, `OUT/manifest.csv`) and measure how much they agree
/// (`OUT/agreement.csv`, `OUT/agreement.json`).
#[derive(Debug, Args)]
pub struct MapsArgs {
    /// The manifest CSV (image,saliency,label) whose images the annotations describe (not with
    /// --merge, which reads the annotators' own manifests).
    #[arg(long, required_unless_present = "merge", conflicts_with = "merge")]
    manifest: Option<PathBuf>,
    /// Annotators' map folders written by `cyborg annotate` (`DIR/maps/<annotator>`, each
    /// beside `DIR/<annotator>.csv`): merged per image into their mean, with the annotators'
    /// agreement (Pearson correlation and IoU of the marked regions, pairwise, averaged).
    #[arg(long, group = "source", num_args = 1..)]
    merge: Vec<PathBuf>,
    /// A CSV of boxes: `image,x0,y0,x1,y1[,label]`, pixel corners (a box covers `[x0, x1) ×
    /// [y0, y1)`).
    #[arg(long, group = "source")]
    boxes: Option<PathBuf>,
    /// A folder of Pascal VOC annotation files (`*.xml`), matched to images by `<filename>`.
    #[arg(long, group = "source")]
    voc: Option<PathBuf>,
    /// A CSV of fixations: `image,x,y[,duration]`, pixel coordinates.
    #[arg(long, group = "source")]
    fixations: Option<PathBuf>,
    /// How boxes are drawn.
    #[arg(long, value_enum, default_value_t = ShapeChoice::Hard)]
    shape: ShapeChoice,
    /// --shape gaussian: σ as a share of half the box's width and height.
    #[arg(long, default_value_t = 0.5)]
    spread: f32,
    /// --fixations: σ of the Gaussian blur, in pixels.
    #[arg(long, default_value_t = 25.0)]
    sigma: f32,
    /// The folder for maps/ and the new manifest.
    #[arg(long)]
    out: PathBuf,
}

/// `--shape`: how a box becomes a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShapeChoice {
    /// 1 inside the box, 0 outside.
    Hard,
    /// A Gaussian with the box's centre and aspect (σ = --spread × half-size).
    Gaussian,
}

/// Runs `cyborg maps`.
pub fn run(args: &MapsArgs) -> Result<(), CliError> {
    let Some(manifest_in) = &args.manifest else {
        return merge(&args.merge, &args.out);
    };
    let annotations = annotations(args)?;
    let records = read_manifest(manifest_in, None)?;
    let attached = attach_annotation_maps(&records, &annotations, &args.out.join("maps"))?;
    let name = manifest_in
        .file_name()
        .ok_or_else(|| CliError::Usage(format!("{}: not a file", manifest_in.display())))?;
    let manifest = args.out.join(name);
    if manifest == *manifest_in {
        return Err(CliError::Usage(format!(
            "--out {} holds the manifest itself; choose another folder (nothing was overwritten)",
            args.out.display()
        )));
    }
    write_manifest(&manifest, &attached.records)?;
    println!(
        "{} of {} images got a map; wrote {}",
        attached.annotated,
        records.items.len(),
        manifest.display()
    );
    if !attached.unmatched.is_empty() {
        let shown: Vec<&str> = attached
            .unmatched
            .iter()
            .take(5)
            .map(String::as_str)
            .collect();
        eprintln!(
            "{} annotated images are not in {}: {}{}",
            attached.unmatched.len(),
            manifest_in.display(),
            shown.join(", "),
            if attached.unmatched.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// `--merge`: the annotators' mean maps and agreement, summarised in a few lines.
fn merge(folders: &[PathBuf], out: &Path) -> Result<(), CliError> {
    let summary = cyborg_annotate::merge_annotators(folders, out)?;
    let number = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.3}"));
    println!(
        "{} annotators ({}); {} of {} images have a map; wrote {}",
        summary.annotators.len(),
        summary.annotators.join(", "),
        summary.merged,
        summary.images,
        summary.manifest.display()
    );
    println!(
        "agreement over the {} images with two maps or more: Pearson {}, IoU {} (per image: {})",
        summary.compared,
        number(summary.pearson),
        number(summary.iou),
        summary.table.display()
    );
    if !summary.least_agreeing.is_empty() {
        println!("least agreeing (IoU):");
        for (image, iou) in summary.least_agreeing.iter().take(5) {
            println!("  {iou:.3}  {}", image.display());
        }
    }
    Ok(())
}

fn annotations(args: &MapsArgs) -> Result<MapAnnotations, CliError> {
    let shape = match args.shape {
        ShapeChoice::Hard => BoxShape::Hard,
        ShapeChoice::Gaussian if args.spread > 0.0 && args.spread.is_finite() => {
            BoxShape::Gaussian {
                spread: args.spread,
            }
        }
        ShapeChoice::Gaussian => {
            return Err(CliError::Usage(format!(
                "--spread must be a positive number, got {}",
                args.spread
            )));
        }
    };
    match (&args.boxes, &args.voc, &args.fixations) {
        (Some(csv), None, None) => Ok(MapAnnotations::Boxes {
            boxes: read_box_csv(csv)?,
            shape,
        }),
        (None, Some(folder), None) => Ok(MapAnnotations::Boxes {
            boxes: read_voc_folder(folder)?,
            shape,
        }),
        (None, None, Some(csv)) => {
            if !(args.sigma.is_finite() && args.sigma >= 0.0) {
                return Err(CliError::Usage(format!(
                    "--sigma must be a number >= 0, got {}",
                    args.sigma
                )));
            }
            Ok(MapAnnotations::Fixations {
                fixations: read_fixation_csv(csv)?,
                sigma: args.sigma,
            })
        }
        _ => Err(CliError::Usage(
            "give one of --boxes, --voc or --fixations".into(),
        )),
    }
}

/// Every `*.xml` of `folder`, keyed by its `<filename>`.
fn read_voc_folder(folder: &Path) -> Result<BoxAnnotations, CliError> {
    let files = files_with_extensions(folder, &["xml"]).map_err(CliError::io(folder))?;
    if files.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: no .xml annotation files",
            folder.display()
        )));
    }
    let mut boxes = BoxAnnotations::new();
    for file in files {
        let voc = read_voc_xml(&file)?;
        boxes.entry(voc.filename).or_default().extend(voc.boxes);
    }
    Ok(boxes)
}
