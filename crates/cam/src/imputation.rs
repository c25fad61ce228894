//! ROAD's noisy linear imputation (Rong et al., ICML 2022; pytorch-grad-cam's
//! `NoisyLinearImputer`): removed pixels filled from their neighbours by solving a sparse
//! linear system, plus Gaussian noise.

use crate::random::SeededRandom;

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

/// ROAD's noisy linear imputation of one image: every pixel not in `keep` becomes the weighted
/// mean of its in-image neighbours ([`NEIGHBOURS`]; removed neighbours are unknowns of the same
/// system), plus `noise` times a standard normal draw. Kept pixels are returned unchanged.
///
/// The system is solved per channel by conjugate gradients in `f64` to a relative residual of
/// 1e-8 (the result is rounded to `f32`). With no pixel kept it has no unique solution; the
/// imputed values are then 0 (plus noise), as scipy's `spsolve` gives.
///
/// # Shapes
/// - image: `[channels, height, width]`, row-major
/// - keep: `[height, width]`
/// - output: `[channels, height, width]`
///
/// # Panics
/// If the lengths disagree with `shape`.
pub(crate) fn impute(
    image: &[f32],
    keep: &[bool],
    shape: [usize; 3],
    noise: f64,
    rng: &mut SeededRandom,
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
/// from `x = 0`, until the residual is under 1e-8 of `b`'s norm (or after `2 · len + 100`
/// steps).
fn conjugate_gradients(apply: &dyn Fn(&[f64], &mut [f64]), b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(a, b)| a * b).sum::<f64>();
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let mut p = r.clone();
    let mut ap = vec![0.0; n];
    let mut rr = dot(&r, &r);
    let goal = 1e-16 * dot(b, b);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_removed_pixel_is_the_weighted_mean_of_its_neighbours() {
        // 3×3, centre removed: (1/6)(edge neighbours) + (1/12)(corners), weights summing to 1.
        let image: Vec<f32> = (0..9).map(|v| v as f32).collect();
        let mut keep = vec![true; 9];
        keep[4] = false;
        let out = impute(&image, &keep, [1, 3, 3], 0.0, &mut SeededRandom::new(0, 0));
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
            &mut SeededRandom::new(0, 0),
        );
        assert!(out.iter().all(|v| (v - 1.0).abs() < 1e-6), "{out:?}");
        // A 2×2 image whose bottom-right pixel is removed: the weighted mean of three.
        let out = impute(
            &[4.0, 8.0, 12.0, 0.0],
            &[true, true, true, false],
            [1, 2, 2],
            0.0,
            &mut SeededRandom::new(0, 0),
        );
        let expected = (8.0 / 6.0 + 12.0 / 6.0 + 4.0 / 12.0) / (1.0 / 6.0 + 1.0 / 6.0 + 1.0 / 12.0);
        assert!((out[3] as f64 - expected).abs() < 1e-5, "{out:?}");
    }

    #[test]
    fn the_noise_has_the_asked_spread_and_repeats_with_its_seed() {
        let image = vec![0.5f32; 64 * 64];
        let keep = vec![false; 64 * 64];
        let draw = |seed| {
            impute(
                &image,
                &keep,
                [1, 64, 64],
                0.1,
                &mut SeededRandom::new(seed, 3),
            )
        };
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
