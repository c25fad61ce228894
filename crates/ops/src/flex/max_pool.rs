//! 2-D max pooling (dilation 1, windows that start inside the padded input, as PyTorch's
//! `ceil_mode=False`) on flex, parallel over planes: the forward pass with or without the
//! position of each maximum, and the backward pass that sends each output's gradient to it.
//!
//! As in PyTorch, a NaN in a window wins, and among equal values the first one does. Burn
//! 0.22.1's flex pools through its 3-D kernel with `i64` positions, filled on one thread.

use burn::backend::flex::FlexTensor;
use gemm_common::pulp::{Simd, WithSimd};
use rayon::prelude::*;

use super::{contiguous, dims4, simd, tensor, values, zeros};

/// The sizes of one pooling.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Stride per axis.
    pub stride: [usize; 2],
    /// Padding per side, per axis.
    pub padding: [usize; 2],
}

impl Window {
    /// Output size along `axis` for an input of `size`.
    fn out(&self, size: usize, axis: usize) -> usize {
        (size + 2 * self.padding[axis]).saturating_sub(self.kernel[axis]) / self.stride[axis] + 1
    }

    /// The input positions `first..end` along `axis` that output position `o` covers.
    fn span(&self, o: usize, size: usize, axis: usize) -> (usize, usize) {
        let start = (o * self.stride[axis]) as isize - self.padding[axis] as isize;
        let end = (start + self.kernel[axis] as isize).min(size as isize);
        (start.max(0) as usize, end.max(0) as usize)
    }
}

/// Whether `v` takes the place of the window's `best` so far in a row-major scan: larger, or
/// NaN (so the first of equal values and the last NaN win, as in PyTorch).
#[inline(always)]
fn replaces(v: f32, best: f32) -> bool {
    (v > best) | v.is_nan()
}

/// The maximum of window `(oh, ow)` of one plane (`h × w`) and its flat index in the plane:
/// the first of equal values, the last NaN, in row-major order.
#[inline(always)]
fn pool_one(
    plane: &[f32],
    [h, w]: [usize; 2],
    window: &Window,
    oh: usize,
    ow: usize,
) -> (f32, usize) {
    let (h0, h1) = window.span(oh, h, 0);
    let (w0, w1) = window.span(ow, w, 1);
    let mut best = (f32::NEG_INFINITY, h0 * w + w0);
    for ih in h0..h1 {
        let line = &plane[ih * w..][..w];
        for (iw, &v) in line.iter().enumerate().take(w1).skip(w0) {
            if replaces(v, best.0) {
                best = (v, ih * w + iw);
            }
        }
    }
    best
}

/// The output columns `lo..hi` whose windows lie inside the plane's columns (no padding).
fn interior_columns(window: &Window, w: usize, wo: usize) -> (usize, usize) {
    let [_, stride] = window.stride;
    let [_, padding] = window.padding;
    let [_, kernel] = window.kernel;
    let lo = padding.div_ceil(stride).min(wo);
    let hi = match (w + padding).checked_sub(kernel) {
        Some(room) => (room / stride + 1).min(wo),
        None => 0,
    };
    (lo, hi.max(lo))
}

/// One position of the kernel over a run of outputs: `src[j]` is output `j`'s input value, at
/// flat index `index + j · stride` of the plane; each output takes the value where it
/// [`replaces`] the output's. `src` is contiguous and there is no branch, so the loop
/// vectorises.
#[inline(always)]
fn take_larger(best: &mut [f32], at: Option<&mut [u32]>, src: &[f32], stride: usize, index: usize) {
    let src = &src[..best.len()];
    match at {
        Some(at) => {
            let (index, stride) = (index as u32, stride as u32);
            for (j, ((best, at), &v)) in best.iter_mut().zip(at).zip(src).enumerate() {
                let larger = replaces(v, *best);
                *best = if larger { v } else { *best };
                *at = if larger {
                    index + j as u32 * stride
                } else {
                    *at
                };
            }
        }
        None => {
            for (best, &v) in best.iter_mut().zip(src) {
                *best = if replaces(v, *best) { v } else { *best };
            }
        }
    }
}

/// A plane's rows with the values of each row regrouped by column phase (column `c` sits in
/// phase `c mod stride`, at place `c / stride`), so that the values one kernel position
/// contributes to a run of outputs, one every `stride` columns, lie next to each other. With
/// stride 1, the plane itself.
struct Phases<'a> {
    values: std::borrow::Cow<'a, [f32]>,
    /// Values per phase of a row.
    per_phase: usize,
    stride: usize,
}

