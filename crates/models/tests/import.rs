//! Weight import as a user meets it: head replacement for a new number of classes, the errors
//! for missing, unexpected and misshapen tensors, other key spellings of the same weights,
//! unreadable files, and checkpoint errors.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use burn::prelude::*;
use common::{assert_matches_reference, fixture, probe_input};
use cyborg_models::{
    CamBackbone, DenseNetConfig, HeadPolicy, ImportOptions, ModelError, ResNet, ResNetConfig,
    XceptionConfig, load_checkpoint, load_pytorch_weights, save_checkpoint, save_pytorch_weights,
};
use safetensors::SafeTensors;
use safetensors::tensor::TensorView;

/// The thin ResNet of `resnet_basic.safetensors`, with `blocks` and `num_classes` changed.
fn resnet(blocks: [usize; 4], num_classes: usize) -> ResNet {
    ResNetConfig::new(blocks, false)
        .with_num_classes(num_classes)
        .with_width(4)
        .init(&Device::flex())
}

/// Copies the safetensors fixture `name` to `dir`, renaming each key with `rename`.
fn rewrite(name: &str, dir: &Path, rename: impl Fn(&str) -> String) -> PathBuf {
    let bytes = std::fs::read(fixture(name)).expect("fixture");
    let file = SafeTensors::deserialize(&bytes).expect("valid safetensors");
    let tensors: HashMap<String, TensorView<'_>> = file
        .tensors()
        .into_iter()
        .map(|(key, view)| (rename(&key), view))
        .collect();
    let path = dir.join(name);
    safetensors::serialize_to_file(&tensors, None, &path).expect("write");
    path
}

#[test]
fn replacing_the_head_loads_the_backbone_and_keeps_a_fresh_head() {
    let model = resnet([2, 1, 1, 1], 5);
    let fresh_head = model.class_weights();
    let options = ImportOptions {
        head: HeadPolicy::Replace,
        ..Default::default()
    };
    let (model, report) =
        load_pytorch_weights(model, fixture("resnet_basic.safetensors"), &options).unwrap();
    let mut kept = report.head_kept.clone();
    kept.sort();
    assert_eq!(kept, ["fc.bias", "fc.weight"]);
    assert!(report.missing.is_empty() && report.unused.is_empty());
    let out = model.forward_classified(probe_input([2, 3, 64, 64], &Device::flex()));
    assert_matches_reference("resnet_basic", "features", out.features);
    assert_eq!(out.logits.dims(), [2, 5]);
    assert_eq!(
        model.class_weights().into_data(),
        fresh_head.into_data(),
        "the head is the freshly initialised one"
    );
}

#[test]
fn a_head_of_the_wrong_size_is_a_shape_error_naming_it() {
    let path = fixture("resnet_basic.safetensors");
    let error = load_pytorch_weights(resnet([2, 1, 1, 1], 5), &path, &ImportOptions::default())
        .unwrap_err();
    let ModelError::ShapeMismatch {
        path: file,
        mismatches,
    } = &error
    else {
        panic!("expected a shape mismatch, got {error}");
    };
    assert_eq!(file, &path);
    let keys: Vec<&str> = mismatches.iter().map(|m| m.key.as_str()).collect();
    assert!(
        keys.contains(&"fc.weight") && keys.contains(&"fc.bias"),
        "{keys:?}"
    );
    let bias = mismatches.iter().find(|m| m.key == "fc.bias").unwrap();
    assert_eq!(
        (bias.expected.as_slice(), bias.found.as_slice()),
        (&[5][..], &[3][..])
    );
    let message = error.to_string();
    assert!(message.contains("resnet_basic.safetensors") && message.contains("fc.bias"));
}

#[test]
fn parameters_the_file_lacks_are_an_error_unless_allowed() {
    let path = fixture("resnet_basic.safetensors");
    let error = load_pytorch_weights(resnet([2, 2, 1, 1], 3), &path, &ImportOptions::default())
        .unwrap_err();
    let ModelError::MissingKeys { keys, .. } = &error else {
        panic!("expected missing keys, got {error}");
    };
    assert!(keys.iter().all(|k| k.starts_with("layer2.1.")), "{keys:?}");
    assert!(keys.contains(&"layer2.1.conv1.weight".to_string()));

    let options = ImportOptions {
        allow_missing: true,
        ..Default::default()
    };
    let (_, report) = load_pytorch_weights(resnet([2, 2, 1, 1], 3), &path, &options).unwrap();
    assert_eq!(report.missing.len(), keys.len());
}

