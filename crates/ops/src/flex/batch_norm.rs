//! Training-mode batch norm (optionally followed by ReLU) on flex: one reduction pass and one
//! element-wise pass forward, the same backward, parallel over channels and planes.
//!
//! Forward, per channel `c` over the `M = N · H · W` values: `μ`, the biased variance `σ²`,
//! `y = γ (x − μ) / √(σ² + ε) + β`, then `max(y, 0)` with ReLU. Backward, with `dz` the
//! output gradient (zero where the ReLU cut): `dβ = Σ dz`, `dγ = Σ dz · x̂`,
//! `dx = γ / √(σ² + ε) · (dz − dβ / M − x̂ · dγ / M)`. Sums are taken in `f64`.

use burn::backend::flex::FlexTensor;
use rayon::prelude::*;

use super::{contiguous, dims4, tensor, values};

/// Lanes of the `f64` accumulators (lets the compiler vectorise the sums).
const LANES: usize = 8;

/// `(Σ f(i), Σ g(i))` over `0..len`, in `f64` lanes.
fn sums(len: usize, mut f: impl FnMut(usize) -> (f64, f64)) -> (f64, f64) {
    let mut a = [0.0f64; LANES];
    let mut b = [0.0f64; LANES];
    let full = len / LANES * LANES;
    for start in (0..full).step_by(LANES) {
        for lane in 0..LANES {
            let (x, y) = f(start + lane);
            a[lane] += x;
            b[lane] += y;
        }
    }
    for i in full..len {
        let (x, y) = f(i);
        a[0] += x;
        b[0] += y;
    }
    (a.iter().sum(), b.iter().sum())
}

/// Per channel, `(Σ f, Σ g)` over every plane of the channel, where `f` and `g` see the
/// plane's index in the flat tensor.
fn channel_sums(
    batch: usize,
    channels: usize,
    plane: usize,
    f: impl Fn(usize) -> (f64, f64) + Sync,
) -> Vec<(f64, f64)> {
    (0..channels)
        .into_par_iter()
        .map(|c| {
            (0..batch).fold((0.0, 0.0), |(sa, sb), b| {
                let start = (b * channels + c) * plane;
                let (a, bb) = sums(plane, |i| f(start + i));
                (sa + a, sb + bb)
            })
        })
        .collect()
}

/// The forward pass: the output, the batch mean and the biased batch variance.
///
/// # Shapes
/// - x: `[batch, channels, height, width]`
/// - gamma, beta: `[channels]`
/// - returns: `[batch, channels, height, width]`, `[channels]`, `[channels]`
pub(super) fn forward(
    x: &FlexTensor,
    gamma: &FlexTensor,
    beta: &FlexTensor,
    epsilon: f64,
    relu: bool,
) -> (FlexTensor, FlexTensor, FlexTensor) {
    let (x, gamma, beta) = (contiguous(x), contiguous(gamma), contiguous(beta));
    let [n, c, h, w] = dims4(&x);
    let plane = h * w;
    let count = (n * plane) as f64;
    let xs = values(&x);
    let moments = channel_sums(n, c, plane, |i| {
        let v = xs[i] as f64;
        (v, v * v)
    });
    let mean: Vec<f64> = moments.iter().map(|&(s, _)| s / count).collect();
    let var: Vec<f64> = moments
        .iter()
        .zip(&mean)
        .map(|(&(_, s2), m)| (s2 / count - m * m).max(0.0))
        .collect();
    let (gs, bs) = (values(&gamma), values(&beta));
    // y = x · scale + shift per channel.
    let (scale, shift): (Vec<f32>, Vec<f32>) = (0..c)
        .map(|ch| {
            let scale = gs[ch] as f64 / (var[ch] + epsilon).sqrt();
            (scale as f32, (bs[ch] as f64 - mean[ch] * scale) as f32)
        })
        .unzip();
    let mut y = vec![0.0f32; xs.len()];
    y.par_chunks_mut(plane)
        .zip(xs.par_chunks(plane))
        .enumerate()
        .for_each(|(index, (out, input))| {
            let (a, b) = (scale[index % c], shift[index % c]);
            if relu {
                for (o, &v) in out.iter_mut().zip(input) {
                    *o = (v * a + b).max(0.0);
                }
            } else {
                for (o, &v) in out.iter_mut().zip(input) {
                    *o = v * a + b;
                }
            }
        });
    let to_f32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    (
        tensor(y, &[n, c, h, w]),
        tensor(to_f32(&mean), &[c]),
        tensor(to_f32(&var), &[c]),
    )
}

/// The backward pass: the gradients of x (if asked), gamma and beta. `output` is the
/// forward's output when a ReLU followed (its zeros are where the gradient stops).
///
/// # Shapes
/// - x, output, dy: `[batch, channels, height, width]`
/// - gamma, mean, var: `[channels]`
/// - returns: like x, `[channels]`, `[channels]`
#[allow(clippy::too_many_arguments)]
pub(super) fn backward(
    x: &FlexTensor,
    gamma: &FlexTensor,
    output: Option<&FlexTensor>,
    mean: &FlexTensor,
    var: &FlexTensor,
    epsilon: f64,
    dy: &FlexTensor,
    need_x: bool,
) -> (Option<FlexTensor>, FlexTensor, FlexTensor) {
    let (x, dy, gamma) = (contiguous(x), contiguous(dy), contiguous(gamma));
    let output = output.map(contiguous);
    let (mean, var) = (contiguous(mean), contiguous(var));
    let [n, c, h, w] = dims4(&x);
    let plane = h * w;
    let count = (n * plane) as f64;
    let (xs, dys) = (values(&x), values(&dy));
    let ys = output.as_ref().map(values);
    let mean: Vec<f64> = values(&mean).iter().map(|&m| m as f64).collect();
    let inv_std: Vec<f64> = values(&var)
        .iter()
        .map(|&v| 1.0 / (v as f64 + epsilon).sqrt())
        .collect();
    let gradient = |i: usize| match ys {
        Some(ys) if ys[i] <= 0.0 => 0.0,
        _ => dys[i],
    };
    let sums = channel_sums(n, c, plane, |i| {
        let ch = (i / plane) % c;
        let dz = gradient(i) as f64;
        (dz, dz * (xs[i] as f64 - mean[ch]) * inv_std[ch])
    });
    let dbeta: Vec<f32> = sums.iter().map(|&(s, _)| s as f32).collect();
    let dgamma: Vec<f32> = sums.iter().map(|&(_, s)| s as f32).collect();
    let dx = need_x.then(|| {
        let gs = values(&gamma);
        let mut dx = vec![0.0f32; xs.len()];
        dx.par_chunks_mut(plane)
            .enumerate()
            .for_each(|(index, out)| {
                let ch = index % c;
                let k = gs[ch] as f64 * inv_std[ch];
                let (sum_dz, sum_dz_xhat) = sums[ch];
                // dx = k (dz − Σdz / M − x̂ Σ(dz x̂) / M), x̂ = (x − μ) inv_std
                let a = (k / count * sum_dz) as f32;
                let b = (k * inv_std[ch] / count * sum_dz_xhat) as f32;
                let (k, m) = (k as f32, mean[ch] as f32);
                let start = index * plane;
                for (j, o) in out.iter_mut().enumerate() {
                    let i = start + j;
                    *o = k * gradient(i) - a - b * (xs[i] - m);
                }
            });
        tensor(dx, &[n, c, h, w])
    });
    (dx, tensor(dgamma, &[c]), tensor(dbeta, &[c]))
}
