//! Thin variants of each architecture load the state dicts that
//! `tests/fixtures/gen_model_reference.py` exported from torchvision / timm and reproduce
//! PyTorch's features and logits to 1e-4; exported again with `save_pytorch_weights`, they
//! give back the very file PyTorch wrote (same keys, shapes and bytes, less the
//! `num_batches_tracked` counters), which torchvision / timm therefore load.

mod common;

use burn::prelude::*;
use common::{assert_matches_reference, fixture, probe_input};
use cyborg_models::{
    CamBackbone, DenseNetConfig, ImportOptions, Inception3Config, ResNetConfig, TorchLayout,
    VitConfig, VitPool, XceptionConfig, load_pytorch_weights, save_pytorch_weights,
};
use safetensors::SafeTensors;

/// Loads `<name>.<extension>` into `model`, runs the probe input and compares with PyTorch.
fn check<M>(model: M, name: &str, extension: &str, input: [usize; 4]) -> M
where
    M: Module + TorchLayout + CamBackbone,
{
    let model = check_outputs(model, name, extension, input);
    assert_exports_the_pytorch_file(&model, name);
    model
}

/// [`check`] without the export (for a file in another layout than the one written).
fn check_outputs<M>(model: M, name: &str, extension: &str, input: [usize; 4]) -> M
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

/// Exports `model` and compares the file, tensor by tensor, with `<name>.safetensors`.
fn assert_exports_the_pytorch_file<M: Module + TorchLayout>(model: &M, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exported.safetensors");
    let report = save_pytorch_weights(model, &path, false).unwrap_or_else(|e| panic!("{e}"));
    let exported_bytes = std::fs::read(&path).unwrap();
    let exported = SafeTensors::deserialize(&exported_bytes).unwrap();
    let original_bytes = std::fs::read(fixture(&format!("{name}.safetensors"))).unwrap();
    let original = SafeTensors::deserialize(&original_bytes).unwrap();
    let mut expected: Vec<String> = original
        .names()
        .into_iter()
        .filter(|key| !key.ends_with(".num_batches_tracked"))
        .map(str::to_string)
        .collect();
    expected.sort();
    let mut written: Vec<String> = exported.names().into_iter().map(str::to_string).collect();
    written.sort();
    assert_eq!(written, expected, "{name}: exported keys");
    assert_eq!(report.keys, expected, "{name}: reported keys");
    for key in &expected {
        let (ours, theirs) = (exported.tensor(key).unwrap(), original.tensor(key).unwrap());
        assert_eq!(ours.dtype(), theirs.dtype(), "{name}: {key}");
        assert_eq!(ours.shape(), theirs.shape(), "{name}: {key}");
        assert!(ours.data() == theirs.data(), "{name}: {key}: values differ");
    }
    let (_, metadata) = SafeTensors::read_metadata(&exported_bytes).unwrap();
    let format = metadata.metadata().as_ref().and_then(|m| m.get("format"));
    assert_eq!(format.map(String::as_str), Some("pt"), "{name}: metadata");
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

/// The thin ViT of `gen_model_reference.py` (`VIT`): 32×32 images, 8×8 patches, width 24, two
/// blocks of two heads.
fn thin_vit() -> VitConfig {
    VitConfig::new(3)
        .with_image_size(32)
        .with_patch_size(8)
        .with_embed_dim(24)
        .with_depth(2)
        .with_num_heads(2)
}

#[test]
fn vit_with_the_patch_mean_head_matches_timm() {
    // timm VisionTransformer(..., global_pool="avg", fc_norm=False)
    let model = thin_vit().init(&Device::flex());
    check(model, "vit_mean", "safetensors", [2, 3, 32, 32]);
}

#[test]
fn vit_without_a_class_token_matches_timm() {
    let model = thin_vit().with_class_token(false).init(&Device::flex());
    check(model, "vit_no_class_token", "safetensors", [2, 3, 32, 32]);
}

#[test]
fn vit_with_the_class_token_head_matches_timm() {
    let model = thin_vit()
        .with_pool(VitPool::ClassToken)
        .init(&Device::flex());
    let model = check(model, "vit_token", "safetensors", [2, 3, 32, 32]);
    assert!(!model.pools_features());
}

#[test]
fn torchvision_vit_loads_and_matches() {
    let model = thin_vit()
        .with_pool(VitPool::ClassToken)
        .init(&Device::flex());
    check_outputs(model, "vit_torchvision", "safetensors", [2, 3, 32, 32]);
}
