//! The backward pass of a 2-D convolution (one group, symmetric padding) on flex.
//!
//! With `K = C_in · k_h · k_w` and the output gradient laid out as `dY' = [C_out, N · H_o · W_o]`
//! (channels first, all images side by side):
//!
//! - `dW = dY' · col(x)ᵀ`, `col(x) = [K, N · H_o · W_o]` the im2col of the input: one GEMM whose
//!   inner dimension is every output pixel of the batch (Burn's default runs a convolution per
//!   input channel, GEMMs nine columns wide, or one for a 1×1 kernel);
//! - `dX = col2im(Wᵀ · dY')`: one GEMM, then each input plane gathers its own sums (written by
//!   one thread each, so no atomics; a 1×1 stride-1 convolution's col2im is a copy).
//!
//! Images are taken in chunks whose im2col stays under [`CHUNK_FLOATS`], so the extra memory
//! is bounded whatever the batch.

use burn::backend::flex::FlexTensor;
use burn::backend::flex::ops::matmul::matmul;
use burn::backend::ops::ConvOptions;
use rayon::prelude::*;

use super::{contiguous, dims4, tensor, values, zeros};

/// Most floats an im2col (or its gradient) chunk holds: 4 MiB.
const CHUNK_FLOATS: usize = 1 << 20;

/// The sizes of one convolution.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    batch: usize,
    c_in: usize,
    h: usize,
    w: usize,
    c_out: usize,
    kh: usize,
    kw: usize,
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    ho: usize,
    wo: usize,
}

impl Geometry {
    fn new(x: [usize; 4], weight: [usize; 4], dy: [usize; 4], options: &ConvOptions<2>) -> Self {
        let [batch, c_in, h, w] = x;
        let [c_out, _, kh, kw] = weight;
        let [_, _, ho, wo] = dy;
        Self {
            batch,
            c_in,
            h,
            w,
            c_out,
            kh,
            kw,
            stride: options.stride,
            padding: options.padding_begin(),
            dilation: options.dilation,
            ho,
            wo,
        }
    }

    /// Rows of the im2col: `C_in · k_h · k_w`.
    fn k(&self) -> usize {
        self.c_in * self.kh * self.kw
    }

    /// Output pixels per image.
    fn pixels(&self) -> usize {
        self.ho * self.wo
    }

    /// A 1×1 kernel, stride 1, no padding: the im2col is the input itself.
    fn pointwise(&self) -> bool {
        self.kh == 1
            && self.kw == 1
            && self.stride == [1, 1]
            && self.padding == [0, 0]
            && [self.ho, self.wo] == [self.h, self.w]
    }

    fn images_per_chunk(&self) -> usize {
        (CHUNK_FLOATS / (self.k() * self.pixels()).max(1)).clamp(1, self.batch.max(1))
    }

    /// The range of output columns `ow` whose input column `ow · stride + offset` lies in
    /// `0..w`, for stride 1.
    fn valid_columns(&self, offset: isize) -> (usize, usize) {
        let lo = (-offset).clamp(0, self.wo as isize) as usize;
        let hi = (self.w as isize - offset).clamp(lo as isize, self.wo as isize) as usize;
        (lo, hi)
    }

    /// The input row read by output row `oh` at kernel row `ki`, if inside the image.
    fn input_row(&self, oh: usize, ki: usize) -> Option<usize> {
        let ih = (oh * self.stride[0] + ki * self.dilation[0]) as isize - self.padding[0] as isize;
        (0..self.h as isize).contains(&ih).then_some(ih as usize)
    }

    /// `iw = ow · stride + offset` for kernel column `kj`.
    fn column_offset(&self, kj: usize) -> isize {
        (kj * self.dilation[1]) as isize - self.padding[1] as isize
    }
}

/// `dY [N, C_out, P]` → `[C_out, N · P]`.
fn channels_first(dy: &[f32], g: &Geometry) -> Vec<f32> {
    let p = g.pixels();
    let mut out = zeros(dy.len());
    out.par_chunks_mut(g.batch * p)
        .enumerate()
        .for_each(|(co, row)| {
            for (b, chunk) in row.chunks_exact_mut(p).enumerate() {
                chunk.copy_from_slice(&dy[(b * g.c_out + co) * p..][..p]);
            }
        });
    out
}

