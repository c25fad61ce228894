//! Training-mode batch norm (optionally followed by ReLU) on flex: one reduction pass and one
//! element-wise pass forward, the same backward, parallel over channels and planes.
//!
//! Forward, per channel `c` over the `M = N · H · W` values: `μ`, the biased variance `σ²`,
//! `y = γ (x − μ) / √(σ² + ε) + β`, then `max(y, 0)` with ReLU. Backward, with `dz` the
//! output gradient (zero where the ReLU cut): `dβ = Σ dz`, `dγ = Σ dz · x̂`,
//! `dx = γ / √(σ² + ε) · (dz − dβ / M − x̂ · dγ / M)`.
//!
//! Sums run in `f32` lanes over short blocks (so they vectorise) and add up in `f64`; the
//! forward's moments are taken about a value of the channel (its first one), so the variance
//! does not lose its digits when the mean is large against the spread.

use burn::backend::flex::FlexTensor;
use rayon::prelude::*;

use super::{contiguous, dims4, tensor, values, zeros};

/// Values summed side by side (two AVX registers of `f32`).
const LANES: usize = 16;

/// Lane-wide steps summed in `f32` before the block's sums join the `f64` totals.
const BLOCK: usize = 32;

/// `LANES` values of `s` from `start`.
#[inline(always)]
fn lane(s: &[f32], start: usize) -> &[f32; LANES] {
    s[start..start + LANES]
        .try_into()
        .expect("a slice of LANES values")
}

/// `[f(0), …, f(LANES − 1)]`, in a plain loop the compiler vectorises (`std::array::from_fn`
/// was not inlined here).
#[inline(always)]
fn each(f: impl Fn(usize) -> f32) -> [f32; LANES] {
    let mut out = [0.0; LANES];
    for (l, o) in out.iter_mut().enumerate() {
        *o = f(l);
    }
    out
}

