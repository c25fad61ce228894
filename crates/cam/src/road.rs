//! ROAD, RemOve And Debias (Rong et al., *A Consistent and Efficient Evaluation Strategy for
//! Attribution Methods*, ICML 2022), as pytorch-grad-cam computes it
//! (`pytorch_grad_cam/metrics/road.py`): how much the target score changes when the pixels an
//! explanation ranks highest (or lowest) are replaced by noisy linear imputation from their
//! neighbours ([`crate::imputation`]), averaged over several shares of the image.
//!
//! A faithful explanation makes the score drop fast when its most relevant pixels go
//! (most-relevant-first, lower is better) and barely move when its least relevant ones go
//! (least-relevant-first, higher is better); the combined score, `(LeRF − MoRF) / 2`, is higher
//! for a more faithful method.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::backbone::CamBackbone;
use crate::explain::Target;
use crate::imputation::impute;
use crate::random::SeededRandom;

/// Which pixels ROAD removes at percentile `p`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RoadRemoval {
    /// pytorch-grad-cam's rule: keep the pixels whose value is strictly below the map's `p`-th
    /// percentile (`np.percentile`, linear interpolation, compared in `f32`). Where many pixels
    /// share the threshold's value, they all go: a map that is zero on more than `p` % of the
    /// image (ReLU) loses the whole image at most-relevant-first, whatever the method.
    #[default]
    Threshold,
    /// Remove exactly `round((100 − p) % · pixels)` pixels, the highest-ranked first, ties
    /// broken by position (the first pixel in row-major order ranks higher): every method
    /// removes the same share, so sparse maps are compared fairly with dense ones.
    Rank,
}

/// Options of [`road`].
#[derive(Config, Debug)]
pub struct RoadConfig {
    /// Percentiles of each map, in `(0, 100)`: at percentile `p`, most-relevant-first keeps
    /// about `p` % of the pixels, those ranked lowest (it removes the top `100 − p` %),
    /// least-relevant-first the same on `1 − map`. The scores are averaged over them
    /// (pytorch-grad-cam's `ROAD*Average`: 10, 20, …, 90).
    #[config(default = "vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]")]
    pub percentiles: Vec<f64>,
    /// How ties at the percentile are treated.
    #[config(default = "RoadRemoval::Threshold")]
    pub removal: RoadRemoval,
    /// Standard deviation of the Gaussian noise added to each imputed value (pytorch-grad-cam's
    /// `NoisyLinearImputer(noise=0.01)`, in the units of the model's input); 0 for none.
    #[config(default = 0.01)]
    pub noise: f64,
    /// Seed of the noise.
    #[config(default = 0)]
    pub seed: u64,
    /// The index of the batch's first image in the whole set: each image's noise is drawn from
    /// (`seed`, its index, order, percentile), so the scores do not depend on how the set was
    /// cut into batches.
    #[config(default = 0)]
    pub first_image: usize,
}

/// ROAD scores per image.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadScores {
    /// Most relevant first: the mean over the percentiles of `score(imputed) − score(image)`.
    /// Lower (a larger drop) is more faithful.
    pub most_relevant_first: Vec<f64>,
    /// Least relevant first, the same with the least relevant pixels removed. Higher (a
    /// smaller drop) is more faithful.
    pub least_relevant_first: Vec<f64>,
    /// `(least_relevant_first − most_relevant_first) / 2` (pytorch-grad-cam's `ROADCombined`):
    /// higher is more faithful.
    pub combined: Vec<f64>,
}

/// Which end of the map is removed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    MostRelevantFirst,
    LeastRelevantFirst,
}

/// Why [`try_road`] refused its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoadError {
    /// [`RoadConfig::percentiles`] is empty.
    #[error("ROAD needs at least one percentile")]
    NoPercentiles,
    /// A percentile outside `(0, 100)`.
    #[error("ROAD percentiles must be in (0, 100), got {0}")]
    Percentile(f64),
    /// Maps whose shape is not `[batch, height, width]` of the images.
    #[error("maps {maps:?} must be [batch, height, width] of images {images:?}")]
    Shape {
        /// The maps' shape.
        maps: [usize; 3],
        /// The images' shape.
        images: [usize; 4],
    },
    /// A custom score or Finer-CAM's: ROAD reads a class's logit.
    #[error("ROAD needs a class target (Classes or Predicted), not a custom score")]
    CustomScore,
}