/// The im2col of images `first..first + images` of `x`: `[K, images · P]`.
fn im2col(x: &[f32], g: &Geometry, first: usize, images: usize) -> FlexTensor {
    let p = g.pixels();
    let m = images * p;
    let mut col = zeros(g.k() * m);
    col.par_chunks_mut(m).enumerate().for_each(|(r, row)| {
        let c = r / (g.kh * g.kw);
        let (ki, kj) = ((r / g.kw) % g.kh, r % g.kw);
        let offset = g.column_offset(kj);
        for (b, out) in row.chunks_exact_mut(p).enumerate() {
            let plane = &x[((first + b) * g.c_in + c) * g.h * g.w..][..g.h * g.w];
            if g.pointwise() {
                out.copy_from_slice(plane);
                continue;
            }
            for (oh, out_row) in out.chunks_exact_mut(g.wo).enumerate() {
                let Some(ih) = g.input_row(oh, ki) else {
                    continue; // zeros already
                };
                let in_row = &plane[ih * g.w..][..g.w];
                if g.stride[1] == 1 {
                    let (lo, hi) = g.valid_columns(offset);
                    let start = (lo as isize + offset) as usize;
                    out_row[lo..hi].copy_from_slice(&in_row[start..start + hi - lo]);
                } else {
                    for (ow, value) in out_row.iter_mut().enumerate() {
                        let iw = (ow * g.stride[1]) as isize + offset;
                        if (0..g.w as isize).contains(&iw) {
                            *value = in_row[iw as usize];
                        }
                    }
                }
            }
        }
    });
    tensor(col, &[g.k(), m])
}

/// Adds the columns `cols = [K, images · P]` back onto the input planes they came from:
/// `dx` holds images `first..first + images`, `[images, C_in, H, W]`.
fn col2im(cols: &[f32], g: &Geometry, images: usize, dx: &mut [f32]) {
    let p = g.pixels();
    let m = images * p;
    dx.par_chunks_mut(g.h * g.w)
        .enumerate()
        .for_each(|(plane_index, plane)| {
            let (b, c) = (plane_index / g.c_in, plane_index % g.c_in);
            if g.pointwise() {
                plane.copy_from_slice(&cols[c * m + b * p..][..p]);
                return;
            }
            plane.fill(0.0);
            for ki in 0..g.kh {
                for kj in 0..g.kw {
                    let r = (c * g.kh + ki) * g.kw + kj;
                    let row = &cols[r * m + b * p..][..p];
                    let offset = g.column_offset(kj);
                    for (oh, src) in row.chunks_exact(g.wo).enumerate() {
                        let Some(ih) = g.input_row(oh, ki) else {
                            continue;
                        };
                        let out_row = &mut plane[ih * g.w..][..g.w];
                        if g.stride[1] == 1 {
                            let (lo, hi) = g.valid_columns(offset);
                            let start = (lo as isize + offset) as usize;
                            for (out, value) in
                                out_row[start..start + hi - lo].iter_mut().zip(&src[lo..hi])
                            {
                                *out += value;
                            }
                        } else {
                            for (ow, value) in src.iter().enumerate() {
                                let iw = (ow * g.stride[1]) as isize + offset;
                                if (0..g.w as isize).contains(&iw) {
                                    out_row[iw as usize] += value;
                                }
                            }
                        }
                    }
                }
            }
        });
}

/// The gradients of a convolution's input and weight (those asked for) from the gradient of
/// its output.
///
/// # Shapes
/// - x: `[batch, c_in, h, w]`
/// - weight: `[c_out, c_in, k_h, k_w]`
/// - dy: `[batch, c_out, h_out, w_out]`
/// - returns: dx like x, dw like weight
pub(super) fn backward(
    x: &FlexTensor,
    weight: &FlexTensor,
    dy: &FlexTensor,
    options: &ConvOptions<2>,
    need_x: bool,
    need_weight: bool,
) -> (Option<FlexTensor>, Option<FlexTensor>) {
    let (x, weight, dy) = (contiguous(x), contiguous(weight), contiguous(dy));
    let g = Geometry::new(dims4(&x), dims4(&weight), dims4(&dy), options);
    let (k, p) = (g.k(), g.pixels());
    let dy_cols = tensor(channels_first(values(&dy), &g), &[g.c_out, g.batch * p]);
    let weight_t = weight.reshape([g.c_out, k].into()).transpose(0, 1);
    let mut dw = need_weight.then(|| vec![0.0f32; g.c_out * k]);
    let plane = g.c_in * g.h * g.w;
    let mut dx = need_x.then(|| zeros(g.batch * plane));
    let per_chunk = g.images_per_chunk();
    let mut first = 0;
    while first < g.batch {
        let images = per_chunk.min(g.batch - first);
        let dy_chunk = dy_cols.narrow(1, first * p, images * p);
        if let Some(dw) = dw.as_mut() {
            let col = im2col(values(&x), &g, first, images);
            let part = contiguous(&matmul(dy_chunk.clone(), col.transpose(0, 1)));
            dw.par_iter_mut()
                .zip(values(&part).par_iter())
                .for_each(|(sum, value)| *sum += value);
        }
        if let Some(dx) = dx.as_mut() {
            let cols = contiguous(&matmul(weight_t.clone(), dy_chunk));
            col2im(
                values(&cols),
                &g,
                images,
                &mut dx[first * plane..(first + images) * plane],
            );
        }
        first += images;
    }
    (
        dx.map(|dx| tensor(dx, &[g.batch, g.c_in, g.h, g.w])),
        dw.map(|dw| tensor(dw, &[g.c_out, g.c_in, g.kh, g.kw])),
    )
}
