//! The gradient-weighted members of the CAM family, in pytorch-grad-cam's definitions
//! (`pytorch_grad_cam/*.py`, Gildenblat et al.), on whole batches.
//!
//! Each takes the activations `A` of the explained layer and the gradients `G = ∂score/∂A` of
//! the target score, both `[batch, channels, h, w]`, and returns the raw map `[batch, h, w]`,
//! before the ReLU and scaling that [`crate::CamNormalization`] applies.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// The denominator guard of Grad-CAM++ (pytorch-grad-cam's `eps = 0.000001`).
pub const GRAD_CAM_PLUS_PLUS_EPS: f64 = 1e-6;
/// The denominator guard of XGrad-CAM (pytorch-grad-cam's `eps = 1e-7`).
pub const XGRAD_CAM_EPS: f64 = 1e-7;

/// A CAM method computed from activations and their gradients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GradientCam {
    /// Grad-CAM (Selvaraju et al., ICCV 2017): channel weights are the spatial mean of the
    /// gradients, `Σ_k mean_hw(G_k) · A_k`.
    GradCam,
    /// Grad-CAM++ (Chattopadhay et al., WACV 2018): weights `Σ_hw relu(G) · a`, with
    /// `a = G² / (2G² + Σ_hw(A) · G³ + ε)` (0 where `G = 0`).
    GradCamPlusPlus,
    /// XGrad-CAM (Fu et al., BMVC 2020): weights `Σ_hw G · A / (Σ_hw A + ε)`.
    XGradCam,
    /// HiResCAM (Draelos & Carin, 2020): the element-wise product summed over channels,
    /// `Σ_k G_k ⊙ A_k`.
    HiResCam,
    /// LayerCAM (Jiang et al., TIP 2021): `Σ_k relu(G_k) ⊙ A_k`.
    LayerCam,
    /// Grad-CAM element-wise (pytorch-grad-cam's `GradCAMElementWise`): the element-wise
    /// product kept where positive, `Σ_k relu(G_k ⊙ A_k)`.
    ElementWise,
}

impl GradientCam {
    /// The raw maps.
    ///
    /// # Shapes
    /// - activations: `[batch, channels, h, w]`
    /// - gradients: `[batch, channels, h, w]`
    /// - output: `[batch, h, w]`
    ///
    /// # Panics
    /// If the two shapes differ.
    pub fn maps(self, activations: Tensor<4>, gradients: Tensor<4>) -> Tensor<3> {
        same_shape(&activations, &gradients);
        match self.channel_weights(&activations, gradients.clone()) {
            Some(weights) => weighted_sum(activations, weights),
            None => channel_sum(self.weighted_activations(activations, gradients)),
        }
    }

    /// The weighted activations whose sum over channels is [`GradientCam::maps`]: each
    /// channel weighted by its scalar weight (Grad-CAM, Grad-CAM++, XGrad-CAM) or element-wise
    /// (HiResCAM, LayerCAM, element-wise). With `eigen_smooth`, pytorch-grad-cam projects
    /// these on their first principal component instead of summing them ([`crate::eigen_cam`]).
    ///
    /// # Shapes
    /// - activations: `[batch, channels, h, w]`
    /// - gradients: `[batch, channels, h, w]`
    /// - output: `[batch, channels, h, w]`
    ///
    /// # Panics
    /// If the two shapes differ.
    pub fn weighted_activations(self, activations: Tensor<4>, gradients: Tensor<4>) -> Tensor<4> {
        same_shape(&activations, &gradients);
        let relu = burn::tensor::activation::relu;
        if let Some(weights) = self.channel_weights(&activations, gradients.clone()) {
            let [b, c, _, _] = activations.dims();
            return activations * weights.reshape([b, c, 1, 1]);
        }
        match self {
            GradientCam::HiResCam => gradients * activations,
            GradientCam::LayerCam => relu(gradients) * activations,
            GradientCam::ElementWise => relu(gradients * activations),
            GradientCam::GradCam | GradientCam::GradCamPlusPlus | GradientCam::XGradCam => {
                unreachable!("the channel-weighted methods returned above")
            }
        }
    }

