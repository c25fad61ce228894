//! One training or validation step with the CYBORG loss, as Burn's `TrainStep` and
//! `InferenceStep`.

use std::sync::Arc;

use burn::module::ModuleDisplay;
use burn::prelude::*;
use burn::tensor::ExecutionError;
use burn::train::metric::{AccuracyInput, Adaptor, ConfusionStatsInput};
use burn::train::{InferenceStep, ItemLazy, TrainOutput, TrainStep};
use cyborg_cam::CamBackbone;
use cyborg_data::SaliencyBatch;
use cyborg_models::Backbone;
use cyborg_saliency_loss::{SaliencyLoss, SaliencyLossConfig};

/// What the trainer trains: any Burn module with the CAM contract of `cyborg-cam` (feature
/// maps and logits from one pass, the head's weights). The shipped `Backbone` is one; a model
/// of your own is another.
pub trait TrainableModel: CamBackbone + Module + ModuleDisplay + 'static {}

impl<M: CamBackbone + Module + ModuleDisplay + 'static> TrainableModel for M {}

/// A model and the saliency-guided loss it is trained with (CYBORG or the masked loss):
/// what Burn's `Learner` trains.
#[derive(Module, Debug)]
pub struct CyborgModel<M: TrainableModel = Backbone> {
    /// The network.
    pub net: M,
    /// The loss it is trained with (a setting, not a parameter).
    #[module(skip)]
    pub loss: SaliencyLossConfig,
    /// `loss`, built once.
    #[module(skip)]
    built: Arc<dyn SaliencyLoss>,
    /// Factor on the loss before the backward pass (not on the logged values): `1 / N` when
    /// burn-train sums the gradients of N devices, so one step is the mean over their batches.
    #[module(skip)]
    pub gradient_scale: f64,
}

impl<M: TrainableModel> CyborgModel<M> {
    /// Wraps `net` with `loss`.
    ///
    /// # Panics
    /// If the loss configuration holds a value out of range (check it with
    /// [`SaliencyLossConfig::try_init`] first).
    pub fn new(net: M, loss: SaliencyLossConfig) -> Self {
        let built = match loss.try_init() {
            Ok(built) => Arc::from(built),
            Err(error) => panic!("invalid loss configuration: {error}"),
        };
        Self {
            net,
            loss,
            built,
            gradient_scale: 1.0,
        }
    }

    /// The same model with the backward pass taken of `scale` times the loss (see
    /// [`CyborgModel::gradient_scale`]).
    pub fn with_gradient_scale(mut self, scale: f64) -> Self {
        self.gradient_scale = scale;
        self
    }

    /// The loss and its parts for one batch.
    pub fn forward_loss(&self, batch: SaliencyBatch) -> CyborgOutput {
        let out = self.net.forward_classified(batch.images);
        let terms = self.built.forward_annotated(
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

impl<M: TrainableModel> TrainStep for CyborgModel<M> {
    type Input = SaliencyBatch;
    type Output = CyborgOutput;

    fn step(&self, batch: SaliencyBatch) -> TrainOutput<CyborgOutput> {
        let out = self.forward_loss(batch);
        let grads = if self.gradient_scale == 1.0 {
            out.loss.backward()
        } else {
            out.loss.clone().mul_scalar(self.gradient_scale).backward()
        };
        TrainOutput::new(self, grads, out)
    }
}

impl<M: TrainableModel> InferenceStep for CyborgModel<M> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;
    use cyborg_models::SmallCnnConfig;

    #[test]
    fn the_gradient_scale_scales_the_gradients_not_the_logged_loss() {
        let device = Device::flex().autodiff();
        device.seed(3);
        let net = Backbone::SmallCnn(SmallCnnConfig::new(2).with_width(4).init(&device));
        let batch = SaliencyBatch {
            images: Tensor::random([4, 1, 16, 16], Distribution::Default, &device),
            labels: Tensor::from_ints([0, 1, 0, 1], &device),
            saliency: Tensor::random([4, 4, 4], Distribution::Default, &device),
            annotated: Tensor::from_bool(
                burn::tensor::TensorData::from([true, true, false, true]),
                &device,
            ),
        };
        let run = |scale: f64| {
            let model = CyborgModel::new(net.clone(), SaliencyLossConfig::default())
                .with_gradient_scale(scale);
            let out = TrainStep::step(&model, batch.clone());
            let Backbone::SmallCnn(cnn) = &model.net else {
                unreachable!("built as a small CNN")
            };
            let grad: Vec<f32> = out
                .grads
                .get::<2>(cnn.fc.weight.id)
                .expect("the head has a gradient")
                .into_data()
                .convert::<f32>()
                .try_to_vec::<f32>()
                .unwrap();
            (out.item.loss.into_scalar::<f32>(), grad)
        };
        let (loss_one, grad_one) = run(1.0);
        let (loss_half, grad_half) = run(0.5);
        assert!(grad_one.iter().any(|g| g.abs() > 1e-6));
        for (one, half) in grad_one.iter().zip(&grad_half) {
            assert!(
                (one * 0.5 - half).abs() <= 1e-6 + 1e-5 * one.abs(),
                "{one} {half}"
            );
        }
        assert_eq!(loss_one, loss_half);
    }
}
