//! ROAD, RemOve And Debias (Rong et al., *A Consistent and Efficient Evaluation Strategy for
//! Attribution Methods*, ICML 2022), as pytorch-grad-cam computes it
//! (`pytorch_grad_cam/metrics/road.py`): how much the target score changes when the pixels an
//! explanation ranks highest (or lowest) are replaced by noisy linear imputation from their
//! neighbours, averaged over several shares of the image.
//!
//! A faithful explanation makes the score drop fast when its most relevant pixels go
//! (most-relevant-first, lower is better) and barely move when its least relevant ones go
//! (least-relevant-first, higher is better); the combined score, `(LeRF − MoRF) / 2`, is higher
//! for a more faithful method.

use burn::prelude::*;

use crate::backbone::CamBackbone;
use crate::explain::Target;

/// The eight neighbours of a pixel and their weights in the imputation (pytorch-grad-cam's
/// `neighbors_weights`): 1/6 for the four sharing an edge, 1/12 for the diagonal ones.
const NEIGHBOURS: [((isize, isize), f64); 8] = [
    ((1, 1), 1.0 / 12.0),
    ((0, 1), 1.0 / 6.0),
    ((-1, 1), 1.0 / 12.0),
    ((1, -1), 1.0 / 12.0),
    ((0, -1), 1.0 / 6.0),
    ((-1, -1), 1.0 / 12.0),
    ((1, 0), 1.0 / 6.0),
    ((-1, 0), 1.0 / 6.0),
];

