//! The "L1" loss of Rao et al. (ICCV 2023), after GRADIA: the L1 distance between the
//! max-normalised positive CAM and the annotated region.

use burn::prelude::*;

use crate::positive_cam::PositiveCamTerm;
use crate::{LossConfigError, check_lambda};

/// Configuration of the [`MaskL1Loss`], built with [`MaskL1LossConfig::init`].
#[derive(Config, Debug)]
pub struct MaskL1LossConfig {
    /// Weight λ of the L1 term added to cross-entropy; `>= 0`.
    #[config(default = 1.0)]
    pub lambda: f64,
}

impl MaskL1LossConfig {
    /// Builds the loss, or says which value is out of range.
    pub fn try_init(&self) -> Result<MaskL1Loss, LossConfigError> {
        Ok(MaskL1Loss {
            lambda: check_lambda(self.lambda)?,
        })
    }

    /// Builds the loss.
    ///
    /// # Panics
    /// If `lambda` is negative or not finite.
    pub fn init(&self) -> MaskL1Loss {
        self.try_init().unwrap_or_else(|error| panic!("{error}"))
    }
}

/// Cross-entropy plus the "L1" loss that Rao, Böhle, Parchami-Araghi and Schiele (*Studying
/// How to Efficiently and Effectively Guide Models with Explanations*, ICCV 2023) compare,
/// after GRADIA (Gao et al., 2022):
///
/// `CE + λ · mean_b mean_cells |relu(CAM_y) / max relu(CAM_y) − M|`
///
/// per image, on the label's CAM at the grid and the map `M` area-averaged to the grid (a box
/// mask, or a human map with values in `[0, 1]`, used as is). It penalises evidence outside the
/// region and, unlike the [`EnergyLoss`](crate::EnergyLoss), the region's cells the CAM leaves
/// below its peak. A CAM with no positive value is not divided (its term is `mean |M|`), as in
/// the authors' code (`sukrutrao/Model-Guidance`: `check_only_positive`, `check_binarize`,
/// then `L1Loss(reduction="mean")` against the mask). Their code sums the term over a batch's
/// images; this averages it over the annotated ones.
///
/// Built by [`MaskL1LossConfig::init`].
#[derive(Debug, Clone)]
pub struct MaskL1Loss {
    lambda: f64,
}

impl PositiveCamTerm for MaskL1Loss {
    fn lambda(&self) -> f64 {
        self.lambda
    }

    /// `mean |cam / max cam − region|`, not divided where `max cam = 0`.
    fn per_image(&self, cam: Tensor<2>, region: Tensor<2>) -> Tensor<1> {
        let [batch, _] = cam.dims();
        let peak = cam.clone().max_dim(1); // [batch, 1]
        let flat = peak.clone().equal_elem(0.0);
        let normalised = cam / peak.mask_fill(flat, 1.0);
        (normalised - region).abs().mean_dim(1).reshape([batch])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SaliencyLoss;
    use burn::tensor::{TensorData, Tolerance};

    fn term(features: [f32; 4], region: [f32; 4]) -> f32 {
        let device = Device::flex();
        // One image, one channel, a 1×4 grid, label 0 whose weight is 1: CAM = features.
        let features = Tensor::<4>::from_floats([[[features]]], &device);
        let weights = Tensor::<2>::from_floats([[1.0], [-1.0]], &device);
        let logits = Tensor::<2>::from_floats([[0.0, 0.0]], &device);
        let labels = Tensor::<1, Int>::from_ints([0], &device);
        let region = Tensor::<3>::from_floats([[region]], &device);
        MaskL1LossConfig::new()
            .init()
            .forward(logits, features, weights, labels, region)
            .saliency
            .into_scalar::<f32>()
    }

    #[test]
    fn hand_computed_l1() {
        // relu(CAM) / max = [1, 0.5, 0, 0] against [1, 1, 0, 1]: (0 + 0.5 + 0 + 1) / 4.
        let value = term([4.0, 2.0, -1.0, 0.0], [1.0, 1.0, 0.0, 1.0]);
        TensorData::from([value])
            .assert_approx_eq::<f32>(&TensorData::from([0.375]), Tolerance::absolute(1e-6));
        // No positive evidence: nothing is divided, the term is mean |M| = 0.5.
        let value = term([-4.0, -2.0, -1.0, 0.0], [1.0, 1.0, 0.0, 0.0]);
        TensorData::from([value])
            .assert_approx_eq::<f32>(&TensorData::from([0.5]), Tolerance::absolute(1e-6));
    }

    #[test]
    fn a_negative_lambda_is_refused() {
        let error = MaskL1LossConfig::new().with_lambda(-0.5).try_init();
        assert_eq!(error.unwrap_err(), LossConfigError::Lambda(-0.5));
    }
}
