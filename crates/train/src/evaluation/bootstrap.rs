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

impl std::fmt::Display for Interval {
    /// `mean [low, high]` with three decimals.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.3} [{:.3}, {:.3}]", self.mean, self.low, self.high)
    }
}

/// The mean of `values` with its 95 % percentile-bootstrap interval: [`bootstrap_interval`]
/// with 10,000 resamples from seed 0, what the examples report.
///
/// # Panics
/// If `values` is empty.
pub fn interval95(values: &[f64]) -> Interval {
    bootstrap_interval(values, 10_000, 0.95, 0)
}

/// Each seed's share of the gap from `floor` (cross-entropy's score) to `ceiling` (the
/// clean ceiling's) that `values` close: `(value − floor) / (ceiling − floor)`, seed by seed
/// (1 = as good as the ceiling, 0 = no better than cross-entropy). `None` unless every seed's
/// gap is at least `min_gap`: a share of a gap within the noise means nothing.
///
/// # Panics
/// If the three slices differ in length.
pub fn gap_closed(
    values: &[f64],
    floor: &[f64],
    ceiling: &[f64],
    min_gap: f64,
) -> Option<Vec<f64>> {
    assert!(
        values.len() == floor.len() && floor.len() == ceiling.len(),
        "one value per seed in each of the three"
    );
    floor
        .iter()
        .zip(ceiling)
        .all(|(f, c)| c - f >= min_gap)
        .then(|| {
            values
                .iter()
                .zip(floor.iter().zip(ceiling))
                .map(|(v, (f, c))| (v - f) / (c - f))
                .collect()
        })
}

/// The share of the gap from `floor` (cross-entropy's score) to `ceiling` (the clean
/// ceiling's) that `values` close, from the means over seeds: `(mean(values) − mean(floor)) /
/// (mean(ceiling) − mean(floor))`, with its 95 % percentile interval from a paired bootstrap
/// (each of 10,000 resamples draws seeds with replacement and takes the same seeds from all
/// three; seeded, so reproducible). Where [`gap_closed`] needs the gap on every seed, this
/// needs it on average: one seed where cross-entropy happened to do well does not empty the
/// table.
///
/// `None` when the mean gap is under `min_gap`, or when more than 5 % of the resamples have a
/// gap under `min_gap` (the gap is then within the seeds' noise and a share of it means
/// nothing); resamples with a smaller gap are left out of the interval otherwise.
///
/// # Panics
/// If the three slices differ in length or are empty.
pub fn gap_closed_of_means(
    values: &[f64],
    floor: &[f64],
    ceiling: &[f64],
    min_gap: f64,
) -> Option<Interval> {
    assert!(
        values.len() == floor.len() && floor.len() == ceiling.len(),
        "one value per seed in each of the three"
    );
    assert!(!values.is_empty(), "no seeds");
    let n = values.len();
    let share = |seeds: &mut dyn Iterator<Item = usize>| {
        let (mut v, mut f, mut c) = (0.0, 0.0, 0.0);
        for i in seeds {
            (v, f, c) = (v + values[i], f + floor[i], c + ceiling[i]);
        }
        let gap = (c - f) / n as f64;
        (gap >= min_gap).then(|| (v - f) / (c - f))
    };
    let mean = share(&mut (0..n))?;
    const RESAMPLES: usize = 10_000;
    let mut rng = SplitMix64::new(0);
    let mut shares: Vec<f64> = (0..RESAMPLES)
        .filter_map(|_| share(&mut (0..n).map(|_| rng.below(n))))
        .collect();
    if shares.len() * 20 < RESAMPLES * 19 {
        return None;
    }
    shares.sort_by(f64::total_cmp);
    Some(Interval {
        mean,
        low: nearest_rank(&shares, 0.025),
        high: nearest_rank(&shares, 0.975),
    })
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
    Interval {
        mean,
        low: nearest_rank(&means, (1.0 - level) / 2.0),
        high: nearest_rank(&means, (1.0 + level) / 2.0),
    }
}

/// The `q` quantile of non-empty `sorted` values by the nearest-rank rule: the value of rank
/// `⌈q · n⌉`, at least the first.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    sorted[((q * n as f64).ceil() as usize).clamp(1, n) - 1]
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
    fn gap_closed_seed_by_seed_by_hand() {
        // Seed 0: 0.5 → 1.0, value 0.95 closes 0.9; seed 1: 0.2 → 0.6, value 0.2 closes 0.
        let shares = gap_closed(&[0.95, 0.2], &[0.5, 0.2], &[1.0, 0.6], 0.05).unwrap();
        assert!(
            (shares[0] - 0.9).abs() < 1e-12 && shares[1] == 0.0,
            "{shares:?}"
        );
        // One seed's gap under the threshold: no shares.
        assert_eq!(
            gap_closed(&[0.9, 0.9], &[0.5, 0.58], &[1.0, 0.6], 0.05),
            None
        );
        assert_eq!(interval95(&[0.7; 3]).to_string(), "0.700 [0.700, 0.700]");
    }

    #[test]
    fn gap_closed_of_means_by_hand() {
        // Means: floor 0.5, ceiling 0.9, values 0.8: (0.8 − 0.5) / (0.9 − 0.5) = 0.75. The
        // second seed's gap (0.2) is under 0.3, which empties the seed-by-seed share at 0.3;
        // the means' share needs 0.1 of every resample.
        let (values, floor, ceiling) = ([0.9, 0.7], [0.3, 0.7], [0.9, 0.9]);
        assert_eq!(gap_closed(&values, &floor, &ceiling, 0.3), None);
        let i = gap_closed_of_means(&values, &floor, &ceiling, 0.1).unwrap();
        assert!((i.mean - 0.75).abs() < 1e-12, "{i}");
        // Resamples: both seed 0 (share 1), both seed 1 (gap 0.2: share 0), one of each (0.75).
        assert_eq!((i.low, i.high), (0.0, 1.0));
        // Identical seeds: a point interval.
        let i = gap_closed_of_means(&[0.8; 4], &[0.5; 4], &[0.9; 4], 0.1).unwrap();
        assert!((i.mean - 0.75).abs() < 1e-12 && i.low == i.mean && i.high == i.mean);
        // A mean gap under the threshold, or one that resamples lose too often: nothing.
        assert_eq!(
            gap_closed_of_means(&[0.8; 2], &[0.5, 0.85], &[0.9; 2], 0.25),
            None
        );
        assert_eq!(
            gap_closed_of_means(&[0.8; 2], &[0.5, 0.75], &[0.9; 2], 0.25),
            None
        );
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
