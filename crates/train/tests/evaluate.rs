//! `evaluate` on a small manifest written to a temporary folder: the figures equal the ones
//! computed by hand from the model's own outputs, do not depend on the batch size, and average
//! the CAM figures over annotated images only.

use std::path::Path;

use burn::prelude::*;
use cyborg_cam::{class_activation_maps, map_mse, normalize_min_max};
use cyborg_data::{ImageConfig, Normalization, SaliencyConfig, SaliencyDataset, read_manifest};
use cyborg_models::{CamBackbone, SmallCnn, SmallCnnConfig};
use cyborg_train::{AucScore, EvaluationConfig, evaluate, feature_grid, roc_auc};

const SIZE: u32 = 16;

/// Seven gray images (a bright square at a position that depends on `i`), human maps for the
/// even ones, labels alternating 0/1.
fn write_dataset(dir: &Path) -> std::path::PathBuf {
    let mut csv = String::from("image,saliency,label\n");
    for i in 0..7u32 {
        let (ox, oy) = ((i * 3) % 10, (i * 5) % 10);
        let inside = |x: u32, y: u32| x >= ox && x < ox + 6 && y >= oy && y < oy + 6;
        image::GrayImage::from_fn(SIZE, SIZE, |x, y| {
            image::Luma([if inside(x, y) {
                230
            } else {
                ((x * 7 + y * 13 + i) % 50) as u8
            }])
        })
        .save(dir.join(format!("{i}.png")))
        .unwrap();
        let map = if i % 2 == 0 {
            image::GrayImage::from_fn(SIZE, SIZE, |x, y| {
                image::Luma([if inside(x, y) { 255 } else { 0 }])
            })
            .save(dir.join(format!("{i}_map.png")))
            .unwrap();
            format!("{i}_map.png")
        } else {
            String::new()
        };
        csv.push_str(&format!("{i}.png,{map},{}\n", i % 2));
    }
    let path = dir.join("test.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

fn model(device: &Device) -> SmallCnn {
    device.seed(5);
    SmallCnnConfig::new(2).with_width(4).init(device)
}

#[test]
fn figures_match_a_hand_computation_at_any_batch_size() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_dataset(dir.path());
    let device = Device::flex();
    let model = model(&device);
    let shape = [1, SIZE as usize, SIZE as usize];
    let grid = feature_grid(&model, shape, &device);
    assert_eq!(grid, [4, 4]);
    let image = ImageConfig::new(SIZE as usize, SIZE as usize)
        .with_channels(1)
        .with_normalization(Normalization::None);
    let dataset = SaliencyDataset::new(
        read_manifest(&csv, None).unwrap(),
        image,
        SaliencyConfig::new(grid),
    );

    let config = EvaluationConfig::new().with_batch_size(3);
    let mut calls = Vec::new();
    let result = evaluate(
        &model,
        &dataset,
        shape,
        grid,
        &config,
        &device,
        |done, total| calls.push((done, total)),
    )
    .unwrap();
    assert_eq!(calls, [(3, 7), (6, 7), (7, 7)]);
    let whole = evaluate(
        &model,
        &dataset,
        shape,
        grid,
        &config.clone().with_batch_size(7),
        &device,
        |_, _| {},
    )
    .unwrap();
    assert_eq!(result.images, 7);
    assert_eq!(result.annotated, 4);
    for (a, b) in [
        (result.accuracy, whole.accuracy),
        (result.auc.unwrap(), whole.auc.unwrap()),
        (result.cam_mse.unwrap(), whole.cam_mse.unwrap()),
        (result.cam_pearson.unwrap(), whole.cam_pearson.unwrap()),
        (
            result.cam_confidence_drop.unwrap(),
            whole.cam_confidence_drop.unwrap(),
        ),
    ] {
        assert!(
            (a - b).abs() < 1e-6,
            "batch size changed a figure: {a} vs {b}"
        );
    }

    // By hand, from one forward pass over all seven images.
    let items: Vec<_> = (0..7).map(|i| dataset.load(i).unwrap()).collect();
    let labels: Vec<i64> = items.iter().map(|item| item.label as i64).collect();
    let values: Vec<f32> = items.iter().flat_map(|item| item.image.clone()).collect();
    let images = Tensor::<1>::from_floats(values.as_slice(), &device).reshape([7, 1, 16, 16]);
    let out = model.forward_classified(images);
    let logits = out
        .logits
        .clone()
        .into_data()
        .convert::<f64>()
        .try_to_vec::<f64>()
        .unwrap();
    let correct = (0..7)
        .filter(|&i| {
            let predicted = if logits[2 * i + 1] > logits[2 * i] {
                1
            } else {
                0
            };
            predicted == labels[i]
        })
        .count();
    assert!((result.accuracy - correct as f64 / 7.0).abs() < 1e-12);
    let positive_logits: Vec<f64> = (0..7).map(|i| logits[2 * i + 1]).collect();
    let positives: Vec<bool> = labels.iter().map(|&l| l == 1).collect();
    // sigmoid is monotone: ranking the raw positive logit gives the same AUC
    let auc = roc_auc(&positive_logits, &positives).unwrap();
    assert!((result.auc.unwrap() - auc).abs() < 1e-12);
    assert_eq!(config.auc_score, AucScore::PositiveLogit);

    let cam = normalize_min_max(
        class_activation_maps(
            out.features,
            model.class_weights(),
            Tensor::<1, Int>::from_ints(labels.as_slice(), &device),
        ),
        1e-8,
    );
    let maps: Vec<f32> = items
        .iter()
        .flat_map(|item| item.saliency.clone().unwrap_or_else(|| vec![0.0; 16]))
        .collect();
    let human = Tensor::<1>::from_floats(maps.as_slice(), &device).reshape([7, 4, 4]);
    let mse = map_mse(cam, human)
        .into_data()
        .convert::<f64>()
        .try_to_vec::<f64>()
        .unwrap();
    let annotated_mean = (0..7).step_by(2).map(|i| mse[i]).sum::<f64>() / 4.0;
    assert!((result.cam_mse.unwrap() - annotated_mean).abs() < 1e-6);
}

#[test]
fn a_missing_image_is_a_data_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_dataset(dir.path());
    std::fs::remove_file(dir.path().join("4.png")).unwrap();
    let device = Device::flex();
    let model = model(&device);
    let records = read_manifest(&csv, None);
    // The manifest reader already checks that files exist; remove after reading instead.
    assert!(records.is_err());
    let csv = write_dataset(dir.path());
    let records = read_manifest(&csv, None).unwrap();
    std::fs::remove_file(dir.path().join("4.png")).unwrap();
    let dataset = SaliencyDataset::new(
        records,
        ImageConfig::new(16, 16).with_channels(1),
        SaliencyConfig::new([4, 4]),
    );
    let error = evaluate(
        &model,
        &dataset,
        [1, 16, 16],
        [4, 4],
        &EvaluationConfig::new(),
        &device,
        |_, _| {},
    )
    .unwrap_err();
    assert!(error.to_string().contains("4.png"), "{error}");
}
