//! Training-mode batch norm (optionally followed by ReLU) on flex: one reduction pass and one
//! element-wise pass forward, the same backward, parallel over channels and planes.
//!
//! Forward, per channel `c` over the `M = N · H · W` values: `μ`, the biased variance `σ²`,
//! `y = γ (x − μ) / √(σ² + ε) + β`, then `max(y, 0)` with ReLU. Backward, with `dz` the
//! output gradient (zero where the ReLU cut): `dβ = Σ dz`, `dγ = Σ dz · x̂`,
//! `dx = γ / √(σ² + ε) · (dz − dβ / M − x̂ · dγ / M)`.
//!
//! The reductions and the input gradient run in pulp's vector types at the SIMD level of
//! [`super::simd_level`] (AVX-512, AVX2 or one value at a time), written once for every width
//! ([`PairSums`]); the ReLU's mask is a select, not a branch. Sums run in `f32` lanes over
//! short blocks and add up in `f64`; the forward's moments are taken about a value of the
//! channel (its first one), so the variance does not lose its digits when the mean is large
//! against the spread.

use burn::backend::flex::FlexTensor;
use rayon::prelude::*;

use gemm_common::pulp::{Simd, WithSimd};

use super::simd::vectorize;
use super::{contiguous, dims4, tensor, values, zeros};

/// Lane-wide steps each `f32` accumulator takes before its sum joins the `f64` totals (two
/// accumulators per sum, so a block is `2 · BLOCK` vectors).
const BLOCK: usize = 32;

/// The vector of `S`'s width at `start` of `s`.
#[inline(always)]
fn load<S: Simd>(s: &[f32], start: usize) -> S::f32s {
    S::as_simd_f32s(&s[start..start + S::F32_LANES]).0[0]
}

/// Two sums over a run of values, `(Σ f, Σ g)`, written once for every SIMD width.
trait PairSums {
    /// The number of values in the run.
    fn len(&self) -> usize;
    /// `(f, g)` of the `S::F32_LANES` values from `start`.
    fn lanes<S: Simd>(&self, simd: S, start: usize) -> (S::f32s, S::f32s);
    /// `(f, g)` of the value at `i` (the run's tail).
    fn one(&self, i: usize) -> (f32, f32);
}

/// [`PairSums`] run with pulp's vector types: `f32` lanes over blocks of `2 · BLOCK` vectors
/// (no `f32` sum runs over more than `BLOCK` values before the lanes are added up), the
/// blocks' sums added in `f64`.
struct Summed<P>(P);

impl<P: PairSums> WithSimd for Summed<P> {
    type Output = (f64, f64);

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> (f64, f64) {
        let (run, width) = (self.0, S::F32_LANES);
        let (len, zero) = (run.len(), simd.splat_f32s(0.0));
        let steps = len / width;
        let (mut total_f, mut total_g) = (0.0f64, 0.0f64);
        let mut step = 0;
        while step < steps {
            let end = (step + 2 * BLOCK).min(steps);
            // Two accumulators per sum, so consecutive additions do not wait on each other.
            let (mut f0, mut g0, mut f1, mut g1) = (zero, zero, zero, zero);
            while step + 2 <= end {
                let (a, b) = run.lanes(simd, step * width);
                (f0, g0) = (simd.add_f32s(f0, a), simd.add_f32s(g0, b));
                let (a, b) = run.lanes(simd, (step + 1) * width);
                (f1, g1) = (simd.add_f32s(f1, a), simd.add_f32s(g1, b));
                step += 2;
            }
            if step < end {
                let (a, b) = run.lanes(simd, step * width);
                (f0, g0) = (simd.add_f32s(f0, a), simd.add_f32s(g0, b));
                step += 1;
            }
            total_f += simd.reduce_sum_f32s(simd.add_f32s(f0, f1)) as f64;
            total_g += simd.reduce_sum_f32s(simd.add_f32s(g0, g1)) as f64;
        }
        for i in steps * width..len {
            let (a, b) = run.one(i);
            total_f += a as f64;
            total_g += b as f64;
        }
        (total_f, total_g)
    }
}