    /// The `[batch, channels]` weights of the methods that weight each channel by one number,
    /// `None` for the element-wise ones.
    fn channel_weights(self, activations: &Tensor<4>, gradients: Tensor<4>) -> Option<Tensor<2>> {
        let [b, c, _, _] = activations.dims();
        match self {
            GradientCam::GradCam => {
                let area = area(&gradients);
                Some(spatial_sum(gradients).div_scalar(area))
            }
            GradientCam::GradCamPlusPlus => {
                let squared = gradients.clone().powi_scalar(2);
                let cubed = squared.clone() * gradients.clone();
                let total = spatial_sum(activations.clone()).reshape([b, c, 1, 1]);
                let alpha = squared.clone()
                    / (squared.mul_scalar(2.0) + total * cubed).add_scalar(GRAD_CAM_PLUS_PLUS_EPS);
                let alpha = alpha.mask_fill(gradients.clone().equal_elem(0.0), 0.0);
                Some(spatial_sum(
                    burn::tensor::activation::relu(gradients) * alpha,
                ))
            }
            GradientCam::XGradCam => {
                let total = spatial_sum(activations.clone()).reshape([b, c, 1, 1]);
                Some(spatial_sum(
                    gradients * activations.clone() / total.add_scalar(XGRAD_CAM_EPS),
                ))
            }
            GradientCam::HiResCam | GradientCam::LayerCam | GradientCam::ElementWise => None,
        }
    }
}

/// Panics unless the activations and gradients have the same shape.
fn same_shape(activations: &Tensor<4>, gradients: &Tensor<4>) {
    assert_eq!(
        activations.dims(),
        gradients.dims(),
        "activations {:?} and gradients {:?} must have the same shape",
        activations.dims(),
        gradients.dims()
    );
}

/// `h · w` of a `[batch, channels, h, w]` tensor.
fn area(x: &Tensor<4>) -> f64 {
    let [_, _, h, w] = x.dims();
    (h * w) as f64
}

/// `Σ_hw x`: `[batch, channels, h, w]` → `[batch, channels]`.
pub(crate) fn spatial_sum(x: Tensor<4>) -> Tensor<2> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c, h * w]).sum_dim(2).reshape([b, c])
}

/// `Σ_k x_k`: `[batch, channels, h, w]` → `[batch, h, w]`.
pub(crate) fn channel_sum(x: Tensor<4>) -> Tensor<3> {
    let [b, _, h, w] = x.dims();
    x.sum_dim(1).reshape([b, h, w])
}

