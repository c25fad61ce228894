//! One serialisable choice among the saliency losses, for trainers and config files.

use serde::{Deserialize, Serialize};

use crate::{
    CyborgLossConfig, EnergyLossConfig, LossConfigError, MaskL1LossConfig, MaskedCamLossConfig,
    SaliencyLoss,
};

/// Which saliency-guided loss to train with, and its settings: what a trainer's recipe (and
/// its JSON) holds. [`SaliencyLossConfig::try_init`] builds it as a `Box<dyn SaliencyLoss>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SaliencyLossConfig {
    /// The CYBORG loss ([`CyborgLossConfig`]); α = 1 is plain cross-entropy.
    Cyborg(CyborgLossConfig),
    /// Cross-entropy plus the masked raw-CAM penalty ([`MaskedCamLossConfig`]).
    Masked(MaskedCamLossConfig),
    /// Cross-entropy plus the Energy loss ([`EnergyLossConfig`]).
    Energy(EnergyLossConfig),
    /// Cross-entropy plus the L1 distance to the region ([`MaskL1LossConfig`]).
    MaskL1(MaskL1LossConfig),
}

impl Default for SaliencyLossConfig {
    /// The paper's CYBORG loss.
    fn default() -> Self {
        Self::Cyborg(CyborgLossConfig::new())
    }
}

impl SaliencyLossConfig {
    /// Whether the loss reduces to cross-entropy (CYBORG with α = 1, the other losses with
    /// λ = 0): no CAM takes part.
    pub fn is_cross_entropy_only(&self) -> bool {
        match self {
            Self::Cyborg(config) => config.alpha == 1.0,
            Self::Masked(config) => config.lambda == 0.0,
            Self::Energy(config) => config.lambda == 0.0,
            Self::MaskL1(config) => config.lambda == 0.0,
        }
    }

    /// The paper's CYBORG loss with weight `alpha` on cross-entropy (1 = cross-entropy alone).
    pub fn cyborg(alpha: f64) -> Self {
        Self::Cyborg(CyborgLossConfig::new().with_alpha(alpha))
    }

    /// Cross-entropy plus `lambda` times the masked raw-CAM penalty.
    pub fn masked(lambda: f64) -> Self {
        Self::Masked(MaskedCamLossConfig::new().with_lambda(lambda))
    }

    /// Cross-entropy plus `lambda` times the Energy loss.
    pub fn energy(lambda: f64) -> Self {
        Self::Energy(EnergyLossConfig::new().with_lambda(lambda))
    }

    /// Cross-entropy plus `lambda` times the L1 distance to the region.
    pub fn mask_l1(lambda: f64) -> Self {
        Self::MaskL1(MaskL1LossConfig::new().with_lambda(lambda))
    }

    /// Builds the loss, or says which value is out of range.
    pub fn try_init(&self) -> Result<Box<dyn SaliencyLoss>, LossConfigError> {
        Ok(match self {
            Self::Cyborg(c) => Box::new(c.try_init()?),
            Self::Masked(c) => Box::new(c.try_init()?),
            Self::Energy(c) => Box::new(c.try_init()?),
            Self::MaskL1(c) => Box::new(c.try_init()?),
        })
    }

    /// Builds the loss.
    ///
    /// # Panics
    /// If a value is out of range; use [`SaliencyLossConfig::try_init`] for user input.
    pub fn init(&self) -> Box<dyn SaliencyLoss> {
        self.try_init().unwrap_or_else(|error| panic!("{error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::prelude::*;
    use burn::tensor::Distribution;

    #[test]
    fn builds_the_loss_it_names() {
        let device = Device::flex();
        device.seed(3);
        let logits = Tensor::<2>::random([3, 2], Distribution::Normal(0.0, 1.0), &device);
        let features = Tensor::<4>::random([3, 4, 2, 2], Distribution::Default, &device);
        let weights = Tensor::<2>::random([2, 4], Distribution::Normal(0.0, 1.0), &device);
        let labels = Tensor::<1, Int>::from_ints([0, 1, 1], &device);
        let maps = Tensor::<3>::random([3, 4, 4], Distribution::Default, &device);
        let total = |config: &SaliencyLossConfig, direct: &dyn SaliencyLoss| {
            let run = |loss: &dyn SaliencyLoss| {
                loss.forward(
                    logits.clone(),
                    features.clone(),
                    weights.clone(),
                    labels.clone(),
                    maps.clone(),
                )
                .total
                .into_scalar::<f32>()
            };
            (run(config.init().as_ref()), run(direct))
        };
        let (a, b) = total(
            &SaliencyLossConfig::cyborg(0.3),
            &CyborgLossConfig::new().with_alpha(0.3).init(),
        );
        assert_eq!(a, b);
        let (a, b) = total(
            &SaliencyLossConfig::masked(2.0),
            &MaskedCamLossConfig::new().with_lambda(2.0).init(),
        );
        assert_eq!(a, b);
        let (a, b) = total(
            &SaliencyLossConfig::energy(0.5),
            &EnergyLossConfig::new().with_lambda(0.5).init(),
        );
        assert_eq!(a, b);
        let (a, b) = total(
            &SaliencyLossConfig::mask_l1(0.5),
            &MaskL1LossConfig::new().with_lambda(0.5).init(),
        );
        assert_eq!(a, b);
        let (energy, l1) = total(
            &SaliencyLossConfig::energy(0.5),
            &MaskL1LossConfig::new().with_lambda(0.5).init(),
        );
        assert_ne!(energy, l1);
        // …and not the other one.
        let (cyborg, masked) = total(
            &SaliencyLossConfig::cyborg(0.3),
            &MaskedCamLossConfig::new().with_lambda(2.0).init(),
        );
        assert_ne!(cyborg, masked);
    }

    #[test]
    fn errors_and_json() {
        let error = SaliencyLossConfig::cyborg(1.5).try_init().unwrap_err();
        assert_eq!(error.to_string(), "alpha must be in [0, 1], got 1.5");
        let error = SaliencyLossConfig::masked(-1.0).try_init().unwrap_err();
        assert_eq!(error.to_string(), "lambda must be finite and >= 0, got -1");
        let json = serde_json::to_string(&SaliencyLossConfig::masked(2.0)).unwrap();
        assert_eq!(json, r#"{"Masked":{"lambda":2.0,"region":"Allowed"}}"#);
        let back: SaliencyLossConfig = serde_json::from_str(&json).unwrap();
        assert!(matches!(back, SaliencyLossConfig::Masked(c) if c.lambda == 2.0));
        let json = serde_json::to_string(&SaliencyLossConfig::energy(0.5)).unwrap();
        assert_eq!(json, r#"{"Energy":{"lambda":0.5,"eps":1e-7}}"#);
        let json = serde_json::to_string(&SaliencyLossConfig::mask_l1(0.5)).unwrap();
        assert_eq!(json, r#"{"MaskL1":{"lambda":0.5}}"#);
    }
}
