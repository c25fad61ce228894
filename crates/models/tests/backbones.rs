//! Every architecture: parameter counts of the full-size 1000-class models against the PyTorch
//! references, output shapes at the documented input sizes, the CAM identity
//! `mean_hw(CAM_c) + bias_c == logit_c`, and a checkpoint round trip.

mod common;

use burn::prelude::*;
use burn::tensor::Distribution;
use common::assert_cam_identity;
use cyborg_models::{
    CamBackbone, DenseNetConfig, Inception3Config, ResNetConfig, SmallCnnConfig, VitConfig,
    XceptionConfig, load_checkpoint, save_checkpoint, trainable_parameters,
};

/// Parameter counts printed by `sum(p.numel() for p in m.parameters())` for
/// `torchvision.models.resnet18()` etc. (torchvision 0.24) and
/// `timm.create_model("legacy_xception")`, `timm.create_model("vit_small_patch16_224",
/// global_pool="avg", fc_norm=False)` (timm 1.0.31) and `torchvision.models.vit_b_16()`.
#[test]
fn full_size_parameter_counts_equal_the_pytorch_models() {
    let device = Device::flex();
    let cases: [(&str, usize, usize); 9] = [
        (
            "resnet18",
            trainable_parameters(&ResNetConfig::resnet18(1000).init(&device)),
            11_689_512,
        ),
        (
            "resnet34",
            trainable_parameters(&ResNetConfig::resnet34(1000).init(&device)),
            21_797_672,
        ),
        (
            "resnet50",
            trainable_parameters(&ResNetConfig::resnet50(1000).init(&device)),
            25_557_032,
        ),
        (
            "densenet121",
            trainable_parameters(&DenseNetConfig::densenet121(1000).init(&device)),
            7_978_856,
        ),
        (
            "inception_v3 with aux",
            trainable_parameters(&Inception3Config::new().with_aux_logits(true).init(&device)),
            27_161_264,
        ),
        (
            "inception_v3",
            trainable_parameters(&Inception3Config::new().init(&device)),
            23_834_568,
        ),
        (
            "xception",
            trainable_parameters(&XceptionConfig::new().init(&device)),
            22_855_952,
        ),
        (
            "vit_small_patch16_224",
            trainable_parameters(&VitConfig::vit_small_patch16(1000).init(&device)),
            22_050_664,
        ),
        (
            "vit_b_16",
            trainable_parameters(&VitConfig::vit_base_patch16(1000).init(&device)),
            86_567_656,
        ),
    ];
    for (name, actual, expected) in cases {
        assert_eq!(actual, expected, "{name}");
    }
    // Ours, by hand: convs 1·16·9 + 16·16·9 + 16·32·9 + 32·32·9 + 32·64·9 = 34,704, batch
    // norms 2·(16 + 16 + 32 + 32 + 64) = 320, head 64·10 + 10 = 650.
    let small = SmallCnnConfig::new(10).init(&device);
    assert_eq!(trainable_parameters(&small), 35_674);
}

fn images(shape: [usize; 4], device: &Device) -> Tensor<4> {
    device.seed(7);
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
}

/// Shapes, CAM identity and a save/load round trip that reproduces the logits exactly.
fn check<M>(model: M, input: [usize; 4], features: [usize; 4], feature_channels: usize)
where
    M: Module + CamBackbone + Clone,
{
    let device = Device::flex();
    let x = images(input, &device);
    let out = model.forward_classified(x.clone());
    assert_eq!(out.features.dims(), features);
    assert_eq!(out.logits.dims(), [input[0], 3]);
    assert_eq!(model.class_weights().dims(), [3, feature_channels]);
    assert_cam_identity(&model, x.clone());

    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("model.bpk");
    save_checkpoint(&model, &path).expect("save");
    let fresh = model.clone().map(&mut Reinitialize);
    let loaded = load_checkpoint(fresh, &path).expect("load");
    let again = loaded.forward_classified(x).logits;
    assert_eq!(
        again.into_data().try_to_vec::<f32>().unwrap(),
        out.logits.into_data().try_to_vec::<f32>().unwrap(),
        "logits after a checkpoint round trip"
    );
}

/// Overwrites every float parameter with a constant, so a round trip that loaded nothing
/// would show.
struct Reinitialize;

impl burn::module::ModuleMapper for Reinitialize {
    fn map_float<const D: usize>(
        &mut self,
        param: burn::module::Param<Tensor<D>>,
    ) -> burn::module::Param<Tensor<D>> {
        param.map(|tensor| tensor.zeros_like().add_scalar(0.5))
    }
}

#[test]
fn small_cnn_gives_a_7x7_cam_at_28x28_and_16x16_at_64x64() {
    let device = Device::flex();
    let model = SmallCnnConfig::new(3).init(&device);
    check(model.clone(), [2, 1, 28, 28], [2, 64, 7, 7], 64);
    let model = SmallCnnConfig::new(3).with_channels(3).init(&device);
    check(model, [1, 3, 64, 64], [1, 64, 16, 16], 64);
}