/// `Σ_k weights_k · A_k`, the map every weighted method ends with.
///
/// # Shapes
/// - activations: `[batch, channels, h, w]`
/// - weights: `[batch, channels]`
/// - output: `[batch, h, w]`
pub fn weighted_sum(activations: Tensor<4>, weights: Tensor<2>) -> Tensor<3> {
    let [b, c, _, _] = activations.dims();
    assert_eq!(
        weights.dims(),
        [b, c],
        "weights {:?} must be [batch, channels] of activations {:?}",
        weights.dims(),
        activations.dims()
    );
    channel_sum(activations * weights.reshape([b, c, 1, 1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Tolerance;

    fn device() -> Device {
        Device::flex()
    }

    /// One image, two channels on a 1×2 grid: A = [[1, 2], [3, 0]], G = [[1, -1], [2, 2]].
    fn case() -> (Tensor<4>, Tensor<4>) {
        let a = Tensor::<1>::from_floats([1.0, 2.0, 3.0, 0.0], &device()).reshape([1, 2, 1, 2]);
        let g = Tensor::<1>::from_floats([1.0, -1.0, 2.0, 2.0], &device()).reshape([1, 2, 1, 2]);
        (a, g)
    }

    fn check(method: GradientCam, expected: [f64; 2]) {
        let (a, g) = case();
        let map = method.maps(a, g);
        map.into_data().assert_approx_eq::<f32>(
            &TensorData::new(expected.to_vec(), [1, 1, 2]),
            Tolerance::absolute(1e-5),
        );
    }

    #[test]
    fn grad_cam_weights_by_mean_gradient() {
        // weights: mean(1, -1) = 0, mean(2, 2) = 2 -> 0·[1, 2] + 2·[3, 0]
        check(GradientCam::GradCam, [6.0, 0.0]);
    }

    #[test]
    fn hires_cam_multiplies_element_wise() {
        // [1·1 + 2·3, -1·2 + 2·0]
        check(GradientCam::HiResCam, [7.0, -2.0]);
    }

    #[test]
    fn element_wise_keeps_positive_products() {
        // products [[1, -2], [6, 0]]: [1 + 6, 0 + 0]
        check(GradientCam::ElementWise, [7.0, 0.0]);
        // Where a product is negative in one channel and positive in the other, only the
        // positive one counts: A = [[1], [1]], G = [[-3], [2]] gives relu(-3) + relu(2) = 2,
        // where HiResCAM gives -1.
        let a = Tensor::<1>::from_floats([1.0, 1.0], &device()).reshape([1, 2, 1, 1]);
        let g = Tensor::<1>::from_floats([-3.0, 2.0], &device()).reshape([1, 2, 1, 1]);
        let element_wise = GradientCam::ElementWise.maps(a.clone(), g.clone());
        let hires = GradientCam::HiResCam.maps(a, g);
        assert_eq!(to_vec(element_wise), vec![2.0]);
        assert_eq!(to_vec(hires), vec![-1.0]);
    }

    #[test]
    fn weighted_activations_sum_to_the_maps() {
        let methods = [
            GradientCam::GradCam,
            GradientCam::GradCamPlusPlus,
            GradientCam::XGradCam,
            GradientCam::HiResCam,
            GradientCam::LayerCam,
            GradientCam::ElementWise,
        ];
        for method in methods {
            let (a, g) = case();
            let summed = method.weighted_activations(a.clone(), g.clone()).sum_dim(1);
            summed
                .reshape([1, 1, 2])
                .into_data()
                .assert_approx_eq::<f32>(&method.maps(a, g).into_data(), Tolerance::absolute(1e-6));
        }
    }

    fn to_vec(t: Tensor<3>) -> Vec<f32> {
        t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn layer_cam_keeps_positive_gradients() {
        // [1·1 + 2·3, 0·2 + 2·0]
        check(GradientCam::LayerCam, [7.0, 0.0]);
    }

    #[test]
    fn xgrad_cam_normalises_by_activation_sums() {
        // channel 0: (1·1 + -1·2) / 3 = -1/3; channel 1: (2·3 + 2·0) / 3 = 2
        // map: -1/3·[1, 2] + 2·[3, 0] = [17/3, -2/3]
        check(GradientCam::XGradCam, [17.0 / 3.0, -2.0 / 3.0]);
    }

    #[test]
    fn grad_cam_plus_plus_by_hand() {
        // channel 0: Σ A = 3; a = G²/(2G² + 3G³): pixel 0: 1/(2+3) = 0.2, pixel 1: 1/(2-3) = -1
        //   weight = relu(1)·0.2 + relu(-1)·(-1) = 0.2
        // channel 1: Σ A = 3; pixel: 4/(8 + 3·8) = 0.125 both; weight = 2·0.125·2 = 0.5
        // map: 0.2·[1, 2] + 0.5·[3, 0] = [1.7, 0.4]
        check(GradientCam::GradCamPlusPlus, [1.7, 0.4]);
    }
}
