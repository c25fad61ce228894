//! A 2-D convolution (one group, symmetric padding) on flex, forward and backward, as GEMMs
//! on each image's planes where they lie (NCHW, no layout conversion, no copy of the output
//! gradient).
//!
//! With `K = C_in · k_h · k_w`, `P` the output pixels and `col(x_b) = [K, P]` the im2col of
//! image `b`:
//!
//! - forward: `Y_b = W · col(x_b)`, `W = [C_out, K]`, written straight into the output;
//! - `dW = Σ_b dY_b · col(x_b)ᵀ`, `dY_b = [C_out, P]` read in place (Burn's default runs a
//!   convolution per input channel, GEMMs nine columns wide, or one for a 1×1 kernel);
//! - `dX_b = col2im(Wᵀ · dY_b)`.
//!
//! For a 1×1 stride-1 convolution without padding `col(x_b)` is `x_b` itself and `dX_b` is
//! the product, so there is no im2col at all. Otherwise the im2col is built for a band of
//! output rows at a time, at most [`BAND_FLOATS`] values, so it stays in cache.
//!
//! Deep layers have few output pixels (7×7 in ResNet's last stage) and large weights (512 ×
//! 4,608): a product per image would be 49 columns wide, and gemm would pack the whole weight
//! matrix, and read and write the whole weight gradient, once per image. There the products
//! take several whole images at once ([`Geometry::images_per_product`]): their im2col side by
//! side, `[K, G·P]`, one product, its columns copied to (or gathered from) each image's planes.
//!
//! The images are split into one contiguous group per thread (see [`image_groups`]); each
//! group keeps its own `dW`, and the groups' sums are added in order, so the result does not
//! depend on how the threads were scheduled.

use std::ops::Range;

use burn::backend::flex::FlexTensor;
use burn::backend::ops::ConvOptions;
use rayon::prelude::*;

use super::gemm::{View, gemm};
use super::{contiguous, dims4, tensor, values, zeros};

/// Most floats the im2col of one band of output rows holds: 1 MiB.
const BAND_FLOATS: usize = 1 << 18;

/// Fewest columns a product over whole images aims at: layers with fewer output pixels per
/// image put several images into one product.
const MIN_COLUMNS: usize = 256;