/// The forward's moments of one plane about `k`: `(Σ (x − k), Σ (x − k)²)`.
struct Moments<'a> {
    xs: &'a [f32],
    k: f32,
}

impl PairSums for Moments<'_> {
    fn len(&self) -> usize {
        self.xs.len()
    }

    #[inline(always)]
    fn lanes<S: Simd>(&self, simd: S, start: usize) -> (S::f32s, S::f32s) {
        let d = simd.sub_f32s(load::<S>(self.xs, start), simd.splat_f32s(self.k));
        (d, simd.mul_f32s(d, d))
    }

    #[inline(always)]
    fn one(&self, i: usize) -> (f32, f32) {
        let d = self.xs[i] - self.k;
        (d, d * d)
    }
}

/// The backward's sums of one plane: `(Σ dz, Σ dz · (x − m))`, `dz` the output gradient
/// `dy`, zero where the forward's ReLU output `y` (if any) is not positive.
struct GradientSums<'a> {
    xs: &'a [f32],
    dys: &'a [f32],
    ys: Option<&'a [f32]>,
    m: f32,
}

impl GradientSums<'_> {
    /// `dz` at `i`.
    #[inline(always)]
    fn dz(&self, i: usize) -> f32 {
        match self.ys {
            Some(ys) if ys[i] > 0.0 => self.dys[i],
            Some(_) => 0.0,
            None => self.dys[i],
        }
    }

    /// `(dz, x − m)` of the `S::F32_LANES` values from `start`.
    #[inline(always)]
    fn lanes_dz<S: Simd>(&self, simd: S, start: usize) -> (S::f32s, S::f32s) {
        let dy = load::<S>(self.dys, start);
        // A select, not a branch: the ReLU's mask is as good as random.
        let dz = match self.ys {
            Some(ys) => {
                let zero = simd.splat_f32s(0.0);
                simd.select_f32s(simd.greater_than_f32s(load::<S>(ys, start), zero), dy, zero)
            }
            None => dy,
        };
        let centred = simd.sub_f32s(load::<S>(self.xs, start), simd.splat_f32s(self.m));
        (dz, centred)
    }
}

impl PairSums for GradientSums<'_> {
    fn len(&self) -> usize {
        self.xs.len()
    }

    #[inline(always)]
    fn lanes<S: Simd>(&self, simd: S, start: usize) -> (S::f32s, S::f32s) {
        let (dz, centred) = self.lanes_dz(simd, start);
        (dz, simd.mul_f32s(dz, centred))
    }

    #[inline(always)]
    fn one(&self, i: usize) -> (f32, f32) {
        let dz = self.dz(i);
        (dz, dz * (self.xs[i] - self.m))
    }
}

/// One plane of the input gradient: `dx = k · dz − a − b · (x − m)`.
struct InputGradient<'a> {
    out: &'a mut [f32],
    sums: GradientSums<'a>,
    k: f32,
    a: f32,
    b: f32,
}

