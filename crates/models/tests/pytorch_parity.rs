//! Thin variants of each architecture load the state dicts that
//! `tests/fixtures/gen_model_reference.py` exported from torchvision / timm and reproduce
//! PyTorch's features and logits to 1e-4.

mod common;

use burn::prelude::*;
use common::{assert_matches_reference, fixture, probe_input};
use cyborg_models::{
    CamBackbone, DenseNetConfig, ImportOptions, Inception3Config, ResNetConfig, TorchLayout,
    XceptionConfig, load_pytorch_weights,
};

/// Loads `<name>.<extension>` into `model`, runs the probe input and compares with PyTorch.
fn check<M>(model: M, name: &str, extension: &str, input: [usize; 4]) -> M
where
    M: Module + TorchLayout + CamBackbone,
{
    let device = Device::flex();
    let path = fixture(&format!("{name}.{extension}"));
    let (model, report) = load_pytorch_weights(model, &path, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.missing.is_empty() && report.unused.is_empty());
    assert_eq!(report.loaded.len(), model.num_params_tensors());
    let out = model.forward_classified(probe_input(input, &device));
    assert_matches_reference(name, "features", out.features);
    assert_matches_reference(name, "logits", out.logits);
    model
}

/// The number of parameter and running-statistic tensors (what a state dict holds, less
/// `num_batches_tracked`).
trait CountTensors {
    fn num_params_tensors(&self) -> usize;
}

impl<M: Module> CountTensors for M {
    fn num_params_tensors(&self) -> usize {
        use burn::store::ModuleSnapshot;
        self.collect(None, None, false).len()
    }
}

#[test]
fn resnet_basic_blocks_match_torchvision() {
    let device = Device::flex();
    let model = ResNetConfig::new([2, 1, 1, 1], false)
        .with_num_classes(3)
        .with_width(4)
        .init(&device);
    check(model, "resnet_basic", "safetensors", [2, 3, 64, 64]);
}

#[test]
fn resnet_loads_a_torch_save_pth_file() {
    let device = Device::flex();
    let model = ResNetConfig::new([2, 1, 1, 1], false)
        .with_num_classes(3)
        .with_width(4)
        .init(&device);
    check(model, "resnet_basic", "pth", [2, 3, 64, 64]);
}

#[test]
fn resnet_bottleneck_blocks_match_torchvision() {
    let device = Device::flex();
    let model = ResNetConfig::new([2, 1, 1, 1], true)
        .with_num_classes(3)
        .with_width(4)
        .init(&device);
    check(model, "resnet_bottleneck", "safetensors", [2, 3, 64, 64]);
}

#[test]
fn densenet_matches_torchvision() {
    let device = Device::flex();
    let model = DenseNetConfig::new()
        .with_num_classes(3)
        .with_growth_rate(4)
        .with_block_config(vec![2, 2, 2, 2])
        .with_num_init_features(8)
        .with_bn_size(2)
        .init(&device);
    check(model, "densenet", "safetensors", [2, 3, 64, 64]);
}

#[test]
fn inception_v3_matches_torchvision_with_aux_head_and_input_transform() {
    let device = Device::flex();
    let model = Inception3Config::new()
        .with_num_classes(3)
        .with_aux_logits(true)
        .with_transform_input(true)
        .with_width_divisor(16)
        .init(&device);
    let model = check(model, "inception_v3", "safetensors", [1, 3, 299, 299]);
    let (_, aux) = model.forward_with_aux(probe_input([1, 3, 299, 299], &device));
    assert_matches_reference("inception_v3", "aux_logits", aux.expect("aux head"));
}

#[test]
fn xception_matches_the_timm_cadene_port() {
    let device = Device::flex();
    let model = XceptionConfig::new()
        .with_num_classes(3)
        .with_entry_widths([4, 8, 8, 8, 16])
        .with_exit_widths([16, 16, 24])
        .init(&device);
    check(model, "xception", "safetensors", [1, 3, 71, 71]);
}