#[test]
fn resnets_give_a_7x7_cam_at_224() {
    let device = Device::flex();
    let thin18 = ResNetConfig::resnet18(3).with_width(4).init(&device);
    check(thin18, [1, 3, 224, 224], [1, 32, 7, 7], 32);
    let thin50 = ResNetConfig::resnet50(3).with_width(4).init(&device);
    check(thin50, [1, 3, 224, 224], [1, 128, 7, 7], 128);
    let gray34 = ResNetConfig::resnet34(3).with_width(4).with_channels(1);
    assert_eq!(gray34.feature_channels(), 32);
    check(gray34.init(&device), [2, 1, 64, 64], [2, 32, 2, 2], 32);
}

#[test]
fn densenet_gives_a_7x7_cam_at_224() {
    let device = Device::flex();
    let config = DenseNetConfig::densenet121(3)
        .with_growth_rate(4)
        .with_num_init_features(8)
        .with_bn_size(2)
        .with_block_config(vec![2, 2, 2, 2]);
    assert_eq!(config.feature_channels(), 16);
    check(config.init(&device), [1, 3, 224, 224], [1, 16, 7, 7], 16);
    assert_eq!(DenseNetConfig::densenet121(3).feature_channels(), 1024);
}

#[test]
fn inception_v3_gives_an_8x8_cam_at_299() {
    let device = Device::flex();
    let config = Inception3Config::new()
        .with_num_classes(3)
        .with_width_divisor(16)
        .with_aux_logits(true);
    check(config.init(&device), [1, 3, 299, 299], [1, 128, 8, 8], 128);
}

#[test]
fn xception_gives_a_10x10_cam_at_299() {
    let device = Device::flex();
    let config = XceptionConfig::new()
        .with_num_classes(3)
        .with_entry_widths([4, 8, 8, 8, 16])
        .with_exit_widths([16, 16, 24]);
    check(config.init(&device), [1, 3, 299, 299], [1, 24, 10, 10], 24);
}

#[test]
fn vit_gives_a_cam_over_its_patch_grid() {
    let device = Device::flex();
    let config = VitConfig::new(3)
        .with_image_size(48)
        .with_patch_size(8)
        .with_embed_dim(24)
        .with_depth(2)
        .with_num_heads(3);
    check(config.init(&device), [2, 3, 48, 48], [2, 24, 6, 6], 24);
    let model = config.clone().with_class_token(false).init(&device);
    check(model, [1, 3, 48, 48], [1, 24, 6, 6], 24);
}

#[test]
fn architectures_by_name_build_backbones_that_round_trip() {
    use cyborg_models::{Architecture, Backbone};
    for architecture in Architecture::ALL {
        assert_eq!(
            architecture.name().parse::<Architecture>(),
            Ok(architecture)
        );
    }
    assert_eq!(
        "Inception_V3".parse::<Architecture>(),
        Ok(Architecture::InceptionV3)
    );
    assert!("resnet101".parse::<Architecture>().is_err());

    let device = Device::flex();
    let backbone = Architecture::SmallCnn.init(3, 1, false, &device);
    assert!(matches!(backbone, Backbone::SmallCnn(_)));
    check(backbone, [2, 1, 28, 28], [2, 64, 7, 7], 64);
    let resnet = Architecture::ResNet18.init(3, 3, false, &device);
    assert_eq!(resnet.class_weights().dims(), [3, 512]);
}

#[test]
fn a_backbone_loads_pytorch_weights_into_the_model_it_holds() {
    use cyborg_models::{Backbone, ImportOptions};
    let device = Device::flex();
    let thin = ResNetConfig::new([2, 1, 1, 1], false)
        .with_num_classes(3)
        .with_width(4)
        .init(&device);
    let (backbone, report) = Backbone::ResNet(thin)
        .load_pytorch_weights(
            common::fixture("resnet_basic.safetensors"),
            &ImportOptions::default(),
        )
        .unwrap();
    assert!(report.missing.is_empty());
    let out = backbone.forward_classified(common::probe_input([2, 3, 64, 64], &device));
    common::assert_matches_reference("resnet_basic", "logits", out.logits);
}

#[test]
fn backbone_checkpoints_are_the_bare_models_checkpoints() {
    use cyborg_models::Backbone;
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.bpk");
    device.seed(9);
    let bare = SmallCnnConfig::new(3).init(&device);
    save_checkpoint(&bare, &path).unwrap();
    let x = images([2, 1, 28, 28], &device);
    let expected = bare.forward(x.clone()).into_data();
    let fresh = Backbone::SmallCnn(SmallCnnConfig::new(3).init(&device).map(&mut Reinitialize));
    let loaded = fresh.load_checkpoint(&path).unwrap();
    assert_eq!(loaded.forward(x.clone()).into_data(), expected);
    let again = dir.path().join("again.bpk");
    loaded.save_checkpoint(&again).unwrap();
    let bare = load_checkpoint(SmallCnnConfig::new(3).init(&device), &again).unwrap();
    assert_eq!(bare.forward(x.clone()).into_data(), expected);
    // No enum variant in the names: Burn's own loader reads the enum's file into the bare
    // model, and the generic save of the enum writes what the enum's own save does.
    let burn_loaded = SmallCnnConfig::new(3).init(&device).load_file(&again);
    assert_eq!(burn_loaded.forward(x).into_data(), expected);
    let generic = dir.path().join("generic.bpk");
    save_checkpoint(&loaded, &generic).unwrap();
    assert_eq!(
        std::fs::read(&generic).unwrap(),
        std::fs::read(&again).unwrap()
    );
}