/// Options of [`road`].
#[derive(Config, Debug)]
pub struct RoadConfig {
    /// Percentiles of each map, in `(0, 100)`: at percentile `p`, most-relevant-first keeps the
    /// pixels whose map value is below the map's `p`-th percentile (it removes about
    /// `100 − p` % of the image), least-relevant-first the same on `1 − map`. The scores are
    /// averaged over them (pytorch-grad-cam's `ROAD*Average`: 10, 20, …, 90).
    #[config(default = "vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]")]
    pub percentiles: Vec<f64>,
    /// Standard deviation of the Gaussian noise added to each imputed value (pytorch-grad-cam's
    /// `NoisyLinearImputer(noise=0.01)`, in the units of the model's input); 0 for none.
    #[config(default = 0.01)]
    pub noise: f64,
    /// Seed of the noise: the same seed gives the same scores.
    #[config(default = 0)]
    pub seed: u64,
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

/// ROAD scores of `maps` (one explanation per image, at the image's size) for `model`'s
/// `target` score, which must be a class target ([`Target::Classes`] or [`Target::Predicted`];
/// the predicted classes are those of the unperturbed images). The score is the target's raw
/// logit, as pytorch-grad-cam's `ClassifierOutputTarget`.
///
/// The imputation runs on the host: each removed pixel becomes the weighted mean of its eight
/// neighbours (removed ones included), a sparse symmetric positive definite system per image,
/// solved per channel by conjugate gradients in `f64`, then Gaussian noise is added. One forward
/// pass of the batch per percentile and order.
///
/// # Shapes
/// - images: `[batch, channels, height, width]`
/// - maps: `[batch, height, width]`
///
/// # Panics
/// If the shapes disagree, a percentile is outside `(0, 100)`, there are none, or the target
/// is a custom score.
pub fn road<M: CamBackbone>(
    model: &M,
    images: Tensor<4>,
    maps: Tensor<3>,
    target: &Target,
    config: &RoadConfig,
) -> RoadScores {
    assert!(
        !config.percentiles.is_empty(),
        "ROAD needs at least one percentile"
    );
    for &p in &config.percentiles {
        assert!(
            p > 0.0 && p < 100.0,
            "ROAD percentiles must be in (0, 100), got {p}"
        );
    }
    let images = images.inner();
    let device = images.device();
    let [batch, channels, height, width] = images.dims();
    assert_eq!(
        maps.dims(),
        [batch, height, width],
        "maps {:?} must be [batch, height, width] of images {:?}",
        maps.dims(),
        images.dims()
    );
    let logits = model.forward_classified(images.clone()).logits.inner();
    let classes = target
        .classes(&logits)
        .expect("ROAD needs a class target (Classes or Predicted)");
    let original = host(target.score(logits, Some(&classes)));
    let pixels = host(images);
    let maps = host(maps.inner());
    let plane = height * width;
    let image_len = channels * plane;
    let mut means = [vec![0.0; batch], vec![0.0; batch]];
    for (o, order) in [Order::MostRelevantFirst, Order::LeastRelevantFirst]
        .into_iter()
        .enumerate()
    {
        for (index, &percentile) in config.percentiles.iter().enumerate() {
            let mut perturbed = Vec::with_capacity(pixels.len());
            for image in 0..batch {
                let map = &maps[image * plane..][..plane];
                let ranked: Vec<f32> = match order {
                    Order::MostRelevantFirst => map.to_vec(),
                    Order::LeastRelevantFirst => map.iter().map(|v| 1.0 - v).collect(),
                };
                let keep = below_percentile(&ranked, percentile);
                let stream = (o * config.percentiles.len() + index) * batch + image;
                let mut noise = Gaussian::new(config.seed, stream as u64);
                perturbed.extend(impute(
                    &pixels[image * image_len..][..image_len],
                    &keep,
                    [channels, height, width],
                    config.noise,
                    &mut noise,
                ));
            }
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

/// A tensor's values on the host.
fn host<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("float values")
}

/// Which values are strictly below `values`' `percentile`-th percentile, NumPy's default
/// (`np.percentile`, linear interpolation between the two nearest ranks): the pixels ROAD
/// keeps.
///
/// # Panics
/// If `values` is empty.
pub fn below_percentile(values: &[f32], percentile: f64) -> Vec<bool> {
    assert!(!values.is_empty(), "no values to take a percentile of");
    let mut sorted: Vec<f64> = values.iter().map(|&v| v as f64).collect();
    sorted.sort_by(f64::total_cmp);
    let rank = percentile / 100.0 * (sorted.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    let threshold = sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64);
    values.iter().map(|&v| (v as f64) < threshold).collect()
}

/// ROAD's noisy linear imputation of one image: every pixel not in `keep` becomes the weighted
/// mean of its in-image neighbours ([`NEIGHBOURS`]; removed neighbours are unknowns of the same
/// system), plus `noise` times a standard normal draw. Kept pixels are returned unchanged.
///
/// The system is solved per channel by conjugate gradients in `f64` to a relative residual of
/// 1e-10. With no pixel kept it has no unique solution; the imputed values are then 0 (plus
/// noise).
///
/// # Shapes
/// - image: `[channels, height, width]`, row-major
/// - keep: `[height, width]`
/// - output: `[channels, height, width]`
///
/// # Panics
/// If the lengths disagree with `shape`.
pub fn impute(
    image: &[f32],
    keep: &[bool],
    shape: [usize; 3],
    noise: f64,
    rng: &mut Gaussian,
) -> Vec<f32> {
    let [channels, height, width] = shape;
    let plane = height * width;
    assert_eq!(image.len(), channels * plane, "image of shape {shape:?}");
    assert_eq!(keep.len(), plane, "mask of {height}×{width}");
    let unknowns: Vec<usize> = (0..plane).filter(|&i| !keep[i]).collect();
    let mut out = image.to_vec();
    if unknowns.is_empty() {
        return out;
    }
    let mut slot = vec![usize::MAX; plane];
    for (k, &i) in unknowns.iter().enumerate() {
        slot[i] = k;
    }
    // Row k of the system: diagonal[k] · x_k − Σ w · x_j (removed neighbours j) = Σ w · known.
    let mut diagonal = vec![0.0; unknowns.len()];
    let mut links: Vec<Vec<(usize, f64)>> = vec![Vec::new(); unknowns.len()];
    let mut known: Vec<Vec<(usize, f64)>> = vec![Vec::new(); unknowns.len()];
    for (k, &i) in unknowns.iter().enumerate() {
        let (row, col) = ((i / width) as isize, (i % width) as isize);
        for ((dr, dc), weight) in NEIGHBOURS {
            let (r, c) = (row + dr, col + dc);
            if r < 0 || c < 0 || r >= height as isize || c >= width as isize {
                continue;
            }
            let j = r as usize * width + c as usize;
            diagonal[k] += weight;
            if keep[j] {
                known[k].push((j, weight));
            } else {
                links[k].push((slot[j], weight));
            }
        }
    }
    let apply = |x: &[f64], y: &mut [f64]| {
        for k in 0..x.len() {
            let linked: f64 = links[k].iter().map(|&(j, w)| w * x[j]).sum();
            y[k] = diagonal[k] * x[k] - linked;
        }
    };
    for channel in 0..channels {
        let values = &image[channel * plane..][..plane];
        let rhs: Vec<f64> = known
            .iter()
            .map(|row| row.iter().map(|&(j, w)| w * values[j] as f64).sum())
            .collect();
        let solution = conjugate_gradients(&apply, &rhs);
        let target = &mut out[channel * plane..][..plane];
        for (&i, x) in unknowns.iter().zip(solution) {
            target[i] = (x + noise * rng.sample()) as f32;
        }
    }
    out
}

/// Solves `A x = b` for a symmetric positive definite `A` given as `apply(x, y)`: `y = A x`,
/// from `x = 0`, until the residual is under 1e-10 of `b`'s norm (or after `2 · len + 100`
/// steps).
fn conjugate_gradients(apply: &dyn Fn(&[f64], &mut [f64]), b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(a, b)| a * b).sum::<f64>();
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let mut p = r.clone();
    let mut ap = vec![0.0; n];
    let mut rr = dot(&r, &r);
    let goal = 1e-20 * dot(b, b);
    for _ in 0..2 * n + 100 {
        if rr <= goal {
            break;
        }
        apply(&p, &mut ap);
        let step = rr / dot(&p, &ap);
        for k in 0..n {
            x[k] += step * p[k];
            r[k] -= step * ap[k];
        }
        let next = dot(&r, &r);
        let beta = next / rr;
        rr = next;
        for k in 0..n {
            p[k] = r[k] + beta * p[k];
        }
    }
    x
}

/// Standard normal draws for the imputation noise (Box–Muller over SplitMix64), one stream per
/// `(seed, stream)`, so each image of each percentile gets the same noise whatever the batch.
#[derive(Debug, Clone)]
pub struct Gaussian {
    state: u64,
    spare: Option<f64>,
}

impl Gaussian {
    /// The stream `stream` of `seed`.
    pub fn new(seed: u64, stream: u64) -> Self {
        Self {
            state: seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03),
            spare: None,
        }
    }

    /// A uniform value in `(0, 1]`.
    fn uniform(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64 + f64::EPSILON / 2.0
    }

    /// The next standard normal value.
    pub fn sample(&mut self) -> f64 {
        if let Some(spare) = self.spare.take() {
            return spare;
        }
        let (u, v) = (self.uniform(), self.uniform());
        let radius = (-2.0 * u.ln()).sqrt();
        let angle = std::f64::consts::TAU * v;
        self.spare = Some(radius * angle.sin());
        radius * angle.cos()
    }
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
    fn one_removed_pixel_is_the_weighted_mean_of_its_neighbours() {
        // 3×3, centre removed: (1/6)(edge neighbours) + (1/12)(corners), weights summing to 1.
        let image: Vec<f32> = (0..9).map(|v| v as f32).collect();
        let mut keep = vec![true; 9];
        keep[4] = false;
        let out = impute(&image, &keep, [1, 3, 3], 0.0, &mut Gaussian::new(0, 0));
        let expected = (1.0 + 3.0 + 5.0 + 7.0) / 6.0 + (0.0 + 2.0 + 6.0 + 8.0) / 12.0;
        assert!((out[4] as f64 - expected).abs() < 1e-6, "{}", out[4]);
        assert_eq!(
            out.iter()
                .enumerate()
                .filter(|(i, _)| *i != 4)
                .map(|(_, v)| *v)
                .collect::<Vec<_>>(),
            image
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != 4)
                .map(|(_, v)| *v)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn two_removed_neighbours_solve_together() {
        // 1×3 row [1, ?, ?]: the middle's neighbours are 1 and the right one (1/6 each), the
        // right one's only neighbour is the middle: x = (1 + y)/2, y = x, so x = y = 1.
        let out = impute(
            &[1.0, 5.0, 9.0],
            &[true, false, false],
            [1, 1, 3],
            0.0,
            &mut Gaussian::new(0, 0),
        );
        assert!(out.iter().all(|v| (v - 1.0).abs() < 1e-6), "{out:?}");
        // A 2×2 image whose bottom-right pixel is removed: the weighted mean of three.
        let out = impute(
            &[4.0, 8.0, 12.0, 0.0],
            &[true, true, true, false],
            [1, 2, 2],
            0.0,
            &mut Gaussian::new(0, 0),
        );
        let expected = (8.0 / 6.0 + 12.0 / 6.0 + 4.0 / 12.0) / (1.0 / 6.0 + 1.0 / 6.0 + 1.0 / 12.0);
        assert!((out[3] as f64 - expected).abs() < 1e-5, "{out:?}");
    }

    #[test]
    fn the_noise_has_the_asked_spread_and_repeats_with_its_seed() {
        let image = vec![0.5f32; 64 * 64];
        let keep = vec![false; 64 * 64];
        let draw = |seed| impute(&image, &keep, [1, 64, 64], 0.1, &mut Gaussian::new(seed, 3));
        let out = draw(7);
        assert_eq!(out, draw(7));
        assert_ne!(out, draw(8));
        // Nothing kept: the values are the noise alone.
        let n = out.len() as f64;
        let mean = out.iter().map(|&v| v as f64).sum::<f64>() / n;
        let std = (out.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!(
            mean.abs() < 0.01 && (std - 0.1).abs() < 0.005,
            "{mean} {std}"
        );
    }
}
