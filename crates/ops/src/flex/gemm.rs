//! The one module of `cyborg-ops` with `unsafe` code: a safe call of the `gemm` crate's `f32`
//! matrix product (the kernel behind flex's matmul) on strided views of slices.
//!
//! flex's own `matmul` takes tensors and returns a fresh one. The convolution kernels need
//! more: write a product straight into part of an output tensor (one image's planes), add it
//! to an accumulator, and read a matrix transposed without copying it. `gemm::gemm` does all
//! three through raw pointers and strides; [`gemm`] checks every bound first.
//!
//! The kernels are chosen here rather than by `gemm::gemm`: gemm-common's generic driver with
//! gemm-f32's micro-kernel table of the [`SimdLevel`] this process runs at ([`simd_level`]),
//! so that `CYBORG_SIMD` can hold an AVX-512 CPU to its AVX2 kernels. The driver and the tables
//! are the ones `gemm::gemm` itself dispatches to.

use gemm_common::Parallelism;

use super::simd::{SimdLevel, simd_level};

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
    // borrows outlive the call. Every stride fits in `isize` and is not negative (what
    // `gemm::gemm` would otherwise normalise before its driver), and `m`, `n`, `k` are
    // positive. `run` calls the kernels of a level the CPU has (`simd_level` never exceeds
    // `detected_level`).
    unsafe {
        run(
            simd_level(),
            Product {
                m,
                n,
                k,
                dst: dst.as_mut_ptr(),
                dst_cs: 1,
                dst_rs: stride(dst_row_stride),
                read_dst: accumulate,
                lhs: lhs.data.as_ptr(),
                lhs_cs: stride(lhs.col_stride),
                lhs_rs: stride(lhs.row_stride),
                rhs: rhs.data.as_ptr(),
                rhs_cs: stride(rhs.col_stride),
                rhs_rs: stride(rhs.row_stride),
                parallelism,
            },
        );
    }
}

/// The raw arguments of one product, `dst (+)= lhs · rhs`; element `(i, j)` of `dst` is at
/// `i · dst_rs + j · dst_cs`.
struct Product {
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    dst_cs: isize,
    dst_rs: isize,
    read_dst: bool,
    lhs: *const f32,
    lhs_cs: isize,
    lhs_rs: isize,
    rhs: *const f32,
    rhs_cs: isize,
    rhs_rs: isize,
    parallelism: Parallelism,
}

impl Product {
    /// The same product with `dst` read down its columns where its rows are the contiguous
    /// side: `dstᵀ = rhsᵀ · lhsᵀ`, the transposition `gemm::gemm` makes before its driver.
    /// The micro-kernels store a tile's columns (`MR` rows at a time), so a row-major `dst`
    /// would be written with strided stores, and a row-major `lhs` (a weight matrix) packed
    /// on every call.
    fn column_major(self) -> Self {
        if self.dst_cs.abs() >= self.dst_rs.abs() {
            return self;
        }
        Self {
            m: self.n,
            n: self.m,
            dst_cs: self.dst_rs,
            dst_rs: self.dst_cs,
            lhs: self.rhs,
            lhs_cs: self.rhs_rs,
            lhs_rs: self.rhs_cs,
            rhs: self.lhs,
            rhs_cs: self.lhs_rs,
            rhs_rs: self.lhs_cs,
            ..self
        }
    }
}

/// The best [`SimdLevel`] this CPU runs: what gemm-common's SIMD types find (V4: AVX-512F on
/// top of V3; V3: AVX, AVX2, FMA, F16C and the SSE levels).
pub(super) fn detected_level() -> SimdLevel {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        use gemm_common::simd::{MixedSimd, V3, V4};
        if <V4 as MixedSimd<f32, f32, f32, f32>>::try_new().is_some() {
            return SimdLevel::Avx512;
        }
        if <V3 as MixedSimd<f32, f32, f32, f32>>::try_new().is_some() {
            return SimdLevel::Avx2;
        }
    }
    SimdLevel::Portable
}

/// Runs `p` with the micro-kernels of `level`.
///
/// # Safety
/// `p` must satisfy `gemm::gemm`'s contract (pointers valid for every element the strides
/// reach, `dst` overlapping neither input, non-negative strides, `m`, `n`, `k` positive), and
/// the CPU must have `level` (`level <= detected_level()`).
unsafe fn run(level: SimdLevel, p: Product) {
    let p = p.column_major();
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        use gemm_common::simd::{MixedSimd, Scalar, V3, V4};
        use gemm_f32::microkernel::{avx512f, fma, scalar};
        // Floats per register of each table (the `N` gemm-f32 builds each table with).
        const AVX512_N: usize = 16;
        const AVX2_N: usize = 8;
        // SAFETY: the caller's contract; each table is run with the SIMD type it was built for,
        // which `try_new` only returns on a CPU that has it.
        unsafe {
            match level {
                SimdLevel::Avx512 => {
                    drive::<_, AVX512_N, { avx512f::f32::MR_DIV_N * AVX512_N }, _, _, _, _>(
                        V4::try_new().expect("an AVX-512 level only where the CPU has it"),
                        &avx512f::f32::UKR,
                        &avx512f::f32::H_UKR,
                        p,
                    )
                }
                SimdLevel::Avx2 => drive::<_, AVX2_N, { fma::f32::MR_DIV_N * AVX2_N }, _, _, _, _>(
                    V3::try_new().expect("an AVX2 level only where the CPU has it"),
                    &fma::f32::UKR,
                    &fma::f32::H_UKR,
                    p,
                ),
                SimdLevel::Portable => drive::<_, 1, { scalar::f32::MR_DIV_N }, _, _, _, _>(
                    <Scalar as MixedSimd<f32, f32, f32, f32>>::try_new()
                        .expect("scalar code runs everywhere"),
                    &scalar::f32::UKR,
                    &scalar::f32::H_UKR,
                    p,
                ),
            }
        }
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    {
        let _ = level;
        // SAFETY: the caller's contract, which is gemm's.
        unsafe {
            gemm_f32::gemm::f32::get_gemm_fn()(
                p.m,
                p.n,
                p.k,
                p.dst,
                p.dst_cs,
                p.dst_rs,
                p.read_dst,
                p.lhs,
                p.lhs_cs,
                p.lhs_rs,
                p.rhs,
                p.rhs_cs,
                p.rhs_rs,
                1.0,
                1.0,
                false,
                false,
                false,
                p.parallelism,
            );
        }
    }
}

