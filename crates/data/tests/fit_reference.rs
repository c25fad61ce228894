//! torchvision's ImageNet evaluation transform (`Resize(S)` then `CenterCrop`), against
//! `scripts/gen_fit_reference.py`: `Fit::ShortSideCrop` gives the image torchvision gives,
//! and the human map loaded for it keeps the same part of the picture.

use std::path::PathBuf;

use burn::data::dataset::Dataset;
use cyborg_data::{
    Augmentation, Fit, ImageConfig, Normalization, Record, Records, SaliencyConfig,
    SaliencyDataset, load_image, load_saliency, load_saliency_aligned,
};
use cyborg_testing::{Fixture, compare_slices, f64_from_json};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn floats(value: &serde_json::Value) -> Vec<f64> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(f64_from_json)
        .collect()
}

fn as_f64(values: Vec<f32>) -> Vec<f64> {
    values.into_iter().map(f64::from).collect()
}

#[test]
fn short_side_crop_matches_torchvision() {
    let f = Fixture::load(fixture("fit_reference.json").to_str().unwrap());
    let cases = f.at("/cases").as_array().expect("cases");
    assert_eq!(cases.len(), 3);
    for case in cases {
        let size = |key: &str| {
            let v = floats(&case[key]);
            [v[0] as usize, v[1] as usize]
        };
        let [h, w] = size("crop");
        let grid = size("grid");
        let short_side = case["short_side"].as_u64().unwrap() as usize;
        let image = fixture(case["image"].as_str().unwrap());
        let map = fixture(case["map"].as_str().unwrap());
        let what = format!("{} short {short_side} crop {h}×{w}", image.display());
        let config = ImageConfig::new(h, w).with_fit(Fit::ShortSideCrop { short_side });
        let loaded = as_f64(load_image(&image, &config).unwrap());
        compare_slices(&what, &loaded, &floats(&case["expected_image"]), 1e-5, 1e-5);
        let saliency = SaliencyConfig::new(grid);
        let aligned = load_saliency_aligned(&map, &saliency, &config, &Augmentation::IDENTITY);
        let aligned = as_f64(aligned.unwrap());
        compare_slices(&what, &aligned, &floats(&case["expected_map"]), 1e-5, 1e-5);

        // The dataset loads the pair the same way.
        let records = Records {
            items: vec![Record {
                image: image.clone(),
                saliency: Some(map.clone()),
                label: 0,
            }],
            classes: vec!["a".into()],
        };
        let item = SaliencyDataset::new(records, config, saliency.clone())
            .get(0)
            .unwrap();
        assert_eq!(as_f64(item.image), loaded, "{what}: dataset image");
        assert_eq!(
            as_f64(item.saliency.unwrap()),
            aligned,
            "{what}: dataset map"
        );

        // Stretched, the map is resized straight to the grid, as before.
        let stretched = ImageConfig::new(h, w);
        let direct = load_saliency(&map, &saliency).unwrap();
        let via = load_saliency_aligned(&map, &saliency, &stretched, &Augmentation::IDENTITY);
        assert_eq!(via.unwrap(), direct);
    }
}

#[test]
fn a_short_side_smaller_than_the_crop_is_a_settings_error() {
    let config = ImageConfig::new(224, 224).with_fit(Fit::ShortSideCrop { short_side: 200 });
    let error = load_image(fixture("fit_image.png"), &config).unwrap_err();
    assert!(error.to_string().contains("at least 224"), "{error}");
}

/// `Normalization::apply` on an image decoded without normalisation gives exactly the values
/// `load_image` gives with it, for every kind of normalisation and both channel counts.
#[test]
fn normalising_a_plain_batch_matches_load_image() {
    let device = burn::prelude::Device::flex();
    let path = fixture("fit_image.png");
    let custom = Normalization::Custom {
        mean: vec![0.5, 0.25, 0.125],
        std: vec![0.3, 0.2, 0.1],
    };
    for normalization in [Normalization::ImageNet, Normalization::None, custom] {
        for channels in [1, 3] {
            let config = ImageConfig::new(9, 7)
                .with_channels(channels)
                .with_normalization(normalization.clone());
            let expected = load_image(&path, &config).unwrap();
            let plain = config.clone().with_normalization(Normalization::None);
            let plain = load_image(&path, &plain).unwrap();
            let batch = burn::prelude::Tensor::<1>::from_floats(plain.as_slice(), &device)
                .reshape([1, channels, 9, 7]);
            let applied: Vec<f32> = normalization
                .apply(batch)
                .into_data()
                .convert::<f32>()
                .try_to_vec::<f32>()
                .unwrap();
            assert_eq!(
                applied, expected,
                "{normalization:?}, {channels} channel(s)"
            );
        }
    }
}
