//! Training through each backbone with the CYBORG loss: gradients reach the classifier and
//! the first convolution through the CAM, and a few steps make the CAM follow the human map.

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::Distribution;
use cyborg_models::{
    CamBackbone, DenseNetConfig, Inception3Config, ResNetConfig, SmallCnnConfig, VitConfig,
    XceptionConfig,
};
use cyborg_saliency_loss::{CyborgLossConfig, SaliencyLoss};

/// A human map per image: a bright square in the top-left quarter of the grid.
fn saliency(batch: usize, grid: [usize; 2], device: &Device) -> Tensor<3> {
    let [h, w] = grid;
    let values: Vec<f32> = (0..batch * h * w)
        .map(|i| {
            let (y, x) = ((i / w) % h, i % w);
            if y < h.div_ceil(2) && x < w.div_ceil(2) {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    Tensor::<1>::from_floats(values.as_slice(), device).reshape([batch, h, w])
}

/// The CYBORG loss of one batch through `model`.
fn loss_of(model: &impl CamBackbone, images: Tensor<4>, labels: Tensor<1, Int>) -> Tensor<1> {
    let out = model.forward_classified(images);
    let [batch, _, h, w] = out.features.dims();
    let maps = saliency(batch, [h, w], &out.features.device());
    CyborgLossConfig::new()
        .init()
        .forward(
            out.logits,
            out.features,
            model.class_weights(),
            labels,
            maps,
        )
        .total
}

/// One backward pass: the loss is finite and its gradient w.r.t. `first` (the stem
/// convolution's weight) and the head's weight (`head`) is finite and non-zero.
fn check_gradients<M>(
    model: M,
    input: [usize; 4],
    first: impl Fn(&M) -> Tensor<4>,
    head: impl Fn(&M) -> Tensor<2>,
) where
    M: Module + CamBackbone,
{
    let device = Device::flex().autodiff();
    device.seed(3);
    let images = Tensor::<4>::random(input, Distribution::Normal(0.0, 1.0), &device);
    let labels = Tensor::<1, Int>::from_ints(vec![1; input[0]].as_slice(), &device);
    let weights = head(&model);
    let stem = first(&model);
    let loss = loss_of(&model, images, labels);
    let value: f32 = loss.clone().into_scalar();
    assert!(value.is_finite(), "loss {value}");
    let grads = loss.backward();
    for (what, tensor) in [
        ("head", weights.grad(&grads).map(|g| g.abs().sum())),
        ("stem", stem.grad(&grads).map(|g| g.abs().sum())),
    ] {
        let norm: f32 = tensor
            .unwrap_or_else(|| panic!("{what} has no gradient"))
            .into_scalar();
        assert!(
            norm.is_finite() && norm > 0.0,
            "{what} gradient norm {norm}"
        );
    }
}

#[test]
fn gradients_reach_the_head_and_the_stem_of_every_architecture() {
    let device = Device::flex().autodiff();
    check_gradients(
        SmallCnnConfig::new(2).init(&device),
        [2, 1, 28, 28],
        |m| m.conv1.conv.weight.val(),
        |m| m.fc.weight.val(),
    );
    let resnet = ResNetConfig::resnet50(2).with_width(4).init(&device);
    check_gradients(
        resnet,
        [2, 3, 64, 64],
        |m| m.conv1.weight.val(),
        |m| m.fc.weight.val(),
    );
    let densenet = DenseNetConfig::densenet121(2)
        .with_growth_rate(4)
        .with_num_init_features(8)
        .with_bn_size(2)
        .with_block_config(vec![2, 2, 2, 2])
        .init(&device);
    check_gradients(
        densenet,
        [2, 3, 64, 64],
        |m| m.features.conv0.weight.val(),
        |m| m.classifier.weight.val(),
    );
    let inception = Inception3Config::new()
        .with_num_classes(2)
        .with_width_divisor(16)
        .init(&device);
    check_gradients(
        inception,
        [2, 3, 75, 75],
        |m| m.conv2d_1a_3x3.conv.weight.val(),
        |m| m.fc.weight.val(),
    );
    let xception = XceptionConfig::new()
        .with_num_classes(2)
        .with_entry_widths([4, 8, 8, 8, 16])
        .with_exit_widths([16, 16, 24])
        .init(&device);
    check_gradients(
        xception,
        [2, 3, 71, 71],
        |m| m.conv1.weight.val(),
        |m| m.fc.weight.val(),
    );
    let vit = VitConfig::new(2)
        .with_image_size(32)
        .with_patch_size(8)
        .with_embed_dim(24)
        .with_depth(2)
        .with_num_heads(2)
        .init(&device);
    check_gradients(
        vit,
        [2, 3, 32, 32],
        |m| m.patch_embed.proj.weight.val(),
        |m| m.head.weight.val(),
    );
}

/// On a fixed batch, 40 Adam steps with α = 0 (saliency term only) bring the normalised
/// label-class CAM close to the human map: the gradient flows through the CAM into the
/// features and the head.
#[test]
fn the_small_cnn_learns_to_put_its_cam_on_the_human_map() {
    let device = Device::flex().autodiff();
    device.seed(11);
    let mut model = SmallCnnConfig::new(2).with_width(8).init(&device);
    let images = Tensor::<4>::random([4, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
    let labels = Tensor::<1, Int>::from_ints([0, 1, 0, 1], &device);
    let maps = saliency(4, [7, 7], &device);
    let loss = CyborgLossConfig::new().with_alpha(0.0).init();
    let mut optimizer = AdamConfig::new().init();
    let mut history = Vec::new();
    for _ in 0..40 {
        let out = model.forward_classified(images.clone());
        let total = loss
            .forward(
                out.logits,
                out.features,
                model.class_weights(),
                labels.clone(),
                maps.clone(),
            )
            .total;
        history.push(total.clone().into_scalar::<f32>());
        let grads = GradientsParams::from_grads(total.backward(), &model);
        model = optimizer.step(1e-2, model, grads);
    }
    let (first, last) = (history[0], history[history.len() - 1]);
    assert!(
        last < 0.25 * first,
        "the saliency MSE should fall by 4x, went {first} -> {last}"
    );
}