#[test]
fn tensors_the_model_has_no_place_for_are_an_error_unless_allowed() {
    let path = fixture("resnet_basic.safetensors");
    let error = load_pytorch_weights(resnet([1, 1, 1, 1], 3), &path, &ImportOptions::default())
        .unwrap_err();
    let ModelError::UnexpectedKeys { keys, .. } = &error else {
        panic!("expected unexpected keys, got {error}");
    };
    assert!(keys.iter().all(|k| k.starts_with("layer1.1.")), "{keys:?}");
    assert!(
        !keys.iter().any(|k| k.ends_with("num_batches_tracked")),
        "batch norm counters are not reported"
    );
    let options = ImportOptions {
        allow_unexpected: true,
        ..Default::default()
    };
    let (_, report) = load_pytorch_weights(resnet([1, 1, 1, 1], 3), &path, &options).unwrap();
    assert_eq!(report.unused.len(), keys.len());
}

#[test]
fn data_parallel_prefixes_are_stripped() {
    let dir = tempfile::tempdir().unwrap();
    let path = rewrite("resnet_basic.safetensors", dir.path(), |key| {
        format!("module.{key}")
    });
    let (model, _) =
        load_pytorch_weights(resnet([2, 1, 1, 1], 3), &path, &ImportOptions::default()).unwrap();
    let out = model.forward_classified(probe_input([2, 3, 64, 64], &Device::flex()));
    assert_matches_reference("resnet_basic", "logits", out.logits);
}

/// torchvision's published DenseNet files spell `denselayer1.norm1` as `denselayer1.norm.1`.
#[test]
fn densenet_loads_the_legacy_key_spelling_of_torchvision_weights() {
    let dir = tempfile::tempdir().unwrap();
    let path = rewrite("densenet.safetensors", dir.path(), |key| {
        let mut key = key.to_string();
        for name in ["norm1", "norm2", "conv1", "conv2"] {
            if key.contains("denselayer") {
                key = key.replace(
                    &format!(".{name}."),
                    &format!(".{}.{}.", &name[..4], &name[4..]),
                );
            }
        }
        key
    });
    let bytes = std::fs::read(&path).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    assert!(
        file.names()
            .contains(&"features.denseblock1.denselayer1.norm.1.weight"),
        "the rewritten file has the legacy spelling"
    );
    let model = DenseNetConfig::new()
        .with_num_classes(3)
        .with_growth_rate(4)
        .with_block_config(vec![2, 2, 2, 2])
        .with_num_init_features(8)
        .with_bn_size(2)
        .init(&Device::flex());
    let (model, _) = load_pytorch_weights(model, &path, &ImportOptions::default()).unwrap();
    let out = model.forward_classified(probe_input([2, 3, 64, 64], &Device::flex()));
    assert_matches_reference("densenet", "logits", out.logits);
}

/// Cadene's `pretrainedmodels` file names Xception's head `last_linear`.
#[test]
fn xception_loads_cadenes_last_linear_head() {
    let dir = tempfile::tempdir().unwrap();
    let path = rewrite("xception.safetensors", dir.path(), |key| {
        key.replace("fc.", "last_linear.")
    });
    let model = XceptionConfig::new()
        .with_num_classes(3)
        .with_entry_widths([4, 8, 8, 8, 16])
        .with_exit_widths([16, 16, 24])
        .init(&Device::flex());
    let (model, _) = load_pytorch_weights(model, &path, &ImportOptions::default()).unwrap();
    let out = model.forward_classified(probe_input([1, 3, 71, 71], &Device::flex()));
    assert_matches_reference("xception", "logits", out.logits);
}

