//! The full-size models have a place of the right shape for every tensor of torchvision's and
//! timm's 1000-class state dicts, and nothing else: ImageNet files load with no missing or
//! unexpected key. `tests/fixtures/full_size_keys.json` lists those keys and shapes
//! (`gen_model_reference.py::full_size_keys`, no weights). The other way, the keys
//! `save_pytorch_weights` writes are those of the state dict, less `num_batches_tracked`.

mod common;

use std::collections::BTreeMap;

use burn::prelude::*;
use cyborg_models::{
    DenseNetConfig, Inception3Config, ResNetConfig, TorchLayout, VitConfig, XceptionConfig,
    parameter_shapes, pytorch_keys,
};

fn check(name: &str, model: &(impl Module + TorchLayout)) {
    check_keys(name, model, true);
}

/// [`check`], with the exported keys compared only when `exports_these_keys` (a model exports
/// one layout; torchvision's ViT keys load, timm's are written).
fn check_keys(name: &str, model: &(impl Module + TorchLayout), exports_these_keys: bool) {
    let text = std::fs::read_to_string(common::fixture("full_size_keys.json")).unwrap();
    let all: BTreeMap<String, BTreeMap<String, Vec<usize>>> = serde_json::from_str(&text).unwrap();
    let torch = &all[name];
    let mut ours: BTreeMap<String, Vec<usize>> = parameter_shapes(model).into_iter().collect();
    let mut problems = Vec::new();
    let keys: Vec<String> = torch.keys().cloned().collect();
    let counters = |key: &&String| key.ends_with(".num_batches_tracked");
    let expected: Vec<String> = keys.iter().filter(|k| !counters(k)).cloned().collect();
    if exports_these_keys {
        assert_eq!(pytorch_keys(model), expected, "{name}: exported keys");
    }
    for ((key, shape), path) in torch.iter().zip(model.remap_keys(&keys)) {
        // Burn's batch norm calls PyTorch's `weight` and `bias` `gamma` and `beta` (the import
        // adapter renames them).
        let batch_norm = path
            .strip_suffix(".weight")
            .map(|p| format!("{p}.gamma"))
            .or_else(|| path.strip_suffix(".bias").map(|p| format!("{p}.beta")))
            .filter(|p| ours.contains_key(p));
        match ours.remove(batch_norm.as_ref().unwrap_or(&path)) {
            None => problems.push(format!("{key} -> {path}: no such parameter")),
            Some(mut found) => {
                // Burn's linear weights are [in, out], PyTorch's [out, in].
                if found.len() == 2 {
                    found.reverse();
                }
                if &found != shape {
                    problems.push(format!("{key} -> {path}: {found:?} vs {shape:?}"));
                }
            }
        }
    }
    problems.extend(
        ours.keys()
            .map(|path| format!("{path}: not in the PyTorch file")),
    );
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
}

#[test]
fn resnets_match_torchvision_keys() {
    let device = Device::flex();
    check("resnet18", &ResNetConfig::resnet18(1000).init(&device));
    check("resnet34", &ResNetConfig::resnet34(1000).init(&device));
    check("resnet50", &ResNetConfig::resnet50(1000).init(&device));
}

#[test]
fn densenet121_matches_torchvision_keys() {
    check(
        "densenet121",
        &DenseNetConfig::densenet121(1000).init(&Device::flex()),
    );
}

#[test]
fn inception_v3_matches_torchvision_keys() {
    let model = Inception3Config::new()
        .with_aux_logits(true)
        .init(&Device::flex());
    check("inception_v3", &model);
}

#[test]
fn xception_matches_timm_legacy_xception_keys() {
    check("xception", &XceptionConfig::new().init(&Device::flex()));
}

#[test]
fn vit_small_matches_timm_keys_with_the_patch_mean_head() {
    // timm.create_model("vit_small_patch16_224", global_pool="avg", fc_norm=False)
    check(
        "vit_small_patch16_224",
        &VitConfig::vit_small_patch16(1000).init(&Device::flex()),
    );
}

#[test]
fn vit_base_loads_torchvision_vit_b_16_keys() {
    let model = VitConfig::vit_base_patch16(1000).init(&Device::flex());
    check_keys("vit_b_16", &model, false);
}