/// [`road`] after checking what it would otherwise panic on.
///
/// # Errors
/// [`RoadError`], naming the value at fault.
///
/// # Shapes
/// As [`road`].
pub fn try_road<M: CamBackbone>(
    model: &M,
    images: Tensor<4>,
    maps: Tensor<3>,
    target: &Target,
    config: &RoadConfig,
) -> Result<RoadScores, RoadError> {
    check(&images, &maps, target, config)?;
    Ok(road(model, images, maps, target, config))
}

/// What [`road`] asserts and [`try_road`] returns as an error.
fn check(
    images: &Tensor<4>,
    maps: &Tensor<3>,
    target: &Target,
    config: &RoadConfig,
) -> Result<(), RoadError> {
    if config.percentiles.is_empty() {
        return Err(RoadError::NoPercentiles);
    }
    if let Some(&p) = config
        .percentiles
        .iter()
        .find(|p| !(**p > 0.0 && **p < 100.0))
    {
        return Err(RoadError::Percentile(p));
    }
    let [batch, _, height, width] = images.dims();
    if maps.dims() != [batch, height, width] {
        return Err(RoadError::Shape {
            maps: maps.dims(),
            images: images.dims(),
        });
    }
    if matches!(target, Target::Score(_) | Target::Finer { .. }) {
        return Err(RoadError::CustomScore);
    }
    Ok(())
}

/// ROAD scores of `maps` (one explanation per image, at the image's size) for `model`'s
/// `target` score, which must be a class target ([`Target::Classes`] or [`Target::Predicted`];
/// the predicted classes are those of the unperturbed images). The score is the target's raw
/// logit, as pytorch-grad-cam's `ClassifierOutputTarget`.
///
/// The imputation runs on the host, the images of the batch in parallel: each removed pixel
/// becomes the weighted mean of its eight neighbours (removed ones included), a sparse
/// symmetric positive definite system per image, solved by conjugate gradients in `f64`, then
/// Gaussian noise is added. Two forward passes of the batch per percentile. The solves grow
/// with the image: at 224×224 a 90 % removal has 45,000 unknowns and takes several hundred
/// iterations per channel.
///
/// # Shapes
/// - images: `[batch, channels, height, width]`
/// - maps: `[batch, height, width]`
///
/// # Panics
/// If the shapes disagree, a percentile is outside `(0, 100)`, there are none, or the target
/// is a custom score ([`try_road`] returns these as errors).
pub fn road<M: CamBackbone>(
    model: &M,
    images: Tensor<4>,
    maps: Tensor<3>,
    target: &Target,
    config: &RoadConfig,
) -> RoadScores {
    if let Err(error) = check(&images, &maps, target, config) {
        panic!("{error}");
    }
    let images = images.inner();
    let device = images.device();
    let [batch, channels, height, width] = images.dims();
    let logits = model.forward_classified(images.clone()).logits.inner();
    let classes = target.classes(&logits).expect("checked: a class target");
    let original = host(target.score(logits, Some(&classes)));
    let pixels = host(images);
    let maps = host(maps.inner());
    let plane = height * width;
    let image_len = channels * plane;
    let orders = [Order::MostRelevantFirst, Order::LeastRelevantFirst];
    let mut means = [vec![0.0; batch], vec![0.0; batch]];
    for (o, order) in orders.into_iter().enumerate() {
        for (index, &percentile) in config.percentiles.iter().enumerate() {
            let perturb = |image: usize| {
                let map = &maps[image * plane..][..plane];
                let ranked: Vec<f32> = match order {
                    Order::MostRelevantFirst => map.to_vec(),
                    Order::LeastRelevantFirst => map.iter().map(|v| 1.0 - v).collect(),
                };
                let keep = match config.removal {
                    RoadRemoval::Threshold => below_percentile(&ranked, percentile),
                    RoadRemoval::Rank => lowest_ranked(&ranked, percentile),
                };
                let global = (config.first_image + image) as u64;
                let stream = (global << 16) ^ ((o as u64) << 12) ^ index as u64;
                impute(
                    &pixels[image * image_len..][..image_len],
                    &keep,
                    [channels, height, width],
                    config.noise,
                    &mut SeededRandom::new(config.seed, stream),
                )
            };
            let perturbed = in_parallel(batch, &perturb).concat();
            let perturbed = Tensor::<1>::from_floats(perturbed.as_slice(), &device)
                .reshape([batch, channels, height, width]);
            let logits = model.forward_classified(perturbed).logits.inner();
            let scores = host(target.score(logits, Some(&classes)));
            for image in 0..batch {
                means[o][image] += (scores[image] - original[image]) as f64;
            }
        }
    }
    let count = config.percentiles.len() as f64;
    let [morf, lerf] = means.map(|sums| sums.into_iter().map(|s| s / count).collect::<Vec<_>>());
    let combined = lerf.iter().zip(&morf).map(|(l, m)| (l - m) / 2.0).collect();
    RoadScores {
        most_relevant_first: morf,
        least_relevant_first: lerf,
        combined,
    }
}