/// Most floats the im2col of the images of one product holds: 8 MiB.
const GROUP_FLOATS: usize = 1 << 21;

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
    fn new(x: [usize; 4], weight: [usize; 4], options: &ConvOptions<2>) -> Self {
        let [batch, c_in, h, w] = x;
        let [c_out, _, kh, kw] = weight;
        let padding = options.padding_begin();
        let out = |size: usize, axis: usize, kernel: usize| {
            (size + 2 * padding[axis]).saturating_sub(options.dilation[axis] * (kernel - 1) + 1)
                / options.stride[axis]
                + 1
        };
        let (ho, wo) = (out(h, 0, kh), out(w, 1, kw));
        Self {
            batch,
            c_in,
            h,
            w,
            c_out,
            kh,
            kw,
            stride: options.stride,
            padding,
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

    /// Stride 1, no dilation, each padding below its kernel side, not 1×1: the input gradient
    /// is then the convolution of the output gradient with the kernel transposed and turned
    /// by 180° ([`input_gradient`]), one product with `K = C_out · k_h · k_w` and no col2im,
    /// instead of a product with `K = C_out` scattered back by col2im.
    fn input_gradient_is_a_convolution(&self) -> bool {
        !self.pointwise()
            && self.stride == [1, 1]
            && self.dilation == [1, 1]
            && self.padding[0] < self.kh
            && self.padding[1] < self.kw
    }

    /// Bands of output rows `(first row, rows)` whose im2col holds at most [`BAND_FLOATS`]
    /// values (one row at least).
    fn bands(&self) -> impl Iterator<Item = (usize, usize)> + use<> {
        let per_band = (BAND_FLOATS / (self.k() * self.wo).max(1)).clamp(1, self.ho.max(1));
        let ho = self.ho;
        (0..ho)
            .step_by(per_band)
            .map(move |first| (first, per_band.min(ho - first)))
    }

    /// Images per product: one where an image has [`MIN_COLUMNS`] output pixels or more;
    /// else as many as give that many columns, within [`GROUP_FLOATS`] of im2col (one at
    /// least).
    fn images_per_product(&self) -> usize {
        let p = self.pixels().max(1);
        if p >= MIN_COLUMNS {
            return 1;
        }
        let fit = GROUP_FLOATS / (self.k() * p).max(1);
        MIN_COLUMNS.div_ceil(p).min(fit).max(1)
    }

    /// Image `b`'s planes `[C_in, H, W]` of `x`.
    fn image<'a>(&self, x: &'a [f32], b: usize) -> &'a [f32] {
        let plane = self.c_in * self.h * self.w;
        &x[b * plane..][..plane]
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

/// Contiguous groups of images, one per thread (fewer when there are fewer images), and
/// whether the GEMMs should use the threads themselves (when some thread has no group).
fn image_groups(batch: usize) -> (Vec<Range<usize>>, bool) {
    let threads = rayon::current_num_threads().max(1);
    let groups = threads.min(batch).max(1);
    let ranges = (0..groups)
        .map(|i| batch * i / groups..batch * (i + 1) / groups)
        .collect();
    (ranges, groups < threads)
}

/// `data`, `per_image` values per image, cut into the groups' parts.
fn split_groups<'a>(
    mut data: &'a mut [f32],
    groups: &[Range<usize>],
    per_image: usize,
) -> Vec<&'a mut [f32]> {
    groups
        .iter()
        .map(|range| {
            let (part, rest) = std::mem::take(&mut data).split_at_mut(range.len() * per_image);
            data = rest;
            part
        })
        .collect()
}

/// `images` cut into consecutive runs of at most `size`.
fn chunks(images: Range<usize>, size: usize) -> impl Iterator<Item = Range<usize>> {
    let end = images.end;
    images
        .step_by(size)
        .map(move |first| first..(first + size).min(end))
}

/// The im2col of output rows `first..first + rows` of one image `x_b` (`[C_in, H, W]`) into
/// `col` (`[K, rows · W_o]`, row `r` at `r · row_stride`), every value written.
fn im2col(
    x_b: &[f32],
    g: &Geometry,
    (first, rows): (usize, usize),
    col: &mut [f32],
    row_stride: usize,
) {
    let band = rows * g.wo;
    for r in 0..g.k() {
        let row = &mut col[r * row_stride..][..band];
        let c = r / (g.kh * g.kw);
        let (ki, kj) = ((r / g.kw) % g.kh, r % g.kw);
        let offset = g.column_offset(kj);
        let plane = &x_b[c * g.h * g.w..][..g.h * g.w];
        for (oh, out_row) in (first..).zip(row.chunks_exact_mut(g.wo)) {
            let Some(ih) = g.input_row(oh, ki) else {
                out_row.fill(0.0);
                continue;
            };
            let in_row = &plane[ih * g.w..][..g.w];
            if g.stride[1] == 1 {
                let (lo, hi) = g.valid_columns(offset);
                let start = (lo as isize + offset) as usize;
                out_row[..lo].fill(0.0);
                out_row[lo..hi].copy_from_slice(&in_row[start..start + hi - lo]);
                out_row[hi..].fill(0.0);
            } else {
                for (ow, value) in out_row.iter_mut().enumerate() {
                    let iw = (ow * g.stride[1]) as isize + offset;
                    *value = match (0..g.w as isize).contains(&iw) {
                        true => in_row[iw as usize],
                        false => 0.0,
                    };
                }
            }
        }
    }
}

/// The im2col of whole images `images` of `x` side by side in `col` (`[K, G · P]`, image `i`'s
/// columns at `i · P`).
fn images_im2col(x: &[f32], g: &Geometry, images: Range<usize>, col: &mut [f32]) {
    let (p, n) = (g.pixels(), images.len() * g.pixels());
    for (i, b) in images.enumerate() {
        im2col(g.image(x, b), g, (0, g.ho), &mut col[i * p..], n);
    }
}

