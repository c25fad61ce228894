//! Area under the ROC curve, exact, with ties handled as half-wins (Mann–Whitney U).

use serde::{Deserialize, Serialize};

/// How a two-class model's logits become the score the ROC curve ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AucScore {
    /// `sigmoid(logit of class 1)`, as the CYBORG paper's code scores "synthetic".
    #[default]
    PositiveLogit,
    /// The softmax probability of class 1 (`sigmoid(logit₁ − logit₀)`).
    Softmax,
}

/// The ROC AUC of `scores` for `positives` (true where the example is of the positive
/// class): the probability that a random positive scores above a random negative, ties
/// counting one half. `None` when either class is absent (the AUC is undefined).
///
/// Computed exactly from ranks in `O(n log n)`; NaN scores rank lowest.
pub fn roc_auc(scores: &[f64], positives: &[bool]) -> Option<f64> {
    let (n_pos, n_neg) = class_counts(scores, positives)?;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    let key = |i: usize| rank_key(scores[i]);
    order.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
    // Sum of the (1-based, tie-averaged) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && key(order[end]) == key(order[start]) {
            end += 1;
        }
        let average_rank = (start + 1 + end) as f64 / 2.0;
        let positives_here = order[start..end].iter().filter(|&&i| positives[i]).count();
        rank_sum += average_rank * positives_here as f64;
        start = end;
    }
    let u = rank_sum - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Some(u / (n_pos as f64 * n_neg as f64))
}

/// The ROC curve of `scores` for `positives`: `[false positive rate, true positive rate]`
/// points from `[0, 0]` to `[1, 1]`, one more per distinct score from the highest down. Tied
/// scores move both rates at once (a diagonal step, whose trapezoid counts the ties one half),
/// so the area under the points is [`roc_auc`]. `None` when either class is absent; NaN
/// scores rank lowest.
pub fn roc_curve(scores: &[f64], positives: &[bool]) -> Option<Vec<[f64; 2]>> {
    let (n_pos, n_neg) = class_counts(scores, positives)?;
    let key = |i: usize| rank_key(scores[i]);
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)));
    let mut points = vec![[0.0, 0.0]];
    let (mut true_positives, mut false_positives) = (0usize, 0usize);
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && key(order[end]) == key(order[start]) {
            end += 1;
        }
        for &i in &order[start..end] {
            if positives[i] {
                true_positives += 1;
            } else {
                false_positives += 1;
            }
        }
        points.push([
            false_positives as f64 / n_neg as f64,
            true_positives as f64 / n_pos as f64,
        ]);
        start = end;
    }
    Some(points)
}

/// The numbers of positives and negatives, `None` when either is zero.
///
/// # Panics
/// If `scores` and `positives` differ in length.
fn class_counts(scores: &[f64], positives: &[bool]) -> Option<(usize, usize)> {
    assert_eq!(
        scores.len(),
        positives.len(),
        "{} scores for {} labels",
        scores.len(),
        positives.len()
    );
    let n_pos = positives.iter().filter(|&&p| p).count();
    let n_neg = positives.len() - n_pos;
    (n_pos > 0 && n_neg > 0).then_some((n_pos, n_neg))
}

/// A score as it ranks: NaN lowest.
fn rank_key(score: f64) -> f64 {
    if score.is_nan() {
        f64::NEG_INFINITY
    } else {
        score
    }
}

/// One-vs-rest ROC AUC averaged over the classes that have both positives and negatives
/// (macro average, as scikit-learn's `roc_auc_score(multi_class="ovr", average="macro")`).
/// `probabilities` is row-major `[n, classes]`. `None` when no class qualifies.
pub fn macro_auc(probabilities: &[f64], labels: &[usize], classes: usize) -> Option<f64> {
    assert_eq!(
        probabilities.len(),
        labels.len() * classes,
        "{} probabilities for {} labels of {classes} classes",
        probabilities.len(),
        labels.len()
    );
    let aucs: Vec<f64> = (0..classes)
        .filter_map(|class| {
            let scores: Vec<f64> = probabilities
                .iter()
                .skip(class)
                .step_by(classes)
                .copied()
                .collect();
            let positives: Vec<bool> = labels.iter().map(|&l| l == class).collect();
            roc_auc(&scores, &positives)
        })
        .collect();
    (!aucs.is_empty()).then(|| aucs.iter().sum::<f64>() / aucs.len() as f64)
}

#[cfg(test)]
mod tests {
    /// Area under `points` by trapezoids.
    fn area(points: &[[f64; 2]]) -> f64 {
        points
            .windows(2)
            .map(|w| (w[1][0] - w[0][0]) * (w[1][1] + w[0][1]) / 2.0)
            .sum()
    }

    #[test]
    fn the_roc_curve_by_hand_and_its_area_is_the_auc() {
        // Descending: 0.9 (pos), 0.7 (neg, tied with a pos), 0.2 (neg).
        let scores = [0.9, 0.7, 0.7, 0.2];
        let positives = [true, false, true, false];
        let curve = roc_curve(&scores, &positives).unwrap();
        assert_eq!(curve, vec![[0.0, 0.0], [0.0, 0.5], [0.5, 1.0], [1.0, 1.0]]);
        // 1 − (one tie counted half out of 4 pairs) = 0.875, both ways.
        assert_eq!(roc_auc(&scores, &positives), Some(0.875));
        assert_eq!(area(&curve), 0.875);
        // Many ties and a NaN: still the same area.
        let scores: Vec<f64> = (0..40)
            .map(|i| ((i * 7) % 5) as f64 / 4.0)
            .chain([f64::NAN])
            .collect();
        let positives: Vec<bool> = (0..41).map(|i| (i * 3) % 4 == 0).collect();
        let curve = roc_curve(&scores, &positives).unwrap();
        let auc = roc_auc(&scores, &positives).unwrap();
        assert!(
            (area(&curve) - auc).abs() < 1e-12,
            "{} vs {auc}",
            area(&curve)
        );
        assert_eq!(roc_curve(&[0.1], &[true]), None);
    }

    use super::*;

    #[test]
    fn perfect_reversed_and_tied_rankings() {
        let labels = [false, false, true, true];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.3, 0.4], &labels), Some(1.0));
        assert_eq!(roc_auc(&[0.4, 0.3, 0.2, 0.1], &labels), Some(0.0));
        assert_eq!(roc_auc(&[0.5; 4], &labels), Some(0.5));
    }

    #[test]
    fn hand_counted_pairs() {
        // positives 0.35, 0.8; negatives 0.1, 0.4, 0.35
        // pairs: 0.35 vs (0.1 win, 0.4 loss, 0.35 tie) = 1.5; 0.8 wins all = 3 -> 4.5 / 6
        let scores = [0.1, 0.4, 0.35, 0.8, 0.35];
        let positives = [false, false, true, true, false];
        assert!((roc_auc(&scores, &positives).unwrap() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn one_class_only_is_undefined() {
        assert_eq!(roc_auc(&[0.1, 0.2], &[true, true]), None);
    }

    #[test]
    fn macro_average_over_classes() {
        // class 0 ranked perfectly (1.0), class 1 perfectly reversed (0.0), class 2 absent
        // from the labels (skipped): mean 0.5
        let probabilities = [
            0.9, 0.3, 0.1, //
            0.8, 0.2, 0.1, //
            0.1, 0.1, 0.9, //
            0.2, 0.0, 0.7,
        ];
        let labels = [0, 0, 1, 1];
        assert_eq!(macro_auc(&probabilities, &labels, 3), Some(0.5));
    }
}