#[test]
fn unreadable_files_are_typed_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let options = ImportOptions::default();

    let absent = dir.path().join("absent.pth");
    let error = load_pytorch_weights(resnet([1, 1, 1, 1], 3), &absent, &options).unwrap_err();
    assert!(
        matches!(&error, ModelError::Io { path, .. } if path == &absent),
        "{error}"
    );

    let onnx = dir.path().join("model.onnx");
    std::fs::write(&onnx, b"not weights").unwrap();
    let error = load_pytorch_weights(resnet([1, 1, 1, 1], 3), &onnx, &options).unwrap_err();
    assert!(matches!(error, ModelError::UnknownFormat { .. }), "{error}");

    let garbage = dir.path().join("garbage.pth");
    std::fs::write(&garbage, b"definitely not a zip archive").unwrap();
    let error = load_pytorch_weights(resnet([1, 1, 1, 1], 3), &garbage, &options).unwrap_err();
    assert!(matches!(error, ModelError::Pytorch { .. }), "{error}");
    assert!(error.to_string().contains("garbage.pth"));
    assert!(
        std::error::Error::source(&error).is_some(),
        "the reader's error is kept"
    );

    let garbage = dir.path().join("garbage.safetensors");
    std::fs::write(&garbage, b"\x08\x00\x00\x00\x00\x00\x00\x00{broken}").unwrap();
    let error = load_pytorch_weights(resnet([1, 1, 1, 1], 3), &garbage, &options).unwrap_err();
    assert!(matches!(error, ModelError::Safetensors { .. }), "{error}");
}

#[test]
fn checkpoints_replace_atomically_and_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bpk");
    save_checkpoint(&resnet([1, 1, 1, 1], 3), &path).unwrap();
    save_checkpoint(&resnet([1, 1, 1, 1], 3), &path).unwrap();
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "no temporary file is left behind");

    let error =
        load_checkpoint(resnet([1, 1, 1, 1], 3), dir.path().join("absent.bpk")).unwrap_err();
    assert!(matches!(error, ModelError::Io { .. }), "{error}");

    let error = load_checkpoint(resnet([2, 2, 1, 1], 3), &path).unwrap_err();
    assert!(matches!(error, ModelError::Checkpoint { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("model.bpk"), "{message}");
    assert!(message.contains("missing layer1.1."), "{message}");
    // A larger model's file in a smaller one: the extra tensors are named, not ignored.
    let larger = dir.path().join("larger.bpk");
    save_checkpoint(&resnet([2, 2, 1, 1], 3), &larger).unwrap();
    let message = load_checkpoint(resnet([1, 1, 1, 1], 3), &larger)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("not in this model: layer1.1."),
        "{message}"
    );
}

#[test]
fn export_keeps_an_existing_file_unless_told_to_overwrite_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    std::fs::write(&path, b"the user's file").unwrap();
    let model = resnet([2, 1, 1, 1], 3);
    let error = save_pytorch_weights(&model, &path, false).unwrap_err();
    assert!(
        matches!(&error, ModelError::AlreadyExists { path: p } if p == &path),
        "{error}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"the user's file");

    let report = save_pytorch_weights(&model, &path, true).unwrap();
    assert!(
        report
            .keys
            .contains(&"layer2.0.downsample.0.weight".to_string())
    );
    assert!(
        report
            .keys
            .contains(&"layer2.0.downsample.1.running_var".to_string())
    );
    let (reloaded, _) =
        load_pytorch_weights(resnet([2, 1, 1, 1], 3), &path, &ImportOptions::default()).unwrap();
    let input = probe_input([1, 3, 32, 32], &Device::flex());
    assert_eq!(
        reloaded
            .forward_classified(input.clone())
            .logits
            .into_data(),
        model.forward_classified(input).logits.into_data(),
        "the exported file loads back into the same model"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no scratch file is left beside the export"
    );
}

#[test]
fn export_names_only_safetensors_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.pth");
    let error = save_pytorch_weights(&resnet([2, 1, 1, 1], 3), &path, false).unwrap_err();
    assert!(matches!(&error, ModelError::ExportFormat { .. }), "{error}");
    assert!(error.to_string().contains("model.pth"));
    assert!(!path.exists());
}
