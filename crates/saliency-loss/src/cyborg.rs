//! The CYBORG loss: cross-entropy blended with the distance between CAM and human saliency.

use burn::nn::loss::CrossEntropyLoss;
use burn::prelude::*;
use cyborg_cam::{CamClass, class_activation_maps, contrastive_activation_maps, normalize_min_max};
use serde::{Deserialize, Serialize};

use crate::shapes::check_inputs;
use crate::{
    LossConfigError, SaliencyDistance, SaliencyLoss, SaliencyLossOutput, annotated_mean, check_eps,
    resize_to_grid,
};

/// Configuration of the [`CyborgLoss`], built with [`CyborgLossConfig::init`].
///
/// The defaults are the paper's: α = 0.5, the CAM of the true label, MSE between maps.
#[derive(Config, Debug)]
pub struct CyborgLossConfig {
    /// Weight of cross-entropy; the saliency term gets `1 − alpha`. In `[0, 1]`:
    /// 1 is plain cross-entropy, 0 saliency alone.
    #[config(default = 0.5)]
    pub alpha: f64,
    /// Which class's CAM is compared with the human map.
    #[config(default = "CamClass::Label")]
    pub cam_class: CamClass,
    /// Which map of that class: its CAM (the paper) or its contrast with the other classes.
    #[config(default = "CamMap::Class")]
    pub cam_map: CamMap,
    /// Added to `max − min` in the min-max normalisation of both maps, so constant maps stay
    /// finite.
    #[config(default = 1e-8)]
    pub eps: f64,
    /// The distance between the normalised CAM and the normalised human map.
    #[config(default = "SaliencyDistance::Mse")]
    pub distance: SaliencyDistance,
}

impl CyborgLossConfig {
    /// Builds the loss, or says which value is out of range.
    pub fn try_init(&self) -> Result<CyborgLoss, LossConfigError> {
        if !(0.0..=1.0).contains(&self.alpha) {
            return Err(LossConfigError::Alpha(self.alpha));
        }
        Ok(CyborgLoss {
            alpha: self.alpha,
            cam_class: self.cam_class,
            cam_map: self.cam_map,
            eps: check_eps(self.eps)?,
            distance: self.distance,
        })
    }

    /// Builds the loss.
    ///
    /// # Panics
    /// If a value is out of range, e.g. `alpha must be in [0, 1], got 1.5`. Use
    /// [`CyborgLossConfig::try_init`] for configurations that come from users.
    pub fn init(&self) -> CyborgLoss {
        self.try_init().unwrap_or_else(|error| panic!("{error}"))
    }
}

/// Which map of the chosen class the CYBORG loss compares with the human map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CamMap {
    /// `CAM_c`, the class's own map (the paper).
    #[default]
    Class,
    /// `CAM_c − mean_{k≠c} CAM_k`, its evidence against the other classes
    /// ([`contrastive_activation_maps`]): for two classes, the map whose mean is the logit
    /// margin. Evidence for `c` that the network keeps as negative values in another class's
    /// CAM cannot hide from the min-max normalisation here, as it can in `CAM_c` alone.
    Contrast,
}

/// The CYBORG loss `α · CE(logits, y) + (1 − α) · distance(norm(CAM_c), norm(S))`.
///
/// Built by [`CyborgLossConfig::init`]. Holds no tensors: one value serves every device.
#[derive(Debug, Clone)]
pub struct CyborgLoss {
    alpha: f64,
    cam_class: CamClass,
    cam_map: CamMap,
    eps: f64,
    distance: SaliencyDistance,
}

impl SaliencyLoss for CyborgLoss {
    /// The CYBORG loss; see [`SaliencyLoss`] for the input contract and shapes. Both the CAM
    /// and the human map (any non-negative scale) are min-max normalised per image before the
    /// distance.
    fn forward_annotated(
        &self,
        logits: Tensor<2>,
        features: Tensor<4>,
        class_weights: Tensor<2>,
        labels: Tensor<1, Int>,
        saliency: Tensor<3>,
        annotated: Option<Tensor<1, Bool>>,
    ) -> SaliencyLossOutput {
        let grid = check_inputs(&logits, &features, &class_weights, &labels, &saliency);
        let classes = self.cam_class.select(&logits, labels.clone());
        let cross_entropy = CrossEntropyLoss::new(None, &logits.device()).forward(logits, labels);
        let cam = match self.cam_map {
            CamMap::Class => class_activation_maps(features, class_weights, classes),
            CamMap::Contrast => contrastive_activation_maps(features, class_weights, classes),
        };
        let cam = normalize_min_max(cam, self.eps);
        let human = normalize_min_max(resize_to_grid(saliency, grid), self.eps);
        let saliency = annotated_mean(self.distance.per_image(cam, human, self.eps), annotated);
        let total = if self.alpha == 1.0 {
            cross_entropy.clone()
        } else if self.alpha == 0.0 {
            saliency.clone()
        } else {
            cross_entropy.clone().mul_scalar(self.alpha)
                + saliency.clone().mul_scalar(1.0 - self.alpha)
        };
        SaliencyLossOutput {
            total,
            cross_entropy,
            saliency,
        }
    }
}

