//! Pictures of a run, drawn from the files in its folder alone (feature `pictures`).

use std::path::{Path, PathBuf};

use cyborg_cam::{LineChartConfig, LinePanel, PictureError, Series, line_chart, save_png};

use crate::history::{HISTORY_FILE, HistoryError, HistoryRow, read_history};

/// The training curves' picture in a run folder.
pub const CURVES_FILE: &str = "curves.png";

/// Why a run's pictures could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// `dir` is not a run folder (no `history.csv`).
    #[error("{0} is not a run folder with a history (no {HISTORY_FILE}); train into it first")]
    NotARun(PathBuf),
    /// `history.csv` could not be read.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// `history.csv` has no rows yet.
    #[error("{0}: no epoch has ended yet, nothing to draw")]
    Empty(PathBuf),
    /// The picture could not be written.
    #[error(transparent)]
    Picture(#[from] PictureError),
}

/// What a curve shows of a history row.
type Measure = fn(&HistoryRow) -> Option<f64>;

/// Draws `dir/curves.png` from `dir/history.csv` (and `dir/best.json` where it is): one panel
/// per measure (loss, cross-entropy, saliency term where logged, accuracy, AUC where logged)
/// with the epoch on the x axis, training against validation, the best epoch marked by a
/// dashed line. Returns the picture's path.
///
/// # Errors
/// [`PlotError::NotARun`] without `history.csv`, [`PlotError::History`] if it cannot be read,
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
    let measures: [(&str, Measure); 5] = [
        ("loss", |r| r.loss),
        ("cross-entropy", |r| r.cross_entropy),
        ("saliency term", |r| r.saliency),
        ("accuracy", |r| r.accuracy),
        ("AUC", |r| r.auc),
    ];
    let panels: Vec<LinePanel> = measures
        .iter()
        .filter_map(|(title, value)| {
            let series: Vec<Series> = ["train", "valid"]
                .iter()
                .map(|split| Series {
                    label: (*split).into(),
                    points: rows
                        .iter()
                        .filter(|r| r.split == *split)
                        .filter_map(|r| Some([r.epoch as f64, value(r)?]))
                        .collect(),
                })
                .collect();
            series
                .iter()
                .any(|s| !s.points.is_empty())
                .then(|| LinePanel {
                    title: (*title).into(),
                    series,
                    x_range: None,
                    y_range: None,
                    marks: best.into_iter().map(|e| e as f64).collect(),
                    diagonal: false,
                })
        })
        .collect();
    let path = dir.join(CURVES_FILE);
    save_png(&line_chart(&LineChartConfig::new(), &panels), &path)?;
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
        let single = line_chart(
            &LineChartConfig::new(),
            &[LinePanel {
                title: String::new(),
                series: vec![],
                x_range: None,
                y_range: None,
                marks: vec![],
                diagonal: false,
            }],
        );
        assert_eq!(picture.width(), 2 * single.width());
        assert_eq!(picture.height(), 2 * single.height());
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