impl WithSimd for InputGradient<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let InputGradient { out, sums, k, a, b } = self;
        let width = S::F32_LANES;
        let (head, tail) = S::as_mut_simd_f32s(out);
        let (k_, a_, b_) = (simd.splat_f32s(k), simd.splat_f32s(a), simd.splat_f32s(b));
        for (step, o) in head.iter_mut().enumerate() {
            let (dz, centred) = sums.lanes_dz(simd, step * width);
            *o = simd.sub_f32s(
                simd.sub_f32s(simd.mul_f32s(k_, dz), a_),
                simd.mul_f32s(b_, centred),
            );
        }
        let done = head.len() * width;
        for (i, o) in tail.iter_mut().enumerate() {
            let i = done + i;
            *o = k * sums.dz(i) - a - b * (sums.xs[i] - sums.m);
        }
    }
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
        vectorize(Summed(Moments {
            xs: &xs[start..start + plane],
            k: shift[ch],
        }))
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
    // The plane of values from `start`, with m = near_mean of its channel.
    let plane_sums = |ch: usize, start: usize| GradientSums {
        xs: &xs[start..start + plane],
        dys: &dys[start..start + plane],
        ys: ys.map(|ys| &ys[start..start + plane]),
        m: near_mean[ch],
    };
    // Σ dz and Σ dz · (x − m) per channel.
    let sums = channel_sums(n, c, plane, |ch, start| {
        vectorize(Summed(plane_sums(ch, start)))
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
                vectorize(InputGradient {
                    out,
                    sums: plane_sums(ch, index * plane),
                    k: k as f32,
                    a,
                    b: b as f32,
                });
            });
        tensor(dx, &[n, c, h, w])
    });
    (dx, tensor(dgamma, &[c]), tensor(dbeta, &[c]))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::flex::simd::testing::{run, widths};

    /// `n` values in [−1, 1) from a linear congruential generator.
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// Run lengths around every boundary: vector widths, the two accumulators, a block.
    const LENGTHS: [usize; 14] = [0, 1, 7, 8, 9, 15, 16, 17, 49, 511, 512, 513, 1025, 3136];

    fn close(got: f64, want: f64, len: usize) -> bool {
        (got - want).abs() <= 1e-6 * (len.max(1) as f64) + 1e-6 * want.abs()
    }

    #[test]
    fn moments_match_sums_in_f64_at_every_width() {
        for width in widths() {
            for len in LENGTHS {
                let xs: Vec<f32> = values(len, 1).iter().map(|v| 3.0 + v).collect();
                let k = 2.5;
                let (s, s2) = run(width, Summed(Moments { xs: &xs, k }));
                let want_s: f64 = xs.iter().map(|&x| (x - k) as f64).sum();
                let want_s2: f64 = xs.iter().map(|&x| ((x - k) as f64).powi(2)).sum();
                assert!(close(s, want_s, len), "{width:?} {len}: {s} vs {want_s}");
                assert!(
                    close(s2, want_s2, len),
                    "{width:?} {len}: {s2} vs {want_s2}"
                );
            }
        }
    }

    /// `ys`: the ReLU's output, with zeros, negatives (never produced, but possible through
    /// the API) and a NaN, none of which let the gradient through.
    fn relu_output(len: usize) -> Vec<f32> {
        let mut ys = values(len, 3);
        for (i, y) in ys.iter_mut().enumerate() {
            match i % 5 {
                0 => *y = 0.0,
                1 => *y = y.abs(),
                _ => {}
            }
        }
        if len > 10 {
            ys[10] = f32::NAN;
        }
        ys
    }

    #[test]
    fn gradient_sums_and_input_gradient_match_the_scalar_formula_at_every_width() {
        for width in widths() {
            for len in LENGTHS {
                let (xs, dys, ys) = (values(len, 1), values(len, 2), relu_output(len));
                for relu in [false, true] {
                    let sums = |ys| GradientSums {
                        xs: &xs,
                        dys: &dys,
                        ys,
                        m: 0.25,
                    };
                    let ys = relu.then_some(ys.as_slice());
                    let dz = |i: usize| match ys {
                        Some(ys) if ys[i] > 0.0 => dys[i],
                        Some(_) => 0.0,
                        None => dys[i],
                    };
                    let (s, sx) = run(width, Summed(sums(ys)));
                    let want_s: f64 = (0..len).map(|i| dz(i) as f64).sum();
                    let want_sx: f64 = (0..len).map(|i| dz(i) as f64 * (xs[i] - 0.25) as f64).sum();
                    assert!(close(s, want_s, len), "{width:?} {len} {relu}");
                    assert!(close(sx, want_sx, len), "{width:?} {len} {relu}");
                    let mut out = vec![f32::NAN; len];
                    let (k, a, b) = (1.5, 0.125, -0.75);
                    run(
                        width,
                        InputGradient {
                            out: &mut out,
                            sums: sums(ys),
                            k,
                            a,
                            b,
                        },
                    );
                    for (i, &o) in out.iter().enumerate() {
                        let want = k * dz(i) - a - b * (xs[i] - 0.25);
                        assert!((o - want).abs() <= 1e-6, "{width:?} {len} {relu} {i}");
                    }
                }
            }
        }
    }
}
