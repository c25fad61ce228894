//! One training or validation step with the CYBORG loss, as Burn's `TrainStep` and
//! `InferenceStep`.

use burn::prelude::*;
use burn::tensor::ExecutionError;
use burn::train::metric::{AccuracyInput, Adaptor, ConfusionStatsInput};
use burn::train::{InferenceStep, ItemLazy, TrainOutput, TrainStep};
use cyborg_data::SaliencyBatch;
use cyborg_models::{Backbone, CamBackbone};
use cyborg_saliency_loss::SaliencyLossConfig;

/// A backbone and the CYBORG loss it is trained with: what Burn's `Learner` trains.
#[derive(Module, Debug)]
pub struct CyborgModel {
    /// The network.
    pub net: Backbone,
    /// The loss it is trained with (a setting, not a parameter).
    #[module(skip)]
    pub loss: SaliencyLossConfig,
}

impl CyborgModel {
    /// Wraps `net` with `loss`.
    ///
    /// # Panics
    /// If the loss configuration holds a value out of range (check it with
    /// [`SaliencyLossConfig::try_init`] first).
    pub fn new(net: Backbone, loss: SaliencyLossConfig) -> Self {
        loss.init();
        Self { net, loss }
    }

    /// The loss and its parts for one batch.
    pub fn forward_loss(&self, batch: SaliencyBatch) -> CyborgOutput {
        let loss = self.loss.init();
        let out = self.net.forward_classified(batch.images);
        let terms = loss.forward_annotated(
            out.logits.clone(),
            out.features,
            self.net.class_weights(),
            batch.labels.clone(),
            batch.saliency,
            Some(batch.annotated.clone()),
        );
        CyborgOutput {
            loss: terms.total,
            cross_entropy: terms.cross_entropy,
            saliency: terms.saliency,
            logits: out.logits,
            targets: batch.labels,
            annotated: batch.annotated,
        }
    }
}

/// What a step reports: the three loss terms and what accuracy and AUC need.
#[derive(Debug, Clone)]
pub struct CyborgOutput {
    /// The loss minimised, `[1]`.
    pub loss: Tensor<1>,
    /// Its cross-entropy term (unweighted), `[1]`.
    pub cross_entropy: Tensor<1>,
    /// Its saliency term (unweighted; over the annotated images), `[1]`.
    pub saliency: Tensor<1>,
    /// `[batch, classes]`.
    pub logits: Tensor<2>,
    /// `[batch]`.
    pub targets: Tensor<1, Int>,
    /// `[batch]`: which images have a human map.
    pub annotated: Tensor<1, Bool>,
}

impl ItemLazy for CyborgOutput {
    fn sync(self) -> Result<Self, ExecutionError> {
        self.loss.device().flush()?;
        Ok(Self {
            loss: self.loss.without_autodiff(),
            cross_entropy: self.cross_entropy.without_autodiff(),
            saliency: self.saliency.without_autodiff(),
            logits: self.logits.without_autodiff(),
            targets: self.targets.without_autodiff(),
            annotated: self.annotated.without_autodiff(),
        })
    }
}

impl TrainStep for CyborgModel {
    type Input = SaliencyBatch;
    type Output = CyborgOutput;

    fn step(&self, batch: SaliencyBatch) -> TrainOutput<CyborgOutput> {
        let out = self.forward_loss(batch);
        TrainOutput::new(self, out.loss.backward(), out)
    }
}

impl InferenceStep for CyborgModel {
    type Input = SaliencyBatch;
    type Output = CyborgOutput;

    fn step(&self, batch: SaliencyBatch) -> CyborgOutput {
        self.forward_loss(batch)
    }
}

impl Adaptor<AccuracyInput> for CyborgOutput {
    fn adapt(&self) -> AccuracyInput {
        AccuracyInput::new(self.logits.clone(), self.targets.clone())
    }
}

/// For Burn's AUROC: the paper's score, `sigmoid(logit of class 1)`, against "is class 1"
/// (the same AUC as [`crate::evaluate`] with `AucScore::PositiveLogit`).
impl Adaptor<ConfusionStatsInput> for CyborgOutput {
    fn adapt(&self) -> ConfusionStatsInput {
        let [n, _] = self.logits.dims();
        let p1 = burn::tensor::activation::sigmoid(self.logits.clone().narrow(1, 1, 1));
        ConfusionStatsInput::new(p1, self.targets.clone().reshape([n, 1]).equal_elem(1))
    }
}
