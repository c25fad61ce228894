//! 2-D max pooling (dilation 1, windows that start inside the padded input, as PyTorch's
//! `ceil_mode=False`) on flex, parallel over planes: the forward pass with or without the
//! position of each maximum, and the backward pass that sends each output's gradient to it.
//!
//! As in PyTorch, a NaN in a window wins, and among equal values the first one does. Burn
//! 0.22.1's flex pools through its 3-D kernel with `i64` positions, filled on one thread.

use burn::backend::flex::FlexTensor;
use rayon::prelude::*;

use super::{contiguous, dims4, tensor, values, zeros};

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

/// The maximum of each window of one plane (`h × w`), and where it is (flat index in the
/// plane) when `positions` is given.
fn pool_plane(
    plane: &[f32],
    [h, w]: [usize; 2],
    window: &Window,
    out: &mut [f32],
    mut positions: Option<&mut [u32]>,
) {
    let wo = window.out(w, 1);
    for (oh, row) in out.chunks_exact_mut(wo).enumerate() {
        let (h0, h1) = window.span(oh, h, 0);
        for (ow, value) in row.iter_mut().enumerate() {
            let (w0, w1) = window.span(ow, w, 1);
            let mut best = (f32::NEG_INFINITY, h0 * w + w0);
            for ih in h0..h1 {
                let line = &plane[ih * w..][..w];
                for (iw, &v) in line.iter().enumerate().take(w1).skip(w0) {
                    if v > best.0 || v.is_nan() {
                        best = (v, ih * w + iw);
                    }
                }
            }
            *value = best.0;
            if let Some(positions) = positions.as_deref_mut() {
                positions[oh * wo + ow] = best.1 as u32;
            }
        }
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
    let positions = match keep_positions {
        true => {
            let mut positions = vec![0u32; len];
            planes
                .zip(positions.par_chunks_mut(out_plane))
                .for_each(|((plane, out), at)| {
                    pool_plane(plane, [h, w], window, out, Some(at));
                });
            Some(positions)
        }
        false => {
            planes.for_each(|(plane, out)| pool_plane(plane, [h, w], window, out, None));
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
}
