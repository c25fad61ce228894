//! Every source and error path on fixture folders written by the tests themselves.

use std::path::{Path, PathBuf};

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::prelude::*;
use cyborg_data::{
    AugmentConfig, CyborgSplit, DataError, ImageConfig, Normalization, Records, ResizeFilter,
    SaliencyBatcher, SaliencyConfig, SaliencyDataset, ShortcutTaskConfig, load_image,
    load_saliency, read_cyborg_csv, read_image_folder, read_manifest, write_manifest,
};

/// A w×h gray PNG whose pixel (x, y) is `f(x, y)`.
fn gray_png(path: &Path, w: u32, h: u32, f: impl Fn(u32, u32) -> u8) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::GrayImage::from_fn(w, h, |x, y| image::Luma([f(x, y)]))
        .save(path)
        .unwrap();
}

fn rgb_png(path: &Path, w: u32, h: u32, rgb: [u8; 3]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_pixel(w, h, image::Rgb(rgb))
        .save(path)
        .unwrap();
}

fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

/// A folder with three 8×8 images, two maps, and a manifest naming them.
fn manifest_folder() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["a", "b", "c"] {
        gray_png(&d.join(format!("img/{name}.png")), 8, 8, |x, _| {
            (x * 30) as u8
        });
    }
    gray_png(&d.join("maps/a.png"), 16, 16, |x, y| {
        if x < 8 && y < 8 { 255 } else { 0 }
    });
    rgb_png(&d.join("maps/b.png"), 4, 4, [10, 200, 30]);
    let csv = write(
        &d.join("train.csv"),
        "image,saliency,label\nimg/a.png,maps/a.png,dog\nimg/b.png,maps/b.png,cat\nimg/c.png,,dog\n",
    );
    (dir, csv)
}

#[test]
fn manifest_names_sorted_paths_relative_and_optional_maps() {
    let (dir, csv) = manifest_folder();
    let records = read_manifest(&csv, None).unwrap();
    assert_eq!(records.classes, vec!["cat", "dog"]);
    assert_eq!(
        records.items.iter().map(|r| r.label).collect::<Vec<_>>(),
        vec![1, 0, 1]
    );
    assert_eq!(records.items[0].image, dir.path().join("img/a.png"));
    assert_eq!(
        records.items[1].saliency,
        Some(dir.path().join("maps/b.png"))
    );
    assert_eq!(records.items[2].saliency, None);
    assert_eq!(records.annotated(), 2);
    // Given classes fix the order; integers index into them.
    let given = read_manifest(&csv, Some(vec!["dog".into(), "cat".into()])).unwrap();
    assert_eq!(given.items[0].label, 0);
}

#[test]
fn manifest_integer_labels_name_themselves() {
    let (dir, _) = manifest_folder();
    let csv = write(
        &dir.path().join("ints.csv"),
        "label,image,saliency\n2,img/a.png,\n0,img/b.png,\n",
    );
    let records = read_manifest(&csv, None).unwrap();
    assert_eq!(records.classes, vec!["0", "1", "2"]);
    assert_eq!(records.items[0].label, 2);
}

