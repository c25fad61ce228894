//! Merging annotators: the mean maps, the merged manifest and the agreement, against values
//! worked out by hand; and the refusals.

mod common;

use std::path::PathBuf;

use common::{map_png, write_images};
use cyborg_annotate::{AnnotateError, AnnotationStore, merge_annotators};

#[test]
fn two_annotators_merge_into_their_mean_with_their_agreement() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_images(dir.path());
    let out = dir.path().join("annotations");
    let open = |name: &str| {
        let records = cyborg_data::read_manifest(&manifest, None).unwrap();
        AnnotationStore::open(records, &out, name).unwrap()
    };
    // Image a: ada marks the left half, grace the left two thirds. Image b: ada only. c: none.
    let (left_half, _) = map_png(|x, _| if x < 3 { 255 } else { 0 });
    let (left_two_thirds, _) = map_png(|x, _| if x < 4 { 255 } else { 0 });
    let (top, _) = map_png(|_, y| if y < 2 { 200 } else { 0 });
    let mut ada = open("ada");
    ada.save(0, &left_half, 3.0, None).unwrap();
    ada.save(1, &top, 4.0, None).unwrap();
    let mut grace = open("grace");
    grace.save(0, &left_two_thirds, 5.0, None).unwrap();

    let merged = dir.path().join("merged");
    let folders = [out.join("maps/ada"), out.join("maps/grace")];
    let summary = merge_annotators(&folders, &merged).unwrap();
    assert_eq!(summary.annotators, ["ada", "grace"]);
    assert_eq!(
        (summary.images, summary.merged, summary.compared),
        (3, 2, 1)
    );
    // Every row alike: a = [1 1 1 0 0 0], b = [1 1 1 1 0 0] (× 255); per row Σ(a−ā)(b−b̄) = 1,
    // Σ(a−ā)² = 3/2, Σ(b−b̄)² = 4/3, so r = 1/√2; marked 3 and 4 pixels, 3 shared: IoU = 3/4.
    let r = summary.pearson.unwrap();
    assert!((r - 0.5f64.sqrt()).abs() < 1e-9, "{r}");
    assert!((summary.iou.unwrap() - 0.75).abs() < 1e-12);

    let records = cyborg_data::read_manifest(&summary.manifest, None).unwrap();
    assert_eq!(records.classes, ["cat", "dog"]);
    assert_eq!(
        records.items.iter().map(|r| r.label).collect::<Vec<_>>(),
        [0, 1, 0]
    );
    let a = image::open(records.items[0].saliency.as_ref().unwrap())
        .unwrap()
        .to_luma8();
    let expected_a: Vec<u8> = (0..24).map(|i| [255, 255, 255, 128, 0, 0][i % 6]).collect();
    assert_eq!(a.as_raw(), &expected_a);
    let b = image::open(records.items[1].saliency.as_ref().unwrap())
        .unwrap()
        .to_luma8();
    assert_eq!(b, top);
    assert_eq!(records.items[2].saliency, None);

    let table = std::fs::read_to_string(merged.join("agreement.csv")).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "image,annotators,pearson,iou");
    assert!(
        lines[1].ends_with("a.png,2,0.707107,0.750000"),
        "{}",
        lines[1]
    );
    assert!(lines[2].ends_with("b.png,1,,"), "{}", lines[2]);
    assert_eq!(lines.len(), 3);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(merged.join("agreement.json")).unwrap()).unwrap();
    assert_eq!(json["compared"], 1);
    assert_eq!(json["least_agreeing"][0][1], 0.75);
}

#[test]
fn merge_refuses_what_it_cannot_merge() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_images(dir.path());
    let out = dir.path().join("annotations");
    let records = cyborg_data::read_manifest(&manifest, None).unwrap();
    let mut ada = AnnotationStore::open(records.clone(), &out, "ada").unwrap();
    ada.save(0, &map_png(|_, _| 255).0, 1.0, None).unwrap();
    drop(ada);
    let mut grace = AnnotationStore::open(records, &out, "grace").unwrap();
    grace.save(0, &map_png(|_, _| 0).0, 1.0, None).unwrap();
    // grace's map of a.png, replaced by hand with one of another size.
    image::GrayImage::new(3, 3)
        .save(grace.map_path(0).unwrap())
        .unwrap();
    drop(grace);
    let merged = dir.path().join("merged");
    let both = [out.join("maps/ada"), out.join("maps/grace")];
    let error = merge_annotators(&both, &merged).unwrap_err();
    assert!(
        matches!(
            &error,
            AnnotateError::SizeMismatch {
                first_size: (6, 4),
                second_size: (3, 3),
                ..
            }
        ),
        "{error}"
    );

    let stray = dir.path().join("stray");
    std::fs::create_dir_all(&stray).unwrap();
    let error = merge_annotators(std::slice::from_ref(&stray), &merged).unwrap_err();
    assert!(
        matches!(error, AnnotateError::NotAnnotatorFolder { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("stray.csv"), "{error}");
    let error = merge_annotators(&[], &merged).unwrap_err();
    assert!(matches!(error, AnnotateError::Usage(_)));
    let ada_folder: PathBuf = out.join("maps/ada");
    let error = merge_annotators(std::slice::from_ref(&ada_folder), &ada_folder).unwrap_err();
    assert!(matches!(error, AnnotateError::Usage(_)), "{error}");
}
