//! KPCA-CAM (Karmani et al., 2024): EigenCAM with kernel PCA, as pytorch-grad-cam computes it
//! (`get_2d_projection_kernel` with scikit-learn's `KernelPCA(n_components=1,
//! kernel="sigmoid")`).

use burn::prelude::*;

/// The kernel PCA projection of each image's activations on its first component: the
/// `[h·w, channels]` activations centred per channel, the sigmoid kernel
/// `K = tanh(γ · X Xᵀ + 1)` between grid cells (`γ` = `gamma`, or `1 / channels`), centred in
/// feature space, and each cell's coordinate on the eigenvector of the largest eigenvalue,
/// `v · √λ` (0 where that eigenvalue is not positive). The eigenvector's sign is
/// scikit-learn's (`svd_flip`): its entry of largest magnitude is positive.
///
/// Runs on the host, per image: a symmetric eigenproblem of the grid's size (49 cells for a
/// 7×7 grid), solved by cyclic Jacobi rotations in `f64`, each sweep `O(cells³)`: fractions of
/// a second up to a 14×14 grid, seconds at 19×19, slow beyond. (scikit-learn switches to
/// ARPACK above 200 cells; the top eigenpair, and so the map, is the same.)
///
/// # Shapes
/// - activations: `[batch, channels, h, w]`
/// - output: `[batch, h, w]`
pub fn kpca_cam(activations: Tensor<4>, gamma: Option<f64>) -> Tensor<3> {
    let [batch, channels, h, w] = activations.dims();
    let device = activations.device();
    // NaN activations count as 0, as pytorch-grad-cam sets them.
    let values: Vec<f64> = activations
        .into_data()
        .convert::<f64>()
        .iter::<f64>()
        .map(|v| if v.is_nan() { 0.0 } else { v })
        .collect();
    let cells = h * w;
    let gamma = gamma.unwrap_or(1.0 / channels as f64);
    let mut out = Vec::with_capacity(batch * cells);
    for image in 0..batch {
        let a = &values[image * channels * cells..][..channels * cells];
        // x[i][k]: cell i, channel k, centred over the cells.
        let mut x = vec![0.0; cells * channels];
        for k in 0..channels {
            let plane = &a[k * cells..][..cells];
            let mean = plane.iter().sum::<f64>() / cells as f64;
            for (i, v) in plane.iter().enumerate() {
                x[i * channels + k] = v - mean;
            }
        }
        let mut kernel = vec![0.0; cells * cells];
        for i in 0..cells {
            for j in 0..=i {
                let dot: f64 = (0..channels)
                    .map(|k| x[i * channels + k] * x[j * channels + k])
                    .sum();
                let value = (gamma * dot + 1.0).tanh();
                kernel[i * cells + j] = value;
                kernel[j * cells + i] = value;
            }
        }
        centre_kernel(&mut kernel, cells);
        let (value, mut vector) = top_eigenpair(kernel, cells);
        // The first entry of largest magnitude (NumPy's argmax), made positive.
        let largest =
            vector.iter().copied().fold(
                0.0f64,
                |best, v| if v.abs() > best.abs() { v } else { best },
            );
        if largest < 0.0 {
            vector.iter_mut().for_each(|v| *v = -*v);
        }
        let scale = value.max(0.0).sqrt();
        out.extend(vector.iter().map(|v| (v * scale) as f32));
    }
    Tensor::<1>::from_floats(out.as_slice(), &device).reshape([batch, h, w])
}

/// `K − 1K − K1 + 1K1` with `1` the `n × n` matrix of `1/n` (scikit-learn's `KernelCenterer`).
fn centre_kernel(kernel: &mut [f64], n: usize) {
    let rows: Vec<f64> = (0..n)
        .map(|i| kernel[i * n..][..n].iter().sum::<f64>() / n as f64)
        .collect();
    let all = rows.iter().sum::<f64>() / n as f64;
    // K is symmetric: column means are the row means.
    for i in 0..n {
        for j in 0..n {
            kernel[i * n + j] += all - rows[i] - rows[j];
        }
    }
}

/// The largest eigenvalue of the symmetric `n × n` matrix `a` and a unit eigenvector, by
/// cyclic Jacobi rotations until the off-diagonal part is negligible.
fn top_eigenpair(mut a: Vec<f64>, n: usize) -> (f64, Vec<f64>) {
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let norm: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum::<f64>()
            .sqrt();
        if off <= 1e-15 * norm.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let top = (0..n)
        .max_by(|&i, &j| a[i * n + i].total_cmp(&a[j * n + j]))
        .expect("a matrix of at least one row");
    (a[top * n + top], (0..n).map(|k| v[k * n + top]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_finds_the_top_eigenpair_by_hand() {
        // [[2, 1], [1, 2]]: eigenvalues 3 (vector (1, 1)/√2) and 1.
        let (value, vector) = top_eigenpair(vec![2.0, 1.0, 1.0, 2.0], 2);
        assert!((value - 3.0).abs() < 1e-12, "{value}");
        let r = std::f64::consts::FRAC_1_SQRT_2;
        assert!((vector[0].abs() - r).abs() < 1e-12 && (vector[0] - vector[1]).abs() < 1e-12);
        // diag(1, 5, 2) with a small coupling: the top one is near 5, along the second axis.
        let (value, vector) = top_eigenpair(vec![1.0, 0.0, 0.0, 0.0, 5.0, 0.1, 0.0, 0.1, 2.0], 3);
        assert!(
            (value - (3.5 + (2.25f64 + 0.01).sqrt())).abs() < 1e-12,
            "{value}"
        );
        assert!(vector[1].abs() > 0.99 && vector[0] == 0.0, "{vector:?}");
    }

    #[test]
    fn centred_kernel_rows_sum_to_zero() {
        let mut k = vec![1.0, 0.5, 0.2, 0.5, 2.0, 0.3, 0.2, 0.3, 0.7];
        centre_kernel(&mut k, 3);
        for i in 0..3 {
            let row: f64 = k[i * 3..][..3].iter().sum();
            assert!(row.abs() < 1e-12, "{row}");
        }
    }
}