#[test]
fn manifest_round_trips_through_write_manifest() {
    let (dir, csv) = manifest_folder();
    let records = read_manifest(&csv, None).unwrap();
    let out = dir.path().join("copy.csv");
    write(&out, "old contents");
    write_manifest(&out, &records).unwrap();
    assert_eq!(
        read_manifest(&out, Some(records.classes.clone())).unwrap(),
        records
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn manifest_errors_name_file_and_line() {
    let (dir, _) = manifest_folder();
    let d = dir.path();
    let missing = write(
        &d.join("m1.csv"),
        "image,saliency,label\nimg/a.png,,dog\nimg/zzz.png,,dog\n",
    );
    let error = read_manifest(&missing, None).unwrap_err();
    assert!(
        matches!(
            error,
            DataError::Missing {
                line: 3,
                what: "image",
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("m1.csv:3: image"), "{error}");
    assert!(error.to_string().contains("zzz.png"), "{error}");

    let no_map = write(
        &d.join("m2.csv"),
        "image,saliency,label\nimg/a.png,maps/none.png,dog\n",
    );
    let error = read_manifest(&no_map, None).unwrap_err();
    assert!(
        matches!(
            error,
            DataError::Missing {
                what: "saliency map",
                ..
            }
        ),
        "{error}"
    );

    let unknown = read_manifest(d.join("train.csv"), Some(vec!["dog".into()])).unwrap_err();
    assert!(
        matches!(&unknown, DataError::UnknownClass { line: 3, name, .. } if name == "cat"),
        "{unknown}"
    );

    let no_column = write(&d.join("m3.csv"), "image,label\nimg/a.png,dog\n");
    let error = read_manifest(&no_column, None).unwrap_err();
    assert!(
        error.to_string().contains("no `saliency` column"),
        "{error}"
    );

    let empty = write(&d.join("m4.csv"), "image,saliency,label\n");
    assert!(matches!(
        read_manifest(&empty, None).unwrap_err(),
        DataError::Empty { .. }
    ));

    let ragged = write(
        &d.join("m5.csv"),
        "image,saliency,label\nimg/a.png,,dog,extra\n",
    );
    assert!(matches!(
        read_manifest(&ragged, None).unwrap_err(),
        DataError::Csv { .. }
    ));

    let blank_image = write(&d.join("m6.csv"), "image,saliency,label\n,,dog\n");
    assert!(matches!(
        read_manifest(&blank_image, None).unwrap_err(),
        DataError::BadRow { line: 2, .. }
    ));

    let huge = write(
        &d.join("m7.csv"),
        "image,saliency,label\nimg/a.png,,3\nimg/b.png,,100000\n",
    );
    let error = read_manifest(&huge, None).unwrap_err();
    assert!(
        matches!(error, DataError::BadRow { line: 3, .. }),
        "{error}"
    );

    let absent = read_manifest(d.join("absent.csv"), None).unwrap_err();
    assert!(absent.to_string().contains("absent.csv"), "{absent}");
}

#[test]
fn cyborg_layout_reads_splits_and_heatmaps() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    gray_png(&d.join("faces/real/001.png"), 4, 4, |_, _| 1);
    gray_png(&d.join("faces/fake/002.png"), 4, 4, |_, _| 2);
    gray_png(&d.join("faces/fake/003.png"), 4, 4, |_, _| 3);
    gray_png(&d.join("heatmaps/001.png"), 4, 4, |_, _| 4);
    gray_png(&d.join("heatmaps/002.png"), 4, 4, |_, _| 5);
    let csv = write(
        &d.join("original_data.csv"),
        "train,Real,faces/real/001.png\ntrain,Synthetic,faces/fake/002.png\ntest,Synthetic,faces/fake/003.png\n",
    );
    let train = read_cyborg_csv(&csv, d, "heatmaps", CyborgSplit::Train).unwrap();
    assert_eq!(train.classes, vec!["Real", "Synthetic"]);
    assert_eq!(train.len(), 2);
    assert_eq!(train.items[1].label, 1);
    assert_eq!(train.items[1].saliency, Some(d.join("heatmaps/002.png")));
    let test = read_cyborg_csv(&csv, d, "heatmaps", CyborgSplit::Test).unwrap();
    assert_eq!(test.len(), 1);
    assert_eq!(test.items[0].saliency, None);

    let bad = |name: &str, text: &str| {
        read_cyborg_csv(
            write(&d.join(name), text),
            d,
            "heatmaps",
            CyborgSplit::Train,
        )
        .unwrap_err()
    };
    let e = bad(
        "b1.csv",
        "train,Real,faces/real/001.png\ntrain,Real,faces/fake/003.png\n",
    );
    assert!(
        matches!(
            e,
            DataError::Missing {
                line: 2,
                what: "saliency map",
                ..
            }
        ),
        "{e}"
    );
    let e = bad("b2.csv", "validation,Real,faces/real/001.png\n");
    assert!(
        e.to_string().contains("b2.csv:1: split \"validation\""),
        "{e}"
    );
    let e = bad("b3.csv", "train,Human,faces/real/001.png\n");
    assert!(matches!(e, DataError::UnknownClass { .. }), "{e}");
    let e = bad("b4.csv", "train,Real\n");
    assert!(e.to_string().contains("got 2 fields"), "{e}");
    let e = bad("b5.csv", "test,Real,faces/real/001.png\n");
    assert!(matches!(e, DataError::Empty { .. }), "{e}");
}

#[test]
fn image_folder_with_a_partial_saliency_tree() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    gray_png(&d.join("images/zebra/1.png"), 4, 4, |_, _| 0);
    gray_png(&d.join("images/ant/2.png"), 4, 4, |_, _| 0);
    gray_png(&d.join("images/ant/1.PNG"), 4, 4, |_, _| 0);
    write(&d.join("images/ant/notes.txt"), "not an image");
    gray_png(&d.join("maps/ant/2.png"), 4, 4, |_, _| 0);
    let records = read_image_folder(d.join("images"), Some(&d.join("maps"))).unwrap();
    assert_eq!(records.classes, vec!["ant", "zebra"]);
    let names: Vec<_> = records
        .items
        .iter()
        .map(|r| r.image.strip_prefix(d).unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        vec![
            PathBuf::from("images/ant/1.PNG"),
            "images/ant/2.png".into(),
            "images/zebra/1.png".into()
        ]
    );
    assert_eq!(records.annotated(), 1);
    assert_eq!(records.items[1].saliency, Some(d.join("maps/ant/2.png")));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        read_image_folder(empty.path(), None).unwrap_err(),
        DataError::Empty { .. }
    ));
    assert!(matches!(
        read_image_folder(d.join("nope"), None).unwrap_err(),
        DataError::Io { .. }
    ));
}

