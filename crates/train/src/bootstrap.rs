//! Summaries over seeds: mean and sample standard deviation, and the percentile bootstrap of
//! a mean, for studies that report "mean ± std" or "mean and 95 % interval over N seeds".

use cyborg_data::SplitMix64;

/// A mean and its percentile-bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The mean of the values.
    pub mean: f64,
    /// The lower end.
    pub low: f64,
    /// The upper end.
    pub high: f64,
}

/// The mean of `values` and their sample standard deviation (divided by `n − 1`; 0 for one
/// value).
///
/// # Panics
/// If `values` is empty.
pub fn mean_and_std(values: &[f64]) -> (f64, f64) {
    assert!(!values.is_empty(), "no values to summarise");
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

/// The mean of `values` and its percentile-bootstrap interval at `level` (0.95 for 95 %):
/// `resamples` means of `values.len()` values drawn with replacement (from a generator seeded
/// with `seed`, so the interval is reproducible), their `(1 − level)/2` and `(1 + level)/2`
/// quantiles (nearest rank). With few values the interval is coarse: five seeds have 126
/// distinct resamples.
///
/// # Panics
/// If `values` is empty, `resamples` is 0, or `level` is not in `(0, 1)`.
pub fn bootstrap_interval(values: &[f64], resamples: usize, level: f64, seed: u64) -> Interval {
    assert!(!values.is_empty(), "no values to bootstrap");
    assert!(resamples > 0, "resamples must be positive");
    assert!(
        level > 0.0 && level < 1.0,
        "level must be in (0, 1), got {level}"
    );
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let mut rng = SplitMix64::new(seed);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| values[rng.below(n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let rank = |q: f64| means[((q * resamples as f64).ceil() as usize).clamp(1, resamples) - 1];
    Interval {
        mean,
        low: rank((1.0 - level) / 2.0),
        high: rank((1.0 + level) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_standard_deviation_by_hand() {
        // Mean 2, squared deviations 1 + 0 + 1 over n − 1 = 2: std 1.
        assert_eq!(mean_and_std(&[1.0, 2.0, 3.0]), (2.0, 1.0));
        assert_eq!(mean_and_std(&[0.4]), (0.4, 0.0));
    }

    #[test]
    fn equal_values_have_a_point_interval() {
        let i = bootstrap_interval(&[0.7; 5], 1000, 0.95, 1);
        assert_eq!((i.mean, i.low, i.high), (0.7, 0.7, 0.7));
    }

    #[test]
    fn two_values_give_the_quantiles_of_a_binomial_mean() {
        // Means of 10 draws from {0, 1} are Binomial(10, ½) / 10: P(≤ 0.2) = 56/1024 ≈ 5.5 %,
        // P(≤ 0.1) ≈ 1.1 %, so the 2.5 % quantile is 0.2 and the 97.5 % one 0.8.
        let values: Vec<f64> = (0..10).map(|i| (i % 2) as f64).collect();
        let i = bootstrap_interval(&values, 20_000, 0.95, 7);
        assert_eq!(i.mean, 0.5);
        assert_eq!((i.low, i.high), (0.2, 0.8));
        // Reproducible from the seed.
        assert_eq!(bootstrap_interval(&values, 20_000, 0.95, 7), i);
    }
}
