//! Distances between a normalised CAM and a normalised human map.

use burn::prelude::*;
use burn::tensor::activation::relu;
use serde::{Deserialize, Serialize};

/// How far predictions are kept from 0 and 1 inside [`SaliencyDistance::Bce`]'s logarithms:
/// 2⁻²⁰ ≈ 9.5e-7, a power of two so that `1 − BCE_CLAMP` is exact in f32 and f64 alike.
pub const BCE_CLAMP: f64 = 1.0 / 1_048_576.0;

/// Smoothing added to both distributions inside [`SaliencyDistance::Kl`]'s logarithms. It
/// bounds the gradient where the CAM is zero but the human map is not (the normalised CAM is
/// exactly zero at its minimum), to about `1 / KL_SMOOTHING`.
pub const KL_SMOOTHING: f64 = 1e-4;

/// The distance between a min-max-normalised CAM `p` and human map `s`, both `[0, 1]`,
/// averaged per image over the `n` cells of the grid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SaliencyDistance {
    /// Mean squared error `mean((p − s)²)`, the paper's choice. The default.
    #[default]
    Mse,
    /// Mean absolute error `mean(|p − s|)`.
    L1,
    /// Binary cross-entropy of each cell, the human map as target:
    /// `mean(−s·ln q − (1 − s)·ln(1 − q))` with `q = clamp(p, δ, 1 − δ)`, δ = [`BCE_CLAMP`].
    Bce,
    /// Kullback–Leibler divergence `KL(P ‖ Q)` of the maps read as distributions over cells,
    /// `P = s / Σs`, `Q = p / Σp`: `Σ P · (ln(P + ε) − ln(Q + ε))`, ε = [`KL_SMOOTHING`].
    /// Not averaged over cells (it is already a sum over a distribution).
    Kl,
}

impl SaliencyDistance {
    /// The distance of each image.
    ///
    /// `eps` guards the sums of [`SaliencyDistance::Kl`] against all-zero maps.
    ///
    /// # Shapes
    /// - cam: `[batch, height, width]`, normalised to `[0, 1]`
    /// - target: `[batch, height, width]`, normalised to `[0, 1]`
    /// - output: `[batch]`
    ///
    /// # Panics
    /// If the two shapes differ; the message names both.
    pub fn per_image(&self, cam: Tensor<3>, target: Tensor<3>, eps: f64) -> Tensor<1> {
        assert!(
            cam.dims() == target.dims(),
            "cam {:?} and target {:?} must have the same shape",
            cam.dims(),
            target.dims()
        );
        let [batch, height, width] = cam.dims();
        let p = cam.reshape([batch, height * width]);
        let s = target.reshape([batch, height * width]);
        let per_cell_mean = |cells: Tensor<2>| cells.mean_dim(1).reshape([batch]);
        match self {
            SaliencyDistance::Mse => per_cell_mean((p - s).square()),
            SaliencyDistance::L1 => per_cell_mean((p - s).abs()),
            SaliencyDistance::Bce => {
                let q = p.clamp(BCE_CLAMP, 1.0 - BCE_CLAMP);
                let one_minus_s = s.clone().neg().add_scalar(1.0);
                let one_minus_q = q.clone().neg().add_scalar(1.0);
                per_cell_mean((s * q.log() + one_minus_s * one_minus_q.log()).neg())
            }
            SaliencyDistance::Kl => {
                let as_distribution = |m: Tensor<2>| {
                    let m = relu(m);
                    let total = m.clone().sum_dim(1).add_scalar(eps);
                    m / total
                };
                let p_human = as_distribution(s);
                let q_cam = as_distribution(p);
                let log_ratio = p_human.clone().add_scalar(KL_SMOOTHING).log()
                    - q_cam.add_scalar(KL_SMOOTHING).log();
                (p_human * log_ratio).sum_dim(1).reshape([batch])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{TensorData, Tolerance};

    fn maps() -> (Tensor<3>, Tensor<3>) {
        let device = Device::flex();
        let cam = Tensor::<3>::from_floats([[[0.0, 0.5], [1.0, 0.25]]], &device);
        let target = Tensor::<3>::from_floats([[[0.0, 1.0], [1.0, 0.0]]], &device);
        (cam, target)
    }

    fn check(distance: SaliencyDistance, expected: f32) {
        let (cam, target) = maps();
        distance
            .per_image(cam, target, 1e-8)
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from([expected]), Tolerance::absolute(1e-5));
    }

    #[test]
    fn mse_by_hand() {
        // ((0)² + (−0.5)² + 0² + 0.25²) / 4
        check(SaliencyDistance::Mse, (0.25 + 0.0625) / 4.0);
    }

    #[test]
    fn l1_by_hand() {
        check(SaliencyDistance::L1, (0.5 + 0.25) / 4.0);
    }

    #[test]
    fn bce_by_hand() {
        // cells: s=0,p=0 -> −ln(1−δ); s=1,p=.5 -> −ln .5; s=1,p=1 -> −ln(1−δ); s=0,p=.25 -> −ln .75
        let d = BCE_CLAMP;
        let expected = (-2.0 * (1.0 - d).ln() - 0.5f64.ln() - 0.75f64.ln()) / 4.0;
        check(SaliencyDistance::Bce, expected as f32);
    }

    #[test]
    fn kl_by_hand() {
        // P = [0, .5, .5, 0], Q = [0, .5, 1, .25] / 1.75
        let e = KL_SMOOTHING;
        let q = [0.5 / 1.75, 1.0 / 1.75];
        let expected =
            0.5 * ((0.5 + e).ln() - (q[0] + e).ln()) + 0.5 * ((0.5 + e).ln() - (q[1] + e).ln());
        check(SaliencyDistance::Kl, expected as f32);
    }

    #[test]
    fn identical_maps_are_at_distance_zero() {
        let (_, target) = maps();
        for distance in [
            SaliencyDistance::Mse,
            SaliencyDistance::L1,
            SaliencyDistance::Kl,
        ] {
            let d = distance.per_image(target.clone(), target.clone(), 1e-8);
            d.into_data()
                .assert_approx_eq::<f32>(&TensorData::from([0.0]), Tolerance::absolute(1e-6));
        }
    }
}