#[test]
fn maps_are_gray_resized_and_normalised() {
    let (dir, _) = manifest_folder();
    let config = SaliencyConfig::new([2, 2]);
    // 16×16, white in the top-left quarter: area averaging gives exactly [1, 0; 0, 0].
    let area = load_saliency(
        dir.path().join("maps/a.png"),
        &config.clone().with_filter(ResizeFilter::Area),
    )
    .unwrap();
    assert_eq!(area, vec![1.0, 0.0, 0.0, 0.0]);
    // The bilinear filter spreads a little across the border but keeps the order.
    let bilinear = load_saliency(dir.path().join("maps/a.png"), &config).unwrap();
    assert!(
        (bilinear[0] - 1.0).abs() < 1e-6 && bilinear[3].abs() < 1e-6,
        "{bilinear:?}"
    );
    // A constant colour map is gray, then all zeros after min-max normalisation, never NaN.
    let constant = load_saliency(dir.path().join("maps/b.png"), &config).unwrap();
    assert_eq!(constant, vec![0.0; 4]);
}

#[test]
fn images_are_converted_resized_and_normalised() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("red.png");
    rgb_png(&path, 6, 6, [255, 0, 0]);
    let rgb = load_image(
        &path,
        &ImageConfig::new(3, 3).with_normalization(Normalization::None),
    )
    .unwrap();
    assert_eq!(rgb.len(), 27);
    assert!(
        rgb[..9].iter().all(|&v| (v - 1.0).abs() < 1e-6)
            && rgb[9..].iter().all(|&v| v.abs() < 1e-6)
    );
    // Gray uses Pillow's luma weights: red is 0.299; ImageNet's one-channel statistics follow.
    let gray = load_image(&path, &ImageConfig::new(2, 2).with_channels(1)).unwrap();
    let expected = (0.299 - 0.449) / 0.226;
    assert!(
        gray.iter().all(|&v| (v - expected).abs() < 1e-5),
        "{gray:?}"
    );
}

#[test]
fn unreadable_images_are_decode_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.png");
    gray_png(&good, 8, 8, |x, y| (x + y) as u8);
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.path().join("truncated.png");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let garbage = write(&dir.path().join("garbage.png"), "definitely not a png");
    let config = SaliencyConfig::new([2, 2]);
    for path in [&truncated, &garbage] {
        let error = load_saliency(path, &config).unwrap_err();
        assert!(matches!(error, DataError::Decode { .. }), "{error}");
        assert!(
            error
                .to_string()
                .contains(&*path.file_name().unwrap().to_string_lossy()),
            "{error}"
        );
    }
    let missing = load_image(dir.path().join("missing.png"), &ImageConfig::new(2, 2)).unwrap_err();
    assert!(matches!(missing, DataError::Io { .. }), "{missing}");
}

#[test]
fn dataset_and_batcher_mix_annotated_and_unannotated_images() {
    let (_dir, csv) = manifest_folder();
    let records: Records = read_manifest(&csv, None).unwrap();
    let dataset = SaliencyDataset::new(
        records,
        ImageConfig::new(4, 4)
            .with_channels(1)
            .with_normalization(Normalization::None),
        SaliencyConfig::new([2, 2]),
    );
    assert_eq!(dataset.len(), 3);
    let items: Vec<_> = (0..3).map(|i| dataset.load(i).unwrap()).collect();
    assert!(items[2].saliency.is_none());
    let device = Device::flex();
    let batch = SaliencyBatcher::new([1, 4, 4], [2, 2]).batch(items, &device);
    assert_eq!(batch.images.dims(), [3, 1, 4, 4]);
    assert_eq!(batch.saliency.dims(), [3, 2, 2]);
    let annotated = batch.annotated.into_data().try_to_vec::<bool>().unwrap();
    assert_eq!(annotated, vec![true, true, false]);
    let labels: Vec<i64> = batch
        .labels
        .into_data()
        .convert::<i64>()
        .try_to_vec()
        .unwrap();
    assert_eq!(labels, vec![1, 0, 1]);
}

