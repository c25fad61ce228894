//! Training-mode batch norm (optionally followed by ReLU) on flex: one reduction pass and one
//! element-wise pass forward, the same backward, parallel over channels and planes.
//!
//! Forward, per channel `c` over the `M = N · H · W` values: `μ`, the biased variance `σ²`,
//! `y = γ (x − μ) / √(σ² + ε) + β`, then `max(y, 0)` with ReLU. Backward, with `dz` the
//! output gradient (zero where the ReLU cut): `dβ = Σ dz`, `dγ = Σ dz · x̂`,
//! `dx = γ / √(σ² + ε) · (dz − dβ / M − x̂ · dγ / M)`. Sums are taken in `f64`.

use burn::backend::flex::FlexTensor;
use rayon::prelude::*;

use super::{contiguous, dims4, tensor, values, zeros};

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

/// Per channel `c`, `(Σ f, Σ g)` over the channel's planes, where `f(c, plane_values_start)`
/// returns the sums of one plane starting at that flat index.
fn channel_sums(
    batch: usize,
    channels: usize,
    plane: usize,
    f: impl Fn(usize, usize) -> (f64, f64) + Sync,
) -> Vec<(f64, f64)> {
    (0..channels)
        .into_par_iter()
        .map(|c| {
            (0..batch).fold((0.0, 0.0), |(sa, sb), b| {
                let (a, bb) = f(c, (b * channels + c) * plane);
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
    let moments = channel_sums(n, c, plane, |_, start| {
        let xs = &xs[start..start + plane];
        sums(plane, |i| {
            let v = xs[i] as f64;
            (v, v * v)
        })
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
    let y = scale_shift_values(xs, &scale, &shift, plane, relu);
    let to_f32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    (
        tensor(y, &[n, c, h, w]),
        tensor(to_f32(&mean), &[c]),
        tensor(to_f32(&var), &[c]),
    )
}

/// `out = relu?(input · scale[c] + shift[c])` over contiguous planes of `plane` values,
/// reading `out` itself when there is no `input` (in place).
fn scale_shift_planes(
    out: &mut [f32],
    input: Option<&[f32]>,
    scale: &[f32],
    shift: &[f32],
    plane: usize,
    relu: bool,
) {
    let c = scale.len();
    out.par_chunks_mut(plane)
        .enumerate()
        .for_each(|(index, out)| {
            let (a, b) = (scale[index % c], shift[index % c]);
            let input = input.map(|input| &input[index * plane..][..out.len()]);
            // One loop per case, without a branch inside, so that each vectorises.
            match (input, relu) {
                (Some(input), true) => {
                    for (o, &v) in out.iter_mut().zip(input) {
                        *o = (v * a + b).max(0.0);
                    }
                }
                (Some(input), false) => {
                    for (o, &v) in out.iter_mut().zip(input) {
                        *o = v * a + b;
                    }
                }
                (None, true) => out.iter_mut().for_each(|o| *o = (*o * a + b).max(0.0)),
                (None, false) => out.iter_mut().for_each(|o| *o = *o * a + b),
            }
        });
}

/// `relu?(x · scale[c] + shift[c])` into a new buffer.
fn scale_shift_values(
    xs: &[f32],
    scale: &[f32],
    shift: &[f32],
    plane: usize,
    relu: bool,
) -> Vec<f32> {
    let mut y = zeros(xs.len());
    scale_shift_planes(&mut y, Some(xs), scale, shift, plane, relu);
    y
}

/// Batch norm with given statistics folded into a scale and a shift per channel (inference),
/// ReLU after it if `relu`: one pass.
///
/// # Shapes
/// - x: `[batch, channels, height, width]`
/// - scale, shift: `[channels]`
/// - returns: `[batch, channels, height, width]`
pub(super) fn scale_shift(
    x: FlexTensor,
    scale: &FlexTensor,
    shift: &FlexTensor,
    relu: bool,
) -> FlexTensor {
    let (scale, shift) = (contiguous(scale), contiguous(shift));
    let (scale, shift) = (values(&scale), values(&shift));
    let mut x = if x.is_contiguous() {
        x
    } else {
        x.to_contiguous()
    };
    let [n, c, h, w] = dims4(&x);
    let plane = h * w;
    // The input is usually the convolution's fresh output, held by nothing else: overwrite it.
    if let Some(data) = x.try_storage_mut::<f32>()
        && data.len() == n * c * plane
    {
        scale_shift_planes(data, None, scale, shift, plane, relu);
        return x;
    }
    let y = scale_shift_values(values(&x), scale, shift, plane, relu);
    tensor(y, &[n, c, h, w])
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
    // dz: the output gradient, zero where the ReLU (if any) cut.
    let dz_plane = |start: usize, dz: &mut [f32]| match ys {
        Some(ys) => {
            for ((d, &g), &y) in dz.iter_mut().zip(&dys[start..]).zip(&ys[start..]) {
                *d = if y > 0.0 { g } else { 0.0 };
            }
        }
        None => dz.copy_from_slice(&dys[start..start + dz.len()]),
    };
    let sums = channel_sums(n, c, plane, |ch, start| {
        let (m, s) = (mean[ch], inv_std[ch]);
        let xs = &xs[start..start + plane];
        let dys = &dys[start..start + plane];
        match ys {
            Some(ys) => {
                let ys = &ys[start..start + plane];
                sums(plane, |i| {
                    let d = if ys[i] > 0.0 { dys[i] as f64 } else { 0.0 };
                    (d, d * (xs[i] as f64 - m) * s)
                })
            }
            None => sums(plane, |i| {
                let d = dys[i] as f64;
                (d, d * (xs[i] as f64 - m) * s)
            }),
        }
    });
    let dbeta: Vec<f32> = sums.iter().map(|&(s, _)| s as f32).collect();
    let dgamma: Vec<f32> = sums.iter().map(|&(_, s)| s as f32).collect();
    let dx = need_x.then(|| {
        let gs = values(&gamma);
        let mut dx = zeros(xs.len());
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
                dz_plane(start, out);
                for (o, &x) in out.iter_mut().zip(&xs[start..start + plane]) {
                    *o = k * *o - a - b * (x - m);
                }
            });
        tensor(dx, &[n, c, h, w])
    });
    (dx, tensor(dgamma, &[c]), tensor(dbeta, &[c]))
}
