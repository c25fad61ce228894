//! The trainer serves any model with the CAM contract: a network defined here, not in
//! `cyborg-models`, is trained and evaluated by `run_experiment` like the shipped ones.

mod common;

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;
use cyborg_cam::{CamBackbone, Classified, global_average_pool, linear_class_weights};
use cyborg_data::read_manifest;
use cyborg_train::{EvaluationConfig, Experiment, Run, TrainError, evaluate};

use common::{ONE_RUN_AT_A_TIME, SIZE, data, image, recipe, write_split};

/// Two stride-2 convolutions (16 → 4 pixels), global average pooling, a linear head.
#[derive(Module, Debug)]
struct TwoConvs {
    conv1: Conv2d,
    conv2: Conv2d,
    fc: Linear,
}

impl TwoConvs {
    fn new(device: &Device) -> Self {
        let conv = |channels| {
            Conv2dConfig::new(channels, [3, 3])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        Self {
            conv1: conv([1, 8]),
            conv2: conv([8, 8]),
            fc: LinearConfig::new(8, 2).init(device),
        }
    }
}

impl CamBackbone for TwoConvs {
    fn forward_classified(&self, images: Tensor<4>) -> Classified {
        let features = relu(self.conv2.forward(relu(self.conv1.forward(images))));
        let logits = self.fc.forward(global_average_pool(features.clone()));
        Classified { features, logits }
    }

    fn class_weights(&self) -> Tensor<2> {
        linear_class_weights(&self.fc)
    }

    fn class_bias(&self) -> Option<Tensor<1>> {
        self.fc.bias.as_ref().map(|bias| bias.val())
    }
}

#[test]
fn a_model_defined_here_trains_evaluates_and_reloads() {
    let _guard = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    write_split(dir.path(), "train", 32);
    write_split(dir.path(), "valid", 16);
    let task = data(dir.path());
    let records = |name: &str| read_manifest(dir.path().join(format!("{name}.csv")), None).unwrap();
    let experiment = Experiment {
        train: records("train"),
        val: records("valid"),
        tests: vec![("test".into(), records("valid"))],
        image: image(),
        grid: task.grid,
    };
    let out = dir.path().join("run");
    let device = Device::flex();
    // Without a device the run is refused before anything is written.
    let error = Run::new(recipe(15), &out)
        .experiment(TwoConvs::new, experiment.clone())
        .unwrap_err();
    assert!(matches!(error, TrainError::Config(_)), "{error}");
    let report = Run::new(recipe(15), &out)
        .on(device.clone())
        .experiment(TwoConvs::new, experiment)
        .unwrap();
    // The square's side decides the class: the network learns it.
    assert!(report.val.accuracy >= 0.9, "{:?}", report.val);
    assert_eq!(report.test["test"].accuracy, report.val.accuracy);
    assert!(out.join("metrics.json").exists() && out.join("best.bpk").exists());

    // best.bpk is the model evaluated: reloaded into the same architecture, it scores the
    // same on the validation set.
    let reloaded = TwoConvs::new(&device).load_file(out.join("best.bpk"));
    let shape = [1, SIZE as usize, SIZE as usize];
    let evaluation = evaluate(
        &reloaded,
        &task.valid,
        shape,
        task.grid,
        &EvaluationConfig::new(),
        &device,
        |_, _| {},
    )
    .unwrap();
    assert_eq!(evaluation.accuracy, report.val.accuracy);
    assert_eq!(evaluation.cam_mse, report.val.cam_mse);
}

/// [`TwoConvs`] declaring that its head does not pool its feature maps (as a class-token ViT).
#[derive(Module, Debug)]
struct NotPooled {
    inner: TwoConvs,
}

impl CamBackbone for NotPooled {
    fn forward_classified(&self, images: Tensor<4>) -> Classified {
        self.inner.forward_classified(images)
    }

    fn class_weights(&self) -> Tensor<2> {
        self.inner.class_weights()
    }

    fn class_bias(&self) -> Option<Tensor<1>> {
        self.inner.class_bias()
    }

    fn pools_features(&self) -> bool {
        false
    }
}

#[test]
fn a_model_whose_head_does_not_pool_its_features_is_refused_a_saliency_loss() {
    let _guard = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    write_split(dir.path(), "train", 8);
    write_split(dir.path(), "valid", 4);
    let build = |device: &Device| NotPooled {
        inner: TwoConvs::new(device),
    };
    let error = Run::new(recipe(1), dir.path().join("run"))
        .on(Device::flex())
        .train(build, data(dir.path()))
        .unwrap_err();
    assert!(
        matches!(&error, TrainError::Config(message) if message.contains("does not pool")),
        "{error}"
    );
    // Cross-entropy alone needs no CAM: it trains, and its evaluation measures no CAM (the
    // images have maps, but no CAM explains this model's logits).
    let cross_entropy = recipe(1).with_loss(cyborg_saliency_loss::SaliencyLossConfig::cyborg(1.0));
    let device = Device::flex();
    let run = Run::new(cross_entropy, dir.path().join("ce"))
        .on(device.clone())
        .train(build, data(dir.path()))
        .unwrap();
    let task = data(dir.path());
    let config = EvaluationConfig::new().with_faithfulness(true);
    let shape = [1, SIZE as usize, SIZE as usize];
    let evaluation = evaluate(
        &run.model,
        &task.valid,
        shape,
        task.grid,
        &config,
        &device,
        |_, _| {},
    )
    .unwrap();
    assert_eq!(evaluation.images, 4);
    assert_eq!(evaluation.annotated, 0);
    assert_eq!(evaluation.cam_mse, None);
    assert_eq!(evaluation.cam_confidence_drop, None);
}
