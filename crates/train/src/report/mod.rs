//! `report.html`: one self-contained page comparing any number of runs (feature `pictures`).
//!
//! Each run folder is read as it is ([`ReportRun::read`]: whatever is missing or damaged is
//! named on the page, the rest shown): its recipe and model, the best model's measures on
//! every set side by side with the best of each row marked, the learning curves of all runs
//! on shared axes, the ROC curves per set, and, where the caller ran the models
//! ([`cam_gallery`]), the same test images through each run's best model. Charts are inline
//! SVG drawn by [`Chart`], the same drawing as the run folder's PNG pictures
//! ([`charts_picture`]); pictures are `data:` URLs; nothing is fetched when the page opens.

pub(crate) mod cams_picture;
mod chart;
mod curves;
mod gallery;
mod html;
mod interval_chart;
pub(crate) mod plots;
mod run_data;

use std::path::{Path, PathBuf};

pub use chart::{Chart, ChartSeries, LegendCorner, PALETTE, charts_picture};
pub use gallery::{Gallery, GalleryCam, GalleryConfig, GalleryModel, GalleryRow, cam_gallery};
pub use html::report_html;
pub use interval_chart::{IntervalPanel, IntervalRow, interval_chart_picture};
pub use run_data::{ReportRun, run_names};

use crate::report::plots::PlotError;

/// The report a run folder holds of itself.
pub const REPORT_FILE: &str = "report.html";

/// Reads each folder of `dirs` as a run of the report, named after its folder (made unique).
pub fn read_report_runs(dirs: &[PathBuf]) -> Vec<ReportRun> {
    run_names(dirs)
        .into_iter()
        .zip(dirs)
        .map(|(name, dir)| ReportRun::read(dir, name))
        .collect()
}

/// Writes the report of `runs` (and `gallery`) to `out`, atomically.
///
/// # Errors
/// [`PlotError::Write`] if the file cannot be written.
pub fn write_report(
    runs: &[ReportRun],
    gallery: Option<&Gallery>,
    out: &Path,
) -> Result<(), PlotError> {
    let page = report_html(runs, gallery);
    cyborg_atomic_write::write_bytes_atomically(out, page.as_bytes()).map_err(|source| {
        PlotError::Write {
            path: out.to_path_buf(),
            source,
        }
    })
}