/// `f(0), …, f(n − 1)` in order, computed on the machine's threads.
fn in_parallel<T: Send>(n: usize, f: &(dyn Fn(usize) -> T + Sync)) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(n.max(1));
    let per_thread = n.div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .step_by(per_thread)
            .map(|start| {
                scope.spawn(move || {
                    (start..(start + per_thread).min(n))
                        .map(f)
                        .collect::<Vec<T>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("an imputation thread panicked"))
            .collect()
    })
}

/// A tensor's values on the host.
fn host<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("float values")
}

/// Which values are strictly below `values`' `percentile`-th percentile as pytorch-grad-cam
/// finds them: NumPy's default `np.percentile` (linear interpolation between the two nearest
/// ranks), the threshold rounded to `f32` and compared in `f32` as torch does. The pixels
/// ROAD's [`RoadRemoval::Threshold`] keeps.
///
/// # Panics
/// If `values` is empty.
pub fn below_percentile(values: &[f32], percentile: f64) -> Vec<bool> {
    assert!(!values.is_empty(), "no values to take a percentile of");
    let mut sorted: Vec<f64> = values.iter().map(|&v| v as f64).collect();
    sorted.sort_by(f64::total_cmp);
    let rank = percentile / 100.0 * (sorted.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    let threshold = (sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64)) as f32;
    values.iter().map(|&v| v < threshold).collect()
}

/// The `round(percentile % · n)` lowest-ranked values (ties: the later position ranks lower,
/// so the earlier one is removed first), as a keep mask: [`RoadRemoval::Rank`].
///
/// # Panics
/// If `values` is empty.
pub fn lowest_ranked(values: &[f32], percentile: f64) -> Vec<bool> {
    assert!(!values.is_empty(), "no values to rank");
    let keep = ((percentile / 100.0 * values.len() as f64).round() as usize).min(values.len());
    let mut order: Vec<usize> = (0..values.len()).collect();
    // Highest first, the earlier position first among equals.
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    let mut kept = vec![false; values.len()];
    for &i in &order[values.len() - keep..] {
        kept[i] = true;
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_as_numpy_by_hand() {
        // np.percentile([3, 0, 2, 1], 50) = 1.5: keeps 0 and 1.
        assert_eq!(
            below_percentile(&[3.0, 0.0, 2.0, 1.0], 50.0),
            vec![false, true, false, true]
        );
        // np.percentile(range(11), 80) = 8: keeps 0..=7.
        let values: Vec<f32> = (0..11).map(|v| v as f32).collect();
        let kept = below_percentile(&values, 80.0);
        assert_eq!(kept.iter().filter(|k| **k).count(), 8);
        // Ties at the threshold are removed: np.percentile([0, 0, 0, 1], 50) = 0 keeps none.
        assert!(
            below_percentile(&[0.0, 0.0, 0.0, 1.0], 50.0)
                .iter()
                .all(|k| !k)
        );
    }

    #[test]
    fn rank_removal_keeps_the_asked_share_whatever_the_ties() {
        // Zeros on three of four pixels: the threshold rule keeps none at p = 50, the rank
        // rule keeps two, the later zeros (the earlier position counts as more relevant).
        assert_eq!(
            lowest_ranked(&[0.0, 0.0, 0.0, 1.0], 50.0),
            vec![false, true, true, false]
        );
        assert_eq!(
            lowest_ranked(&[3.0, 0.0, 2.0, 1.0], 50.0),
            vec![false, true, false, true]
        );
        // round(1.5) = 2 kept at 30 %; 4 kept at 80 %.
        let values = [0.5f32, 0.1, 0.9, 0.3, 0.7];
        assert_eq!(
            lowest_ranked(&values, 30.0),
            vec![false, true, false, true, false]
        );
        assert_eq!(
            lowest_ranked(&values, 80.0),
            vec![true, true, false, true, true]
        );
    }
}
