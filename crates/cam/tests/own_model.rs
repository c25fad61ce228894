//! A model defined here, with `cyborg-cam` alone (no `cyborg-models`), implements the CAM
//! contract in a few lines; its CAM decomposes its logits exactly, and the explanations serve
//! it.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::relu;
use cyborg_cam::{
    CamBackbone, CamMethod, CamNormalization, Classified, ExplainConfig, GradientCam, Target,
    class_activation_maps, explain, global_average_pool, linear_class_weights,
};

/// One convolution, ReLU, global average pooling, a linear head.
#[derive(Module, Debug)]
struct Tiny {
    conv: Conv2d,
    fc: Linear,
}

impl CamBackbone for Tiny {
    fn forward_classified(&self, images: Tensor<4>) -> Classified {
        let features = relu(self.conv.forward(images));
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

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

fn assert_close(got: Vec<f32>, want: Vec<f32>, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
            "{what}[{i}]: {g} against {w}"
        );
    }
}

#[test]
fn a_model_of_ones_own_is_explained_through_the_contract() {
    let device = Device::flex();
    device.seed(7);
    let model = Tiny {
        conv: Conv2dConfig::new([3, 6], [3, 3]).init(&device),
        fc: LinearConfig::new(6, 4).init(&device),
    };
    let images = Tensor::<4>::random([2, 3, 8, 8], Distribution::Normal(0.0, 1.0), &device);
    let out = model.forward_classified(images.clone());
    let classes = Tensor::<1, Int>::from_ints([1, 3], &device);

    // mean_hw(CAM_c) + bias_c == logit_c.
    let cams = class_activation_maps(out.features, model.class_weights(), classes.clone());
    assert_eq!(cams.dims(), [2, 6, 6]);
    let decomposed = cams.clone().reshape([2, 36]).mean_dim(1).reshape([2])
        + model.class_bias().unwrap().select(0, classes.clone());
    let logits = out
        .logits
        .gather(1, classes.clone().reshape([2, 1]))
        .reshape([2]);
    assert_close(values(decomposed), values(logits), "logit from its CAM");

    // `explain` serves the model: its raw CAM is the same map, and HiResCAM of a class logit
    // through a linear head is the CAM divided by the grid's size.
    let raw = ExplainConfig::new().with_normalization(CamNormalization::None);
    let target = Target::Classes(classes);
    let explained = explain(&model, images.clone(), CamMethod::Cam, &target, &raw);
    assert_close(values(explained), values(cams.clone()), "explain(Cam)");
    let hires = CamMethod::Gradient(GradientCam::HiResCam);
    let explained = explain(&model, images, hires, &target, &raw);
    assert_close(
        values(explained),
        values(cams.div_scalar(36.0)),
        "explain(HiResCAM)",
    );
}