impl<'a> Phases<'a> {
    #[inline(always)]
    fn new(plane: &'a [f32], w: usize, stride: usize) -> Self {
        if stride == 1 {
            return Self {
                values: plane.into(),
                per_phase: w,
                stride,
            };
        }
        let per_phase = w.div_ceil(stride);
        let row_len = per_phase * stride;
        let rows = plane.len() / w.max(1);
        let mut values = vec![0.0; rows * row_len];
        for (line, out) in plane.chunks_exact(w).zip(values.chunks_exact_mut(row_len)) {
            for (phase, out) in out.chunks_exact_mut(per_phase).enumerate() {
                for (out, &v) in out.iter_mut().zip(line.iter().skip(phase).step_by(stride)) {
                    *out = v;
                }
            }
        }
        Self {
            values: values.into(),
            per_phase,
            stride,
        }
    }

    /// The values of row `ih` at columns `start, start + stride, …` (as many as there are).
    #[inline(always)]
    fn run(&self, ih: usize, start: usize) -> &[f32] {
        let row = &self.values[ih * self.per_phase * self.stride..][..self.per_phase * self.stride];
        let phase = &row[(start % self.stride) * self.per_phase..][..self.per_phase];
        &phase[start / self.stride..]
    }
}

/// The maximum of each window of one plane (`h × w`), and where it is (flat index in the
/// plane) when `positions` is given. Output columns whose windows lie inside the plane run one
/// kernel position at a time over the whole run of columns ([`take_larger`], on the plane's
/// values regrouped by column phase, [`Phases`]); the columns at the padded edges one window
/// at a time ([`pool_one`]). Both scan each window in row-major order.
#[inline(always)]
fn pool_plane(
    plane: &[f32],
    [h, w]: [usize; 2],
    window: &Window,
    out: &mut [f32],
    mut positions: Option<&mut [u32]>,
) {
    let wo = window.out(w, 1);
    let (lo, hi) = interior_columns(window, w, wo);
    let [_, stride] = window.stride;
    let [_, padding] = window.padding;
    let phases = (lo < hi).then(|| Phases::new(plane, w, stride));
    for (oh, row) in out.chunks_exact_mut(wo).enumerate() {
        let mut at = positions
            .as_deref_mut()
            .map(|positions| &mut positions[oh * wo..][..wo]);
        for ow in (0..lo).chain(hi..wo) {
            let (value, index) = pool_one(plane, [h, w], window, oh, ow);
            row[ow] = value;
            if let Some(at) = at.as_deref_mut() {
                at[ow] = index as u32;
            }
        }
        let Some(phases) = &phases else {
            continue;
        };
        let (h0, h1) = window.span(oh, h, 0);
        let first_column = lo * stride - padding;
        row[lo..hi].fill(f32::NEG_INFINITY);
        if let Some(at) = at.as_deref_mut() {
            for (j, at) in at[lo..hi].iter_mut().enumerate() {
                *at = (h0 * w + first_column + j * stride) as u32;
            }
        }
        for ih in h0..h1 {
            for kj in 0..window.kernel[1] {
                let start = first_column + kj;
                take_larger(
                    &mut row[lo..hi],
                    at.as_deref_mut().map(|at| &mut at[lo..hi]),
                    phases.run(ih, start),
                    stride,
                    ih * w + start,
                );
            }
        }
    }
}

/// [`pool_plane`] compiled for the SIMD level of the process ([`simd::vectorize`]), so that
/// the selects of [`take_larger`] become vector blends and masked stores.
struct PoolPlane<'a> {
    plane: &'a [f32],
    size: [usize; 2],
    window: &'a Window,
    out: &'a mut [f32],
    positions: Option<&'a mut [u32]>,
}

impl WithSimd for PoolPlane<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        pool_plane(self.plane, self.size, self.window, self.out, self.positions);
    }
}

/// The pooled `x` and, when `keep_positions`, the flat in-plane position of each maximum.
///
/// # Shapes
/// - x: `[batch, channels, height, width]`
/// - returns: `[batch, channels, height_out, width_out]`, positions as many
pub(super) fn forward(
    x: &FlexTensor,
    window: &Window,
    keep_positions: bool,
) -> (FlexTensor, Option<Vec<u32>>) {
    let x = contiguous(x);
    let [n, c, h, w] = dims4(&x);
    assert!(
        h * w <= u32::MAX as usize,
        "a {h}×{w} plane is too large to pool"
    );
    assert!(
        (0..2).all(|axis| 2 * window.padding[axis] <= window.kernel[axis]),
        "padding {:?} above half the kernel {:?}",
        window.padding,
        window.kernel
    );
    let (ho, wo) = (window.out(h, 0), window.out(w, 1));
    let xs = values(&x);
    let len = n * c * ho * wo;
    let mut out = zeros(len);
    let out_plane = (ho * wo).max(1);
    let planes = xs.par_chunks(h * w).zip(out.par_chunks_mut(out_plane));
    let pool = |plane, out, positions| {
        simd::vectorize(PoolPlane {
            plane,
            size: [h, w],
            window,
            out,
            positions,
        })
    };
    let positions = match keep_positions {
        true => {
            let mut positions = vec![0u32; len];
            planes
                .zip(positions.par_chunks_mut(out_plane))
                .for_each(|((plane, out), at)| pool(plane, out, Some(at)));
            Some(positions)
        }
        false => {
            planes.for_each(|(plane, out)| pool(plane, out, None));
            None
        }
    };
    (tensor(out, &[n, c, ho, wo]), positions)
}

