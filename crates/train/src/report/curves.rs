//! The measures of a run's history drawn as learning curves: one list for `curves.png` and
//! for the report.

use super::chart::LegendCorner;
use crate::run_folder::history::HistoryRow;

/// A learning-curve panel: its title, what it reads of a history row, its y range (`None`:
/// fitted), and where its legend goes.
pub(crate) type Curve = (
    &'static str,
    fn(&HistoryRow) -> Option<f64>,
    Option<[f64; 2]>,
    LegendCorner,
);

/// Loss terms fitted from 0 (falling: legend upper right); shares on [0, 1] (rising: lower
/// right).
pub(crate) const CURVES: [Curve; 5] = [
    ("loss", |r| r.loss, None, LegendCorner::UpperRight),
    (
        "cross-entropy",
        |r| r.cross_entropy,
        None,
        LegendCorner::UpperRight,
    ),
    (
        "saliency term",
        |r| r.saliency,
        None,
        LegendCorner::UpperRight,
    ),
    (
        "accuracy",
        |r| r.accuracy,
        Some([0.0, 1.0]),
        LegendCorner::LowerRight,
    ),
    ("AUC", |r| r.auc, Some([0.0, 1.0]), LegendCorner::LowerRight),
];
