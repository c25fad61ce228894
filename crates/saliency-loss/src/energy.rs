//! The Energy loss of Rao et al. (ICCV 2023): the share of the positive CAM outside the
//! annotated region.

use burn::prelude::*;

use crate::positive_cam::PositiveCamTerm;
use crate::{LossConfigError, check_eps, check_lambda};

/// Configuration of the [`EnergyLoss`], built with [`EnergyLossConfig::init`].
#[derive(Config, Debug)]
pub struct EnergyLossConfig {
    /// Weight λ of the Energy term added to cross-entropy; `>= 0`.
    #[config(default = 1.0)]
    pub lambda: f64,
    /// Below this total positive CAM mass an image's term is `1 − Σ relu(CAM)·M` (no
    /// division), as in the reference code; `>= 0`.
    #[config(default = 1e-7)]
    pub eps: f64,
}

impl EnergyLossConfig {
    /// Builds the loss, or says which value is out of range.
    pub fn try_init(&self) -> Result<EnergyLoss, LossConfigError> {
        Ok(EnergyLoss {
            eps: check_eps(self.eps)?,
            lambda: check_lambda(self.lambda)?,
        })
    }

    /// Builds the loss.
    ///
    /// # Panics
    /// If `lambda` or `eps` is negative or not finite.
    pub fn init(&self) -> EnergyLoss {
        self.try_init().unwrap_or_else(|error| panic!("{error}"))
    }
}

/// Cross-entropy plus the Energy loss of Rao, Böhle, Parchami-Araghi and Schiele (*Studying
/// How to Efficiently and Effectively Guide Models with Explanations*, ICCV 2023), the loss
/// they found to guide models best with bounding boxes:
///
/// `CE + λ · mean_b (1 − Σ relu(CAM_y)·M / Σ relu(CAM_y))`
///
/// per image, on the label's CAM at the grid and the map `M` area-averaged to the grid (a box
/// mask, or a human map with values in `[0, 1]`, used as is). The term is the share of the
/// positive evidence outside the region: 0 when all of it lies inside, whatever its shape
/// there, so unlike [`CyborgLoss`](crate::CyborgLoss) it does not ask the CAM to fill the
/// region. Where `Σ relu(CAM_y) < eps` the term is `1 − Σ relu(CAM_y)·M`, as in the authors'
/// code (`sukrutrao/Model-Guidance`, `losses.py`); their code sums the term over a batch's
/// images, this averages it over the annotated ones (a λ of theirs is this λ divided by the
/// batch size).
///
/// Built by [`EnergyLossConfig::init`].
#[derive(Debug, Clone)]
pub struct EnergyLoss {
    lambda: f64,
    eps: f64,
}

impl PositiveCamTerm for EnergyLoss {
    fn lambda(&self) -> f64 {
        self.lambda
    }

    /// `1 − Σ cam·region / Σ cam`, or `1 − Σ cam·region` where `Σ cam < eps`.
    fn per_image(&self, cam: Tensor<2>, region: Tensor<2>) -> Tensor<1> {
        let [batch, _] = cam.dims();
        let inside = (cam.clone() * region).sum_dim(1).reshape([batch]);
        let mass = cam.sum_dim(1).reshape([batch]);
        let tiny = mass.clone().lower_elem(self.eps);
        (inside / mass.mask_fill(tiny, 1.0)).neg().add_scalar(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SaliencyLoss, SaliencyLossOutput};
    use burn::tensor::{TensorData, Tolerance};

    fn run(features: [[f32; 3]; 1], region: [[f32; 3]; 1], lambda: f64) -> SaliencyLossOutput {
        let device = Device::flex();
        // One image, one channel, a 1×3 grid, two classes with weights 1 and −1, label 0: the
        // label's CAM is the feature map itself.
        let features = Tensor::<4>::from_floats([[features]], &device);
        let weights = Tensor::<2>::from_floats([[1.0], [-1.0]], &device);
        let logits = Tensor::<2>::from_floats([[0.0, 0.0]], &device);
        let labels = Tensor::<1, Int>::from_ints([0], &device);
        let region = Tensor::<3>::from_floats([region], &device);
        EnergyLossConfig::new()
            .with_lambda(lambda)
            .init()
            .forward(logits, features, weights, labels, region)
    }

    fn assert_scalar(tensor: Tensor<1>, expected: f32) {
        tensor
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from([expected]), Tolerance::absolute(1e-6));
    }

    #[test]
    fn hand_computed_energy() {
        // relu(CAM) = [2, 0, 1]: 2 of the mass 3 inside the region [1, 1, 0] -> 1 − 2/3.
        let out = run([[2.0, -3.0, 1.0]], [[1.0, 1.0, 0.0]], 2.0);
        assert_scalar(out.saliency, 1.0 / 3.0);
        assert_scalar(out.total, core::f32::consts::LN_2 + 2.0 / 3.0);
        // A soft map weighs the inside: (2·0.5 + 1·1) / 3.
        let out = run([[2.0, -3.0, 1.0]], [[0.5, 0.0, 1.0]], 1.0);
        assert_scalar(out.saliency, 1.0 / 3.0);
    }

    #[test]
    fn no_positive_evidence_is_the_reference_codes_fallback() {
        // relu(CAM) = 0 everywhere: no division, the term is 1 − 0 = 1, and finite.
        let out = run([[-1.0, -2.0, -3.0]], [[1.0, 0.0, 0.0]], 1.0);
        assert_scalar(out.saliency, 1.0);
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let lambda = EnergyLossConfig::new().with_lambda(-1.0).try_init();
        assert_eq!(lambda.unwrap_err(), LossConfigError::Lambda(-1.0));
        let eps = EnergyLossConfig::new().with_eps(f64::NAN).try_init();
        assert!(matches!(eps.unwrap_err(), LossConfigError::Eps(e) if e.is_nan()));
    }
}