/// The paper's CYBORG loss as a plain function: the CAM of the true label, MSE between
/// min-max-normalised maps (ε = 1e-8), weighted by `alpha`.
///
/// Equivalent to `CyborgLossConfig::new().with_alpha(alpha).init().forward(..)`; see
/// [`CyborgLoss::forward`] for the input contract.
///
/// # Shapes
/// As [`CyborgLoss::forward`].
///
/// # Panics
/// If `alpha` is outside `[0, 1]` or the shapes disagree.
pub fn cyborg_loss(
    logits: Tensor<2>,
    features: Tensor<4>,
    class_weights: Tensor<2>,
    labels: Tensor<1, Int>,
    saliency: Tensor<3>,
    alpha: f64,
) -> SaliencyLossOutput {
    CyborgLossConfig::new().with_alpha(alpha).init().forward(
        logits,
        features,
        class_weights,
        labels,
        saliency,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, TensorData, Tolerance};

    struct Inputs {
        logits: Tensor<2>,
        features: Tensor<4>,
        weights: Tensor<2>,
        labels: Tensor<1, Int>,
        saliency: Tensor<3>,
    }

    fn inputs(device: &Device) -> Inputs {
        device.seed(11);
        Inputs {
            logits: Tensor::random([4, 3], Distribution::Normal(0.0, 1.0), device),
            features: Tensor::random([4, 5, 3, 3], Distribution::Default, device),
            weights: Tensor::random([3, 5], Distribution::Normal(0.0, 1.0), device),
            labels: Tensor::from_ints([0, 2, 1, 2], device),
            saliency: Tensor::random([4, 6, 6], Distribution::Default, device),
        }
    }

    fn run(config: CyborgLossConfig, i: Inputs) -> SaliencyLossOutput {
        config
            .init()
            .forward(i.logits, i.features, i.weights, i.labels, i.saliency)
    }

    #[test]
    fn alpha_one_is_burns_cross_entropy_exactly() {
        let device = Device::flex();
        let i = inputs(&device);
        let expected =
            CrossEntropyLoss::new(None, &device).forward(i.logits.clone(), i.labels.clone());
        let out = run(CyborgLossConfig::new().with_alpha(1.0), i);
        out.total.into_data().assert_eq(&expected.into_data(), true);
    }

    #[test]
    fn total_is_the_weighted_sum_of_the_parts() {
        let device = Device::flex();
        let out = run(CyborgLossConfig::new().with_alpha(0.3), inputs(&device));
        let expected = out.cross_entropy.clone() * 0.3 + out.saliency.clone() * 0.7;
        out.total
            .into_data()
            .assert_approx_eq::<f32>(&expected.into_data(), Tolerance::absolute(1e-6));
    }

    #[test]
    fn constant_cam_and_zero_saliency_stay_finite() {
        let device = Device::flex().autodiff();
        let mut i = inputs(&device);
        i.features = Tensor::<4>::ones([4, 5, 3, 3], &device).require_grad();
        i.weights = i.weights.require_grad();
        i.saliency = Tensor::zeros([4, 6, 6], &device);
        let features = i.features.clone();
        let weights = i.weights.clone();
        let out = run(CyborgLossConfig::new(), i);
        let value = out.total.clone().into_scalar::<f32>();
        assert!(value.is_finite(), "loss {value} must be finite");
        // Both normalised maps are all zeros: the saliency term is exactly 0.
        out.saliency
            .clone()
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from([0.0]), Tolerance::absolute(0.0));
        let grads = out.total.backward();
        for grad in [
            features
                .grad(&grads)
                .expect("features require grad")
                .reshape([-1]),
            weights
                .grad(&grads)
                .expect("weights require grad")
                .reshape([-1]),
        ] {
            assert!(grad.is_finite().all().into_scalar::<bool>());
        }
    }

    #[test]
    fn plain_function_matches_the_module() {
        let device = Device::flex();
        let i = inputs(&device);
        let f = cyborg_loss(
            i.logits.clone(),
            i.features.clone(),
            i.weights.clone(),
            i.labels.clone(),
            i.saliency.clone(),
            0.5,
        );
        let m = run(CyborgLossConfig::new(), i);
        f.total.into_data().assert_eq(&m.total.into_data(), true);
    }

    #[test]
    fn unannotated_images_do_not_count() {
        let device = Device::flex();
        let i = inputs(&device);
        let loss = CyborgLossConfig::new().init();
        let mask =
            Tensor::<1, Bool>::from_bool(TensorData::from([true, false, true, false]), &device);
        let partial = loss.forward_annotated(
            i.logits.clone(),
            i.features.clone(),
            i.weights.clone(),
            i.labels.clone(),
            i.saliency.clone(),
            Some(mask),
        );
        let keep = Tensor::<1, Int>::from_ints([0, 2], &device);
        let subset = loss.forward(
            i.logits.clone().select(0, keep.clone()),
            i.features.clone().select(0, keep.clone()),
            i.weights.clone(),
            i.labels.clone().select(0, keep.clone()),
            i.saliency.clone().select(0, keep),
        );
        partial
            .saliency
            .into_data()
            .assert_approx_eq::<f32>(&subset.saliency.into_data(), Tolerance::absolute(1e-6));
    }

    #[test]
    fn alpha_out_of_range_is_an_error_naming_it() {
        let error = CyborgLossConfig::new()
            .with_alpha(1.5)
            .try_init()
            .unwrap_err();
        assert_eq!(error, LossConfigError::Alpha(1.5));
        assert_eq!(error.to_string(), "alpha must be in [0, 1], got 1.5");
        assert!(
            CyborgLossConfig::new()
                .with_alpha(f64::NAN)
                .try_init()
                .is_err()
        );
        assert!(CyborgLossConfig::new().with_eps(-1.0).try_init().is_err());
    }

    #[test]
    #[should_panic(expected = "alpha must be in [0, 1], got -0.1")]
    fn init_panics_on_bad_alpha() {
        let _ = CyborgLossConfig::new().with_alpha(-0.1).init();
    }

    #[test]
    fn config_round_trips_through_json() {
        let config = CyborgLossConfig::new()
            .with_alpha(0.25)
            .with_cam_class(CamClass::Predicted)
            .with_distance(SaliencyDistance::Kl);
        let json = serde_json::to_string(&config).expect("serialise");
        let back: CyborgLossConfig = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back.alpha, 0.25);
        assert_eq!(back.cam_class, CamClass::Predicted);
        assert_eq!(back.distance, SaliencyDistance::Kl);
    }

    #[test]
    #[should_panic(expected = "class_weights [3, 4] must be [num_classes, channels] = [3, 5]")]
    fn wrong_weight_shape_names_both_shapes() {
        let device = Device::flex();
        let mut i = inputs(&device);
        i.weights = Tensor::zeros([3, 4], &device);
        let _ = run(CyborgLossConfig::new(), i);
    }

    #[test]
    #[should_panic(
        expected = "saliency [2, 6, 6] must hold one map per image of features [4, 5, 3, 3]"
    )]
    fn wrong_saliency_batch_names_both_shapes() {
        let device = Device::flex();
        let mut i = inputs(&device);
        i.saliency = Tensor::zeros([2, 6, 6], &device);
        let _ = run(CyborgLossConfig::new(), i);
    }

    #[test]
    fn contrast_map_is_the_class_map_when_the_other_class_has_no_weights() {
        // Two classes, the second with zero weights: CAM_y − CAM_other is CAM_y for y = 0,
        // so both maps give the same loss.
        let device = Device::flex();
        device.seed(4);
        let features =
            Tensor::<4>::random([2, 3, 4, 4], burn::tensor::Distribution::Default, &device);
        let weights = Tensor::<2>::from_floats([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]], &device);
        let logits = Tensor::<2>::zeros([2, 2], &device);
        let labels = Tensor::<1, Int>::from_ints([0, 0], &device);
        let saliency = Tensor::<3>::random([2, 4, 4], burn::tensor::Distribution::Default, &device);
        let loss = |map: CamMap| {
            CyborgLossConfig::new()
                .with_cam_map(map)
                .init()
                .forward(
                    logits.clone(),
                    features.clone(),
                    weights.clone(),
                    labels.clone(),
                    saliency.clone(),
                )
                .saliency
                .into_scalar::<f32>()
        };
        let (class, contrast) = (loss(CamMap::Class), loss(CamMap::Contrast));
        assert!((class - contrast).abs() < 1e-6, "{class} vs {contrast}");
        assert!(class > 0.0);
    }
}
