//! The three terms of the CYBORG loss as separate Burn metrics, so the training log shows the
//! total, the cross-entropy and the saliency term each epoch.

use std::sync::Arc;

use burn::prelude::*;
use burn::tensor::TensorReadError;
use burn::train::metric::state::{FormatOptions, NumericMetricState};
use burn::train::metric::{
    Adaptor, Metric, MetricAttributes, MetricMetadata, MetricName, Numeric, NumericAttributes,
    NumericEntry, SerializedEntry,
};

use crate::training::step::CyborgOutput;

/// Which term a [`LossTermMetric`] follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossTerm {
    /// `α·CE + (1 − α)·saliency` (named "Loss").
    Total,
    /// The cross-entropy ("Cross-entropy").
    CrossEntropy,
    /// The saliency term, averaged over annotated images only ("Saliency").
    Saliency,
}

impl LossTerm {
    /// The metric's name in logs and in the run folder.
    pub fn name(self) -> &'static str {
        match self {
            LossTerm::Total => "Loss",
            LossTerm::CrossEntropy => "Cross-entropy",
            LossTerm::Saliency => "Saliency",
        }
    }
}

/// The input of [`LossTermMetric`].
pub struct LossTermInput {
    total: Tensor<1>,
    cross_entropy: Tensor<1>,
    saliency: Tensor<1>,
    annotated: Tensor<1, Bool>,
}

impl Adaptor<LossTermInput> for CyborgOutput {
    fn adapt(&self) -> LossTermInput {
        LossTermInput {
            total: self.loss.clone(),
            cross_entropy: self.cross_entropy.clone(),
            saliency: self.saliency.clone(),
            annotated: self.annotated.clone(),
        }
    }
}

/// One term of the loss, averaged over the epoch weighted by images (annotated images for the
/// saliency term).
#[derive(Clone)]
pub struct LossTermMetric {
    term: LossTerm,
    name: MetricName,
    state: NumericMetricState,
}

impl LossTermMetric {
    /// The metric of `term`.
    pub fn new(term: LossTerm) -> Self {
        Self {
            term,
            name: Arc::new(term.name().to_string()),
            state: NumericMetricState::default(),
        }
    }

    fn format(&self) -> FormatOptions {
        FormatOptions::new(self.name()).precision(4)
    }
}

impl Metric for LossTermMetric {
    type Input = LossTermInput;

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn attributes(&self) -> MetricAttributes {
        NumericAttributes {
            unit: None,
            higher_is_better: false,
        }
        .into()
    }

    fn update(
        &mut self,
        input: &LossTermInput,
        _metadata: &MetricMetadata,
    ) -> Result<SerializedEntry, TensorReadError> {
        let [images] = input.annotated.dims();
        let (tensor, weight) = match self.term {
            LossTerm::Total => (&input.total, images),
            LossTerm::CrossEntropy => (&input.cross_entropy, images),
            LossTerm::Saliency => {
                let annotated = input
                    .annotated
                    .clone()
                    .int()
                    .sum()
                    .try_into_scalar::<i64>()?;
                (&input.saliency, annotated.max(0) as usize)
            }
        };
        let value = tensor.clone().mean().try_into_scalar::<f64>()?;
        self.state.update(value, weight);
        Ok(self.state.compute_update(self.format()))
    }

    fn compute(&mut self) -> Result<SerializedEntry, TensorReadError> {
        Ok(self.state.compute_final(self.format()))
    }

    fn clear(&mut self) {
        self.state.reset();
    }
}

impl Numeric for LossTermMetric {
    fn value(&self) -> Option<NumericEntry> {
        Some(self.state.current_value())
    }

    fn running_value(&self) -> Option<NumericEntry> {
        Some(self.state.running_value())
    }

    fn final_value(&self) -> NumericEntry {
        self.state.final_value()
    }
}
