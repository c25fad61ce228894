//! The one module of `cyborg-ops` with `unsafe` code: a safe call of the `gemm` crate's `f32`
//! matrix product (the kernel behind flex's matmul) on strided views of slices.
//!
//! flex's own `matmul` takes tensors and returns a fresh one. The convolution kernels need
//! more: write a product straight into part of an output tensor (one image's planes), add it
//! to an accumulator, and read a matrix transposed without copying it. `gemm::gemm` does all
//! three through raw pointers and strides; [`gemm`] checks every bound first.

use gemm::Parallelism;

/// A read-only `rows × cols` matrix inside a slice: element `(i, j)` is
/// `data[i · row_stride + j · col_stride]`.
#[derive(Debug, Clone, Copy)]
pub(super) struct View<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

/// Whether every element of a `rows × cols` matrix with these strides lies in `0..len`.
fn fits(len: usize, rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> bool {
    rows == 0 || cols == 0 || (rows - 1) * row_stride + (cols - 1) * col_stride < len
}

impl<'a> View<'a> {
    /// A strided view.
    ///
    /// # Panics
    /// When an element would lie outside `data`.
    pub(super) fn new(
        data: &'a [f32],
        rows: usize,
        cols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Self {
        assert!(
            fits(data.len(), rows, cols, row_stride, col_stride),
            "a {rows}×{cols} view with strides ({row_stride}, {col_stride}) over {} values",
            data.len()
        );
        Self {
            data,
            rows,
            cols,
            row_stride,
            col_stride,
        }
    }

    /// The first `rows · cols` values of `data`, row after row.
    pub(super) fn rows(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self::new(data, rows, cols, cols, 1)
    }

    /// The transpose (no copy).
    pub(super) fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }
}

/// `dst = lhs · rhs`, or `dst += lhs · rhs` when `accumulate`; `dst` is `lhs.rows × rhs.cols`,
/// row `i` starting at `i · dst_row_stride`. `parallel` lets gemm use the rayon threads.
///
/// # Panics
/// When the inner sizes differ or `dst` is too short.
pub(super) fn gemm(
    dst: &mut [f32],
    dst_row_stride: usize,
    lhs: View<'_>,
    rhs: View<'_>,
    accumulate: bool,
    parallel: bool,
) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(k, rhs.rows, "inner sizes of a matrix product");
    assert!(
        fits(dst.len(), m, n, dst_row_stride, 1),
        "a {m}×{n} product with row stride {dst_row_stride} into {} values",
        dst.len()
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for row in 0..m {
                dst[row * dst_row_stride..][..n].fill(0.0);
            }
        }
        return;
    }
    let stride = |s: usize| isize::try_from(s).expect("a stride that fits in isize");
    let parallelism = match parallel {
        true => Parallelism::Rayon(0),
        false => Parallelism::None,
    };
    // SAFETY: gemm writes `dst[i · dst_row_stride + j]` for `i < m`, `j < n`, in bounds by the
    // assertion above, and reads it only when `accumulate`; it reads
    // `lhs.data[i · lhs.row_stride + p · lhs.col_stride]` and
    // `rhs.data[p · rhs.row_stride + j · rhs.col_stride]` for `p < k`, in bounds by the checks
    // of `View::new`. `dst` is borrowed mutably, so it overlaps neither input, and all three
    // borrows outlive the call. Every stride fits in `isize`, and `f32` is one of gemm's types.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            stride(dst_row_stride),
            accumulate,
            lhs.data.as_ptr(),
            stride(lhs.col_stride),
            stride(lhs.row_stride),
            rhs.data.as_ptr(),
            stride(rhs.col_stride),
            stride(rhs.row_stride),
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The product of two small matrices, by hand.
    #[test]
    fn products_strided_transposed_and_accumulated() {
        // a = [[1, 2, 3], [4, 5, 6]], b = aᵀ: a · aᵀ = [[14, 32], [32, 77]].
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut dst = [0.0f32; 6];
        gemm(
            &mut dst,
            3,
            View::rows(&a, 2, 3),
            View::rows(&a, 2, 3).t(),
            false,
            false,
        );
        assert_eq!(dst, [14.0, 32.0, 0.0, 32.0, 77.0, 0.0]);
        // Adds aᵀ · a's top-left 2×2 block ([[17, 22], [22, 29]]) when accumulating.
        let block_left = View::new(&a, 2, 2, 1, 3);
        let block_right = View::new(&a, 2, 2, 3, 1);
        gemm(&mut dst, 3, block_left, block_right, true, true);
        assert_eq!(dst, [31.0, 54.0, 0.0, 54.0, 106.0, 0.0]);
    }

    #[test]
    #[should_panic(expected = "over 5 values")]
    fn refuses_a_view_past_its_slice() {
        View::rows(&[0.0; 5], 2, 3);
    }

    #[test]
    #[should_panic(expected = "into 4 values")]
    fn refuses_a_short_destination() {
        let a = [1.0; 6];
        gemm(
            &mut [0.0; 4],
            3,
            View::rows(&a, 2, 3),
            View::rows(&a, 3, 2),
            false,
            false,
        );
    }
}