/// The gradient of the input: each output's gradient added at its maximum's position.
///
/// # Shapes
/// - dy: `[batch, channels, height_out, width_out]`
/// - positions: as many as dy
/// - input: the input's `[batch, channels, height, width]`
/// - returns: `[batch, channels, height, width]`
pub(super) fn backward(dy: &FlexTensor, positions: &[u32], input: [usize; 4]) -> FlexTensor {
    let dy = contiguous(dy);
    let [_, _, ho, wo] = dims4(&dy);
    let [n, c, h, w] = input;
    let mut dx = zeros(n * c * h * w);
    let out_plane = (ho * wo).max(1);
    dx.par_chunks_mut((h * w).max(1))
        .zip(values(&dy).par_chunks(out_plane))
        .zip(positions.par_chunks(out_plane))
        .for_each(|((dx, dy), at)| {
            for (&g, &i) in dy.iter().zip(at) {
                dx[i as usize] += g;
            }
        });
    tensor(dx, &[n, c, h, w])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flex::simd::testing::{run, widths};

    /// Ties go to the first value, a NaN wins its window, padding never does.
    #[test]
    fn first_of_equals_and_nan_win() {
        #[rustfmt::skip]
        let plane = [
            2.0, 2.0, 5.0, f32::NAN,
            1.0, 0.0, 7.0, 1.0,
            -3.0, -4.0, 0.0, 0.0,
            -1.0, -3.0, 0.0, 0.0,
        ];
        let window = Window {
            kernel: [2, 2],
            stride: [2, 2],
            padding: [0, 0],
        };
        let (mut out, mut at) = ([0.0; 4], [0; 4]);
        pool_plane(&plane, [4, 4], &window, &mut out, Some(&mut at));
        assert_eq!(out[0], 2.0);
        assert!(out[1].is_nan());
        assert_eq!(out[2..], [-1.0, 0.0]);
        assert_eq!(at, [0, 3, 12, 10]);
        // 3×3 windows, stride 2, padding 1: the corner window sees four values; windows
        // overlap, and two share each maximum.
        let window = Window {
            kernel: [3, 3],
            stride: [2, 2],
            padding: [1, 1],
        };
        let (mut out, mut at) = ([0.0; 4], [0; 4]);
        let negative = plane.map(|v| if v.is_nan() { -9.0 } else { -v });
        pool_plane(&negative, [4, 4], &window, &mut out, Some(&mut at));
        assert_eq!(out, [0.0, 0.0, 4.0, 4.0]);
        assert_eq!(at, [5, 5, 9, 9]);
    }

    /// The run-of-columns path gives what one window at a time gives, value and position, at
    /// every SIMD width this CPU has, on planes full of ties (post-ReLU zeros) and a few NaNs,
    /// for every window shape the models use and some they do not (stride 1 and 3, kernels
    /// wider than the stride, padding), and rows wide enough for whole vectors and a tail.
    #[test]
    fn columns_at_a_time_agree_with_one_window_at_a_time() {
        let mut state = 12345u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for (h, w) in [(9, 9), (12, 7), (5, 16), (3, 3), (4, 45), (7, 114)] {
            let plane: Vec<f32> = (0..h * w)
                .map(|_| match next() % 23 {
                    0 => f32::NAN,
                    r => (r % 3) as f32,
                })
                .collect();
            for (kernel, stride, padding) in [
                (2, 2, 0),
                (3, 2, 1),
                (3, 2, 0),
                (3, 1, 1),
                (2, 1, 1),
                (3, 3, 1),
                (1, 1, 0),
            ] {
                let window = Window {
                    kernel: [kernel; 2],
                    stride: [stride; 2],
                    padding: [padding; 2],
                };
                let (ho, wo) = (window.out(h, 0), window.out(w, 1));
                for width in widths() {
                    let (mut out, mut at) = (vec![0.0; ho * wo], vec![0; ho * wo]);
                    let mut values_only = vec![0.0; ho * wo];
                    let pool = |out, positions| PoolPlane {
                        plane: &plane,
                        size: [h, w],
                        window: &window,
                        out,
                        positions,
                    };
                    run(width, pool(&mut out, Some(&mut at)));
                    run(width, pool(&mut values_only, None));
                    for oh in 0..ho {
                        for ow in 0..wo {
                            let (value, index) = pool_one(&plane, [h, w], &window, oh, ow);
                            let i = oh * wo + ow;
                            let case = format!(
                                "{width:?}: {h}×{w} k{kernel} s{stride} p{padding} ({oh}, {ow})"
                            );
                            assert_eq!(at[i] as usize, index, "{case}");
                            for got in [out[i], values_only[i]] {
                                assert!(
                                    got.to_bits() == value.to_bits(),
                                    "{case}: {got} vs {value}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
