//! Pictures of a run, drawn from the files in its folder alone (feature `pictures`).

use std::path::{Path, PathBuf};

use cyborg_cam::{PictureError, save_png};

use crate::error::RunFileError;
use crate::report::curves::CURVES;
use crate::report::{Chart, ChartSeries, charts_picture};
use crate::run_folder::history::{HISTORY_FILE, read_history};
use crate::run_folder::run_file::{csv_files, read_classes};
use crate::run_folder::scores::{SCORES_FOLDER, read_scores};

/// The training curves' picture in a run folder.
pub const CURVES_FILE: &str = "curves.png";

/// One panel of `curves.png`, `(width, height)` in pixels.
const CURVE_PANEL: (u32, u32) = (440, 320);
/// A ROC picture.
const ROC_PANEL: (u32, u32) = (440, 420);

/// Why a run's pictures could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// `dir` is not a run folder (no `history.csv`).
    #[error("{0} is not a run folder with a history (no {HISTORY_FILE}); train into it first")]
    NotARun(PathBuf),
    /// `history.csv` or a score file could not be read.
    #[error(transparent)]
    File(#[from] RunFileError),
    /// `history.csv` has no rows yet.
    #[error("{0}: no epoch has ended yet, nothing to draw")]
    Empty(PathBuf),
    /// The picture could not be written.
    #[error(transparent)]
    Picture(#[from] PictureError),
    /// An image or map of the set to draw could not be read.
    #[error(transparent)]
    Data(#[from] cyborg_data::DataError),
    /// No image of the set has a human map to compare the CAM with.
    #[error("no image of the set has a human map: no cams.png")]
    NoMaps,
    /// The model's head does not pool its feature maps (a class-token ViT): no CAM explains
    /// its decisions.
    #[error(
        "the model's head does not pool its feature maps: its CAMs explain nothing, no cams.png"
    )]
    NotPooled,
    /// A report could not be written.
    #[error("{path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

/// Draws every picture of a run folder from its files: [`draw_curves`], and [`draw_roc`] once
/// the run has been evaluated. Returns the pictures' paths.
///
/// # Errors
/// As [`draw_curves`] and [`draw_roc`].
pub fn draw_run_pictures(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let mut pictures = vec![draw_curves(dir)?];
    if dir.join(SCORES_FOLDER).is_dir() {
        pictures.extend(draw_roc(dir)?);
    }
    Ok(pictures)
}

/// Draws `dir/roc-<set>.png` for each score file `dir/scores/<set>.csv` that evaluating the
/// best model wrote (`val`, `test-<name>`): the ROC curve with its AUC in the legend, class 1
/// against class 0 for two classes, each class against the rest for more (up to ten curves
/// are told apart by colour), the chance diagonal dashed. The class order is the run's
/// `classes.json`. Returns the pictures' paths, in the files' name order.
///
/// # Errors
/// [`PlotError::File`] without a readable `classes.json` or for a score file that does not
/// read, [`PlotError::Picture`] if a PNG cannot be written.
pub fn draw_roc(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let classes = read_classes(dir)?;
    let mut pictures = Vec::new();
    for file in csv_files(&dir.join(SCORES_FOLDER))? {
        let scores = read_scores(&file, &classes)?;
        let stem = file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let series: Vec<ChartSeries> = scores
            .roc_curves()
            .into_iter()
            .enumerate()
            .map(|(i, curve)| ChartSeries {
                label: format!("{}: AUC {:.3}", curve.class, curve.auc),
                points: curve.points,
                color: i,
                dashed: false,
            })
            .collect();
        let chart = Chart::roc(&stem, series);
        let path = dir.join(format!("roc-{stem}.png"));
        save_png(&charts_picture(&[chart], 1, ROC_PANEL), &path)?;
        pictures.push(path);
    }
    Ok(pictures)
}

/// Draws `dir/curves.png` from `dir/history.csv` (and `dir/best.json` where it is): one panel
/// per measure (loss, cross-entropy, saliency term where logged, accuracy, AUC where logged)
/// with the epoch on the x axis, training against validation, the best epoch marked by a
/// dashed line. Returns the picture's path.
///
/// # Errors
/// [`PlotError::NotARun`] without `history.csv`, [`PlotError::File`] if it cannot be read,
/// [`PlotError::Empty`] without rows, [`PlotError::Picture`] if the PNG cannot be written.
pub fn draw_curves(dir: &Path) -> Result<PathBuf, PlotError> {
    let history = dir.join(HISTORY_FILE);
    if !history.is_file() {
        return Err(PlotError::NotARun(dir.to_path_buf()));
    }
    let rows = read_history(&history)?;
    if rows.is_empty() {
        return Err(PlotError::Empty(history));
    }
    let best = best_epoch(dir);
    let charts: Vec<Chart> = CURVES
        .iter()
        .filter_map(|&(title, value, y_range, legend)| {
            let series: Vec<ChartSeries> = ["train", "valid"]
                .iter()
                .enumerate()
                .map(|(color, split)| ChartSeries {
                    label: (*split).into(),
                    points: rows
                        .iter()
                        .filter(|r| r.split == *split)
                        .filter_map(|r| Some([r.epoch as f64, value(r)?]))
                        .collect(),
                    color,
                    dashed: false,
                })
                .collect();
            series.iter().any(|s| !s.points.is_empty()).then(|| Chart {
                title: title.into(),
                x_label: "epoch".into(),
                y_label: title.into(),
                x_range: None,
                y_range,
                series,
                marks: best.into_iter().map(|e| e as f64).collect(),
                diagonal: false,
                legend,
            })
        })
        .collect();
    let path = dir.join(CURVES_FILE);
    save_png(&charts_picture(&charts, 2, CURVE_PANEL), &path)?;
    Ok(path)
}

/// The best epoch `best.json` records, if it is there and readable.
fn best_epoch(dir: &Path) -> Option<usize> {
    let text = std::fs::read_to_string(dir.join("best.json")).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get("epoch")?.as_u64().map(|e| e as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_the_curves_of_a_history() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from(
            "epoch,split,loss,cross_entropy,saliency,accuracy,auc,learning_rate,seconds\n",
        );
        for epoch in 1..=3 {
            let loss = 1.0 / epoch as f64;
            text += &format!("{epoch},train,{loss},{loss},,0.{epoch},,0.005,1\n");
            text += &format!("{epoch},valid,{loss},{loss},,0.{epoch},0.9,,1\n");
        }
        std::fs::write(dir.path().join(HISTORY_FILE), text).unwrap();
        std::fs::write(dir.path().join("best.json"), r#"{"epoch": 2}"#).unwrap();
        let path = draw_curves(dir.path()).unwrap();
        let picture = image::open(&path).unwrap();
        // Four panels (no saliency term), two to a line: two lines of two.
        assert_eq!(picture.width(), 2 * CURVE_PANEL.0);
        assert_eq!(picture.height(), 2 * CURVE_PANEL.1);
    }

    #[test]
    fn draws_one_roc_picture_per_score_file() {
        let dir = tempfile::tempdir().unwrap();
        let error = draw_roc(dir.path()).unwrap_err();
        assert!(
            matches!(error, PlotError::File(RunFileError::Io { .. })),
            "{error}"
        );
        std::fs::write(dir.path().join("classes.json"), "{}").unwrap();
        let error = draw_roc(dir.path()).unwrap_err();
        assert!(
            error.to_string().contains("not a list of class names"),
            "{error}"
        );
        std::fs::write(dir.path().join("classes.json"), r#"["real", "fake"]"#).unwrap();
        let scores = dir.path().join(SCORES_FOLDER);
        std::fs::create_dir_all(&scores).unwrap();
        std::fs::write(
            scores.join("val.csv"),
            "image,label,score\na,real,0.2\nb,fake,0.7\nc,fake,0.1\n",
        )
        .unwrap();
        std::fs::write(scores.join("test-x.csv"), "image,label,score\na,real,0.2\n").unwrap();
        let pictures = draw_roc(dir.path()).unwrap();
        assert_eq!(
            pictures,
            [
                dir.path().join("roc-test-x.png"),
                dir.path().join("roc-val.png")
            ]
        );
        assert!(pictures.iter().all(|p| image::open(p).is_ok()));
        // The AUC in the legend: positives 0.7 and 0.1 against 0.2.
        let classes = ["real".to_string(), "fake".to_string()];
        let val = read_scores(&scores.join("val.csv"), &classes).unwrap();
        assert_eq!(val.roc_curves()[0].auc, 0.5);
        std::fs::write(scores.join("val.csv"), "image,label,score\na,cat,0.2\n").unwrap();
        let error = draw_roc(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("val.csv:2: unknown class \"cat\""),
            "{error}"
        );
    }

    #[test]
    fn a_folder_without_history_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let error = draw_curves(dir.path()).unwrap_err();
        assert!(matches!(error, PlotError::NotARun(_)), "{error}");
        std::fs::write(
            dir.path().join(HISTORY_FILE),
            "epoch,split,loss,cross_entropy,saliency,accuracy,auc,learning_rate,seconds\n",
        )
        .unwrap();
        assert!(matches!(
            draw_curves(dir.path()).unwrap_err(),
            PlotError::Empty(_)
        ));
    }
}