/// Adds the columns `cols` (`[K, rows · W_o]`, output rows `first..first + rows`, row `r` at
/// `r · row_stride`) back onto the input planes of one image they came from, `dx_b`
/// (`[C_in, H, W]`).
fn col2im(
    cols: &[f32],
    g: &Geometry,
    (first, rows): (usize, usize),
    dx_b: &mut [f32],
    row_stride: usize,
) {
    let band = rows * g.wo;
    for (c, plane) in dx_b.chunks_exact_mut(g.h * g.w).enumerate() {
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let r = (c * g.kh + ki) * g.kw + kj;
                let row = &cols[r * row_stride..][..band];
                let offset = g.column_offset(kj);
                for (oh, src) in (first..).zip(row.chunks_exact(g.wo)) {
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
    }
}

/// A reusable buffer of `len` values (contents unspecified).
fn scratch(buffer: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buffer.len() < len {
        buffer.resize(len, 0.0);
    }
    &mut buffer[..len]
}

/// The convolution of `x` with `weight` (no bias).
///
/// # Shapes
/// - x: `[batch, c_in, h, w]`
/// - weight: `[c_out, c_in, k_h, k_w]`
/// - returns: `[batch, c_out, h_out, w_out]`
pub(super) fn forward(x: &FlexTensor, weight: &FlexTensor, options: &ConvOptions<2>) -> FlexTensor {
    let (x, weight) = (contiguous(x), contiguous(weight));
    let g = Geometry::new(dims4(&x), dims4(&weight), options);
    let (k, p) = (g.k(), g.pixels());
    let xs = values(&x);
    let w = View::rows(values(&weight), g.c_out, k);
    let per_image = g.c_out * p;
    let mut out = zeros(g.batch * per_image);
    let (groups, parallel) = image_groups(g.batch);
    let parts = split_groups(&mut out, &groups, per_image);
    let per_product = g.images_per_product();
    groups
        .into_par_iter()
        .zip(parts)
        .for_each(|(images, part)| {
            let (mut col, mut product) = (Vec::new(), Vec::new());
            if per_product > 1 {
                let start = images.start;
                for chunk in chunks(images, per_product) {
                    let n = chunk.len() * p;
                    let col = scratch(&mut col, k * n);
                    images_im2col(xs, &g, chunk.clone(), col);
                    let product = scratch(&mut product, g.c_out * n);
                    gemm(product, n, w, View::rows(col, k, n), false, parallel);
                    for (i, b) in chunk.enumerate() {
                        let y = &mut part[(b - start) * per_image..][..per_image];
                        for (c, y_row) in y.chunks_exact_mut(p).enumerate() {
                            y_row.copy_from_slice(&product[c * n + i * p..][..p]);
                        }
                    }
                }
                return;
            }
            for (b, y) in images.zip(part.chunks_exact_mut(per_image)) {
                let x_b = g.image(xs, b);
                if g.pointwise() {
                    gemm(y, p, w, View::rows(x_b, g.c_in, p), false, parallel);
                    continue;
                }
                for (first, rows) in g.bands() {
                    let band = rows * g.wo;
                    let col = scratch(&mut col, k * band);
                    im2col(x_b, &g, (first, rows), col, band);
                    let y = &mut y[first * g.wo..];
                    gemm(y, p, w, View::rows(col, k, band), false, parallel);
                }
            }
        });
    tensor(out, &[g.batch, g.c_out, g.ho, g.wo])
}

/// The input gradient of a convolution that [`Geometry::input_gradient_is_a_convolution`]:
/// `dx = conv(dy, w̃)` with `w̃[i, o, a, b] = w[o, i, k_h − 1 − a, k_w − 1 − b]` and padding
/// `k − 1 − p` (the transposed convolution of stride 1, as a forward one).
///
/// # Shapes
/// - dy: `[batch, c_out, h_out, w_out]`
/// - weight: `[c_out, c_in, k_h, k_w]`
/// - returns: `[batch, c_in, h, w]`
fn input_gradient(dy: &FlexTensor, weight: &[f32], g: &Geometry) -> FlexTensor {
    let (kh, kw) = (g.kh, g.kw);
    let mut turned = vec![0.0f32; weight.len()];
    for (o, w_o) in weight.chunks_exact(g.c_in * kh * kw).enumerate() {
        for (i, w_oi) in w_o.chunks_exact(kh * kw).enumerate() {
            let t = &mut turned[(i * g.c_out + o) * kh * kw..][..kh * kw];
            for (dst, &v) in t.iter_mut().rev().zip(w_oi) {
                *dst = v;
            }
        }
    }
    let turned = tensor(turned, &[g.c_in, g.c_out, kh, kw]);
    let padding = [kh - 1 - g.padding[0], kw - 1 - g.padding[1]];
    let dx = forward(dy, &turned, &ConvOptions::new([1, 1], padding, [1, 1], 1));
    debug_assert_eq!(dims4(&dx), [g.batch, g.c_in, g.h, g.w]);
    dx
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
    let g = Geometry::new(dims4(&x), dims4(&weight), options);
    debug_assert_eq!(dims4(&dy), [g.batch, g.c_out, g.ho, g.wo]);
    let (k, p) = (g.k(), g.pixels());
    let (xs, dys) = (values(&x), values(&dy));
    let w = View::rows(values(&weight), g.c_out, k);
    let plane = g.c_in * g.h * g.w;
    // The input gradient as a convolution of its own, after the weight gradient's pass.
    let dx_as_convolution = need_x && g.input_gradient_is_a_convolution();
    let need_x = need_x && !dx_as_convolution;
    let mut dx = need_x.then(|| zeros(g.batch * plane));
    let (groups, parallel) = image_groups(g.batch);
    let parts: Vec<Option<&mut [f32]>> = match dx.as_mut() {
        Some(dx) => split_groups(dx, &groups, plane)
            .into_iter()
            .map(Some)
            .collect(),
        None => groups.iter().map(|_| None).collect(),
    };
    let per_product = g.images_per_product();
    let dw_parts: Vec<Option<Vec<f32>>> = groups
        .into_par_iter()
        .zip(parts)
        .map(|(images, mut dx_part)| {
            let mut dw = need_weight.then(|| vec![0.0f32; g.c_out * k]);
            let (mut col, mut cols, mut gathered) = (Vec::new(), Vec::new(), Vec::new());
            let start = images.start;
            if per_product > 1 {
                for chunk in chunks(images, per_product) {
                    let n = chunk.len() * p;
                    // The chunk's output gradients side by side: `[C_out, G·P]`.
                    let dy_g = scratch(&mut gathered, g.c_out * n);
                    for (i, b) in chunk.clone().enumerate() {
                        let dy_b = &dys[b * g.c_out * p..][..g.c_out * p];
                        for (c, dy_row) in dy_b.chunks_exact(p).enumerate() {
                            dy_g[c * n + i * p..][..p].copy_from_slice(dy_row);
                        }
                    }
                    let dy_g = View::rows(dy_g, g.c_out, n);
                    if let Some(dw) = dw.as_mut() {
                        let col = scratch(&mut col, k * n);
                        images_im2col(xs, &g, chunk.clone(), col);
                        gemm(dw, k, dy_g, View::rows(col, k, n).t(), true, parallel);
                    }
                    if let Some(dx_part) = dx_part.as_deref_mut() {
                        let cols = scratch(&mut cols, k * n);
                        gemm(cols, n, w.t(), dy_g, false, parallel);
                        for (i, b) in chunk.enumerate() {
                            let dx_b = &mut dx_part[(b - start) * plane..][..plane];
                            col2im(&cols[i * p..], &g, (0, g.ho), dx_b, n);
                        }
                    }
                }
                return dw;
            }
            for b in images {
                let x_b = g.image(xs, b);
                let dy_b = &dys[b * g.c_out * p..][..g.c_out * p];
                let mut dx_b = dx_part
                    .as_deref_mut()
                    .map(|dx| &mut dx[(b - start) * plane..][..plane]);
                if g.pointwise() {
                    let dy_b = View::rows(dy_b, g.c_out, p);
                    if let Some(dw) = dw.as_mut() {
                        let x_t = View::rows(x_b, g.c_in, p).t();
                        gemm(dw, k, dy_b, x_t, true, parallel);
                    }
                    if let Some(dx_b) = dx_b {
                        gemm(dx_b, p, w.t(), dy_b, false, parallel);
                    }
                    continue;
                }
                for (first, rows) in g.bands() {
                    let band = rows * g.wo;
                    let dy_band = View::new(&dy_b[first * g.wo..], g.c_out, band, p, 1);
                    if let Some(dw) = dw.as_mut() {
                        let col = scratch(&mut col, k * band);
                        im2col(x_b, &g, (first, rows), col, band);
                        gemm(dw, k, dy_band, View::rows(col, k, band).t(), true, parallel);
                    }
                    if let Some(dx_b) = dx_b.as_deref_mut() {
                        let cols = scratch(&mut cols, k * band);
                        gemm(cols, band, w.t(), dy_band, false, parallel);
                        col2im(cols, &g, (first, rows), dx_b, band);
                    }
                }
            }
            dw
        })
        .collect();
    let dw = need_weight.then(|| {
        let mut parts = dw_parts.into_iter().flatten();
        let mut dw = parts.next().expect("one group at least");
        for part in parts {
            dw.par_iter_mut()
                .zip(part.par_iter())
                .for_each(|(sum, value)| *sum += value);
        }
        dw
    });
    let dx = match dx_as_convolution {
        true => Some(input_gradient(&dy, values(&weight), &g)),
        false => dx.map(|dx| tensor(dx, &[g.batch, g.c_in, g.h, g.w])),
    };
    (dx, dw.map(|dw| tensor(dw, &[g.c_out, g.c_in, g.kh, g.kw])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(c_in: usize, side: usize, kernel: usize, stride: usize) -> Geometry {
        let options = ConvOptions::new([stride; 2], [kernel / 2; 2], [1, 1], 1);
        Geometry::new([8, c_in, side, side], [16, c_in, kernel, kernel], &options)
    }

    /// Whole images go into one product only where an image has few output pixels, never
    /// more than the im2col budget holds, and always one image at least.
    #[test]
    fn images_per_product_follow_the_pixels_and_the_budget() {
        // 56×56 outputs: one image fills a product.
        assert_eq!(geometry(64, 56, 3, 1).images_per_product(), 1);
        // ResNet's last stage, 7×7 outputs of 512·9 rows: ⌈256 / 49⌉ = 6 images, and
        // 6 · 4,608 · 49 floats are within 8 MiB.
        assert_eq!(geometry(512, 7, 3, 1).images_per_product(), 6);
        // DenseNet's 1×1 layers at 7×7 with 1,024 inputs: 6 images.
        assert_eq!(geometry(1024, 7, 1, 1).images_per_product(), 6);
        // 14×14 with 4,096·9 rows: two images would pass the budget.
        let wide = geometry(4096, 14, 3, 1);
        assert!(2 * wide.k() * wide.pixels() > GROUP_FLOATS);
        assert_eq!(wide.images_per_product(), 1);
    }

    #[test]
    fn chunks_cover_the_images_in_order() {
        let got: Vec<Range<usize>> = chunks(3..10, 3).collect();
        assert_eq!(got, [3..6, 6..9, 9..10]);
        let whole: Vec<Range<usize>> = chunks(0..2, 6).collect();
        assert_eq!((whole.len(), whole[0].clone()), (1, 0..2));
        assert_eq!(chunks(4..4, 2).count(), 0);
    }
}