/// gemm-common's driver with one micro-kernel table: `dst = 1 · dst + 1 · lhs · rhs` (`dst`
/// read only when `p.read_dst`), what `gemm::gemm` runs for `f32`.
///
/// # Safety
/// As [`run`]; `simd` is the SIMD type the tables were built for.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
unsafe fn drive<
    S: gemm_common::simd::MixedSimd<f32, f32, f32, f32>,
    const N: usize,
    const MR: usize,
    const NR: usize,
    const MR_DIV_N: usize,
    const H_M: usize,
    const H_N: usize,
>(
    simd: S,
    kernels: &[[gemm_common::microkernel::MicroKernelFn<f32>; NR]; MR_DIV_N],
    horizontal: &[[gemm_common::microkernel::HMicroKernelFn<f32>; H_N]; H_M],
    p: Product,
) {
    // SAFETY: the caller's contract.
    unsafe {
        gemm_common::gemm::gemm_basic_generic::<S, f32, N, MR, NR, MR_DIV_N, H_M, H_N>(
            simd,
            p.m,
            p.n,
            p.k,
            p.dst,
            p.dst_cs,
            p.dst_rs,
            p.read_dst,
            p.lhs,
            p.lhs_cs,
            p.lhs_rs,
            p.rhs,
            p.rhs_cs,
            p.rhs_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            |a, b, c| a * b + c,
            kernels,
            horizontal,
            false,
            p.parallelism,
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

    /// A product with every stride kind, by each kernel level this CPU has, against a plain
    /// triple loop in `f64`: sizes past one micro-kernel tile (and gemm's packing thresholds)
    /// in every direction, a transposed left operand, accumulation.
    #[test]
    fn every_level_the_cpu_has_matches_a_plain_product() {
        let (m, k, n) = (37, 70, 29);
        let value = |i: usize| ((i * 7919 % 1009) as f32 / 1009.0) - 0.5;
        let a: Vec<f32> = (0..k * m).map(value).collect(); // stored k × m: lhs is its transpose
        let b: Vec<f32> = (0..k * n).map(|i| value(i + 3)).collect();
        let start: Vec<f32> = (0..m * (n + 3)).map(|i| value(i + 11)).collect();
        let mut want = vec![0.0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                let dot: f64 = (0..k)
                    .map(|p| a[p * m + i] as f64 * b[p * n + j] as f64)
                    .sum();
                want[i * n + j] = start[i * (n + 3) + j] as f64 + dot;
            }
        }
        let levels: Vec<SimdLevel> = SimdLevel::ALL
            .into_iter()
            .filter(|&level| level <= detected_level())
            .collect();
        assert!(levels.contains(&SimdLevel::Portable));
        for level in levels {
            for parallel in [false, true] {
                let mut dst = start.clone();
                let parallelism = match parallel {
                    true => Parallelism::Rayon(2),
                    false => Parallelism::None,
                };
                let lhs = View::rows(&a, k, m).t();
                let rhs = View::rows(&b, k, n);
                // SAFETY: `dst` holds m rows of n + 3, `a` and `b` hold k · m and k · n values,
                // all strides are positive and the three buffers are distinct.
                unsafe {
                    run(
                        level,
                        Product {
                            m,
                            n,
                            k,
                            dst: dst.as_mut_ptr(),
                            dst_cs: 1,
                            dst_rs: (n + 3) as isize,
                            read_dst: true,
                            lhs: lhs.data.as_ptr(),
                            lhs_cs: lhs.col_stride as isize,
                            lhs_rs: lhs.row_stride as isize,
                            rhs: rhs.data.as_ptr(),
                            rhs_cs: rhs.col_stride as isize,
                            rhs_rs: rhs.row_stride as isize,
                            parallelism,
                        },
                    );
                }
                for i in 0..m {
                    for j in 0..n {
                        let (got, want) = (dst[i * (n + 3) + j] as f64, want[i * n + j]);
                        assert!(
                            (got - want).abs() < 1e-4,
                            "{level} ({i}, {j}): {got} vs {want}"
                        );
                    }
                    // The three values past each row are left alone.
                    assert_eq!(dst[i * (n + 3) + n..][..3], start[i * (n + 3) + n..][..3]);
                }
            }
        }
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