#[test]
fn shortcut_task_writes_a_manifest_any_tool_can_read() {
    let dir = tempfile::tempdir().unwrap();
    let task = ShortcutTaskConfig::new()
        .with_train_size(4)
        .with_test_size(2)
        .generate();
    let written = task.train.write(dir.path(), "train").unwrap();
    let read = read_manifest(dir.path().join("train.csv"), Some(written.classes.clone())).unwrap();
    assert_eq!(read, written);
    let labels: Vec<i64> = read.items.iter().map(|r| r.label as i64).collect();
    assert_eq!(labels, task.train.labels);
    // The binary human map survives the PNG round trip exactly.
    let path = read.items[0].saliency.clone().unwrap();
    let map = load_saliency(path, &SaliencyConfig::new([16, 16])).unwrap();
    assert_eq!(map, task.train.saliency[..256].to_vec());
}

#[test]
fn augmentation_moves_image_and_map_together() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Image 8×8 and map 4×4 (another resolution), both bright on the left half only.
    gray_png(&d.join("img.png"), 8, 8, |x, _| if x < 4 { 255 } else { 0 });
    gray_png(&d.join("map.png"), 4, 4, |x, _| if x < 2 { 255 } else { 0 });
    write(
        &d.join("m.csv"),
        "image,saliency,label\nimg.png,map.png,0\n",
    );
    let records = read_manifest(d.join("m.csv"), None).unwrap();
    // Area averaging keeps the halves exact (the bilinear filter blurs across the border).
    let image_config = ImageConfig::new(2, 2)
        .with_channels(1)
        .with_normalization(Normalization::None)
        .with_filter(ResizeFilter::Area);
    let map_config = SaliencyConfig::new([2, 2]).with_filter(ResizeFilter::Area);
    let plain = SaliencyDataset::new(records, image_config, map_config);
    let flipped = plain
        .clone()
        .with_augmentation(AugmentConfig::new().with_flip_probability(1.0));
    let before = plain.load(0).unwrap();
    let after = flipped.load(0).unwrap();
    assert_eq!(before.image, vec![1.0, 0.0, 1.0, 0.0]);
    assert_eq!(before.saliency, Some(vec![1.0, 0.0, 1.0, 0.0]));
    assert_eq!(after.image, vec![0.0, 1.0, 0.0, 1.0]);
    assert_eq!(after.saliency, Some(vec![0.0, 1.0, 0.0, 1.0]));
}

#[test]
fn data_loader_workers_batch_the_dataset_and_report_bad_files() {
    let (dir, csv) = manifest_folder();
    let dataset = SaliencyDataset::new(
        read_manifest(&csv, None).unwrap(),
        ImageConfig::new(4, 4).with_channels(1),
        SaliencyConfig::new([2, 2]),
    );
    let loader = DataLoaderBuilder::new(SaliencyBatcher::new([1, 4, 4], [2, 2]))
        .batch_size(2)
        .num_workers(2)
        .set_device(Device::flex())
        .build(dataset.clone());
    let sizes: Vec<usize> = loader.iter().map(|b| b.unwrap().images.dims()[0]).collect();
    let mut sorted = sizes.clone();
    sorted.sort();
    assert_eq!(sorted, vec![1, 2], "batches of {sizes:?}");

    // A file that breaks after the manifest was read: the loader yields an error naming it.
    std::fs::write(dir.path().join("img/b.png"), "no longer a png").unwrap();
    let loader = DataLoaderBuilder::new(SaliencyBatcher::new([1, 4, 4], [2, 2]))
        .batch_size(3)
        .set_device(Device::flex())
        .build(dataset);
    let error = loader.iter().find_map(|b| b.err()).expect("a bad batch");
    assert!(error.to_string().contains("b.png"), "{error}");
}

#[test]
fn cached_maps_are_decoded_once() {
    let (dir, csv) = manifest_folder();
    let dataset = SaliencyDataset::new(
        read_manifest(&csv, None).unwrap(),
        ImageConfig::new(4, 4),
        SaliencyConfig::new([2, 2]),
    );
    let cached = dataset.clone().with_map_cache();
    let first = cached.load(0).unwrap();
    // The map file goes bad after the first epoch: the cache still has the map, the uncached
    // dataset reports the file.
    std::fs::write(dir.path().join("maps/a.png"), "broken").unwrap();
    assert_eq!(cached.clone().load(0).unwrap(), first);
    let error = dataset.load(0).unwrap_err();
    assert!(error.to_string().contains("a.png"), "{error}");
}