/// `(Σ f, Σ g)` over `len` values: `lanes(start)` gives `(f, g)` for the `LANES` values from
/// `start`, `one(i)` for a single value of the tail.
#[inline(always)]
fn sums(
    len: usize,
    lanes: impl Fn(usize) -> ([f32; LANES], [f32; LANES]),
    one: impl Fn(usize) -> (f32, f32),
) -> (f64, f64) {
    let steps = len / LANES;
    let (mut total_f, mut total_g) = (0.0f64, 0.0f64);
    for block in (0..steps).step_by(BLOCK) {
        let (mut f, mut g) = ([0.0f32; LANES], [0.0f32; LANES]);
        for step in block..(block + BLOCK).min(steps) {
            let (a, b) = lanes(step * LANES);
            for l in 0..LANES {
                f[l] += a[l];
                g[l] += b[l];
            }
        }
        total_f += f.iter().map(|&v| v as f64).sum::<f64>();
        total_g += g.iter().map(|&v| v as f64).sum::<f64>();
    }
    for i in steps * LANES..len {
        let (a, b) = one(i);
        total_f += a as f64;
        total_g += b as f64;
    }
    (total_f, total_g)
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

/// A training forward pass's batch statistics per channel, kept in `f64` for its backward pass
/// (a mean rounded to `f32` would shift `x − μ` by up to half an ulp of the mean, which is
/// much of the spread when the mean is large against it).
#[derive(Debug, Clone)]
pub(super) struct Stats {
    mean: Vec<f64>,
    /// `1 / √(σ² + ε)`.
    inv_std: Vec<f64>,
}

/// The forward pass: the output, the batch mean and the biased batch variance.
///
/// # Shapes
/// - x: `[batch, channels, height, width]`
/// - gamma, beta: `[channels]`
/// - returns: `[batch, channels, height, width]`, `[channels]`, `[channels]`, and the same
///   statistics in `f64` for the backward pass
pub(super) fn forward(
    x: &FlexTensor,
    gamma: &FlexTensor,
    beta: &FlexTensor,
    epsilon: f64,
    relu: bool,
) -> (FlexTensor, FlexTensor, FlexTensor, Stats) {
    let (x, gamma, beta) = (contiguous(x), contiguous(gamma), contiguous(beta));
    let [n, c, h, w] = dims4(&x);
    let plane = h * w;
    let count = (n * plane) as f64;
    let xs = values(&x);
    // Σ (x − k), Σ (x − k)² about k = the channel's first value.
    let shift: Vec<f32> = (0..c).map(|ch| xs[ch * plane]).collect();
    let moments = channel_sums(n, c, plane, |ch, start| {
        let (xs, k) = (&xs[start..start + plane], shift[ch]);
        sums(
            plane,
            |i| {
                let x = lane(xs, i);
                let d = each(|l| x[l] - k);
                (d, each(|l| d[l] * d[l]))
            },
            |i| {
                let d = xs[i] - k;
                (d, d * d)
            },
        )
    });
    let centred: Vec<f64> = moments.iter().map(|&(s, _)| s / count).collect();
    let mean: Vec<f64> = centred
        .iter()
        .zip(&shift)
        .map(|(m, &k)| k as f64 + m)
        .collect();
    let var: Vec<f64> = moments
        .iter()
        .zip(&centred)
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
    let stats = Stats {
        inv_std: var.iter().map(|v| 1.0 / (v + epsilon).sqrt()).collect(),
        mean: mean.clone(),
    };
    (
        tensor(y, &[n, c, h, w]),
        tensor(to_f32(&mean), &[c]),
        tensor(to_f32(&var), &[c]),
        stats,
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
/// - gamma: `[channels]`
/// - returns: like x, `[channels]`, `[channels]`
pub(super) fn backward(
    x: &FlexTensor,
    gamma: &FlexTensor,
    output: Option<&FlexTensor>,
    stats: &Stats,
    dy: &FlexTensor,
    need_x: bool,
) -> (Option<FlexTensor>, FlexTensor, FlexTensor) {
    let (x, dy, gamma) = (contiguous(x), contiguous(dy), contiguous(gamma));
    let output = output.map(contiguous);
    let [n, c, h, w] = dims4(&x);
    let plane = h * w;
    let count = (n * plane) as f64;
    let (xs, dys) = (values(&x), values(&dy));
    let ys = output.as_ref().map(values);
    let (mean, inv_std) = (&stats.mean, &stats.inv_std);
    // The lanes subtract the mean rounded to f32 (exactly, for values near it); the rest of
    // `x − μ` is added in f64 below.
    let near_mean: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
    // dz: the output gradient, zero where the ReLU (if any) cut.
    let dz_plane = |start: usize, dz: &mut [f32]| match ys {
        Some(ys) => {
            for ((d, &g), &y) in dz.iter_mut().zip(&dys[start..]).zip(&ys[start..]) {
                *d = if y > 0.0 { g } else { 0.0 };
            }
        }
        None => dz.copy_from_slice(&dys[start..start + dz.len()]),
    };
    // Σ dz and Σ dz · (x − m) per channel, m = near_mean.
    let sums = channel_sums(n, c, plane, |ch, start| {
        let m = near_mean[ch];
        let xs = &xs[start..start + plane];
        let dys = &dys[start..start + plane];
        match ys {
            Some(ys) => {
                let ys = &ys[start..start + plane];
                sums(
                    plane,
                    |i| {
                        let (x, g, y) = (lane(xs, i), lane(dys, i), lane(ys, i));
                        let d = each(|l| if y[l] > 0.0 { g[l] } else { 0.0 });
                        (d, each(|l| d[l] * (x[l] - m)))
                    },
                    |i| {
                        let d = if ys[i] > 0.0 { dys[i] } else { 0.0 };
                        (d, d * (xs[i] - m))
                    },
                )
            }
            None => sums(
                plane,
                |i| {
                    let (x, g) = (lane(xs, i), lane(dys, i));
                    (*g, each(|l| g[l] * (x[l] - m)))
                },
                |i| (dys[i], dys[i] * (xs[i] - m)),
            ),
        }
    });
    // Σ dz · x̂ = (Σ dz · (x − m) + (m − μ) Σ dz) / √(σ² + ε).
    let sums: Vec<(f64, f64)> = (0..c)
        .map(|ch| {
            let (dz, dz_x) = sums[ch];
            let offset = near_mean[ch] as f64 - mean[ch];
            (dz, (dz_x + offset * dz) * inv_std[ch])
        })
        .collect();
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
                //    = k dz − a − b (x − m), with the (m − μ) part of x − μ inside a.
                let b = k * inv_std[ch] / count * sum_dz_xhat;
                let a = (k / count * sum_dz + b * (near_mean[ch] as f64 - mean[ch])) as f32;
                let (k, b, m) = (k as f32, b as f32, near_mean[ch]);
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
