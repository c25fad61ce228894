//! The `cyborg` binary as a user runs it: `eval` writes metrics.json and `faithfulness`
//! faithfulness.json equal to the library's figures, `cam` writes grids of the documented size,
//! and bad flags or files give one line and a non-zero exit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use burn::prelude::*;
use cyborg_cam::GridConfig;
use cyborg_cam::{GradientCam, RoadConfig, RoadRemoval, road};
use cyborg_data::{ImageConfig, Normalization, SaliencyConfig, SaliencyDataset, read_manifest};
use cyborg_models::{
    CamMethod, ExplainConfig, ImportOptions, SmallCnnConfig, Target, confidence_drop, explain,
    load_checkpoint, load_pytorch_weights, save_checkpoint,
};
use cyborg_train::{EvaluationConfig, evaluate};

/// Seven 16×16 gray images with a bright square, maps for the even ones, labels 0/1.
fn write_dataset(dir: &Path) -> PathBuf {
    let mut csv = String::from("image,saliency,label\n");
    for i in 0..7u32 {
        let (ox, oy) = ((i * 3) % 10, (i * 5) % 10);
        let inside = move |x: u32, y: u32| x >= ox && x < ox + 6 && y >= oy && y < oy + 6;
        image::GrayImage::from_fn(16, 16, |x, y| {
            image::Luma([if inside(x, y) {
                230
            } else {
                ((x * 7 + y * 13) % 50) as u8
            }])
        })
        .save(dir.join(format!("{i}.png")))
        .unwrap();
        let map = if i % 2 == 0 {
            image::GrayImage::from_fn(16, 16, |x, y| image::Luma([255 * inside(x, y) as u8]))
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

fn cyborg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cyborg"))
        .args(args)
        .output()
        .expect("run cyborg")
}

/// Runs `cyborg` and asserts that it succeeded, showing its standard error if not.
fn cyborg_ok(args: &[&str]) -> Output {
    let output = cyborg(args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

const MODEL: [&str; 10] = [
    "--model",
    "small-cnn",
    "--channels",
    "1",
    "--image-size",
    "16",
    "--normalization",
    "none",
    "--num-classes",
    "2",
];

fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_dataset(dir.path());
    let device = Device::flex();
    device.seed(3);
    let model = SmallCnnConfig::new(2).with_channels(1).init(&device);
    let checkpoint = dir.path().join("model.bpk");
    save_checkpoint(&model, &checkpoint).unwrap();
    (dir, csv, checkpoint)
}

#[test]
fn eval_writes_the_librarys_figures_to_metrics_json() {
    let (dir, csv, checkpoint) = setup();
    let out = dir.path().join("out");
    let mut args: Vec<&str> = MODEL.to_vec();
    let (checkpoint_s, csv_s, out_s) = (
        checkpoint.to_str().unwrap(),
        csv.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    args.extend([
        "--checkpoint",
        checkpoint_s,
        "--test",
        csv_s,
        "--out",
        out_s,
    ]);
    let mut full = vec!["eval"];
    full.extend(args);
    let output = cyborg_ok(&full);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("accuracy") && stdout.contains("test"),
        "{stdout}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let test = &json["test"]["test"];

    // The same figures from the library.
    let device = Device::flex();
    device.seed(3);
    let model = SmallCnnConfig::new(2).with_channels(1).init(&device);
    let dataset = SaliencyDataset::new(
        read_manifest(&csv, None).unwrap(),
        ImageConfig::new(16, 16)
            .with_channels(1)
            .with_normalization(Normalization::None),
        SaliencyConfig::new([4, 4]),
    );
    let expected = evaluate(
        &model,
        &dataset,
        [1, 16, 16],
        [4, 4],
        &EvaluationConfig::new(),
        &device,
        |_, _| {},
    )
    .unwrap();
    let close = |key: &str, value: f64| {
        let got = test[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} in {test}"));
        assert!((got - value).abs() < 1e-9, "{key}: {got} vs {value}");
    };
    close("accuracy", expected.accuracy);
    close("auc", expected.auc.unwrap());
    close("cam_mse", expected.cam_mse.unwrap());
    close("cam_confidence_drop", expected.cam_confidence_drop.unwrap());
    assert_eq!(test["annotated"], 4);
}

#[test]
fn faithfulness_writes_the_librarys_road_and_confidence_drop() {
    let (dir, csv, checkpoint) = setup();
    let out = dir.path().join("faithfulness");
    let mut args = vec!["faithfulness"];
    args.extend(MODEL);
    args.extend([
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--test",
        csv.to_str().unwrap(),
        "--methods",
        "gradcam,eigencam",
        "--percentiles",
        "30,70",
        "--batch-size",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    let output = cyborg_ok(&args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("7 images") && stdout.contains("Grad-CAM") && stdout.contains("EigenCAM"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("faithfulness.json")).unwrap())
            .unwrap();
    assert_eq!(json["images"], 7);

    // The same figures from the library: the seven images in one batch (seed 0); the CLI ran
    // batches of 3, and the noise is keyed on each image's index, not its batch (products of
    // other batch sizes may round differently: 1e-5).
    let device = Device::flex();
    let model = load_checkpoint(
        SmallCnnConfig::new(2).with_channels(1).init(&device),
        &checkpoint,
    )
    .unwrap();
    let config = ImageConfig::new(16, 16)
        .with_channels(1)
        .with_normalization(Normalization::None);
    let records = read_manifest(&csv, None).unwrap();
    let mut values = Vec::new();
    for record in &records.items {
        values.extend(cyborg_data::load_image(&record.image, &config).unwrap());
    }
    let images = Tensor::<1>::from_floats(values.as_slice(), &device).reshape([7, 1, 16, 16]);
    let labels: Vec<i64> = records.items.iter().map(|r| r.label as i64).collect();
    let target = Target::Classes(Tensor::from_ints(labels.as_slice(), &device));
    for (method, name) in [
        (CamMethod::Gradient(GradientCam::GradCam), "gradcam"),
        (CamMethod::EigenCam, "eigencam"),
    ] {
        let maps = explain(
            &model,
            images.clone(),
            method,
            &target,
            &ExplainConfig::new().with_upsample(true),
        );
        let road_config = RoadConfig::new()
            .with_percentiles(vec![30.0, 70.0])
            .with_removal(RoadRemoval::Rank);
        let scores = road(&model, images.clone(), maps.clone(), &target, &road_config);
        let drop: Vec<f64> = confidence_drop(&model, images.clone(), maps, &target, 0.2)
            .into_data()
            .convert::<f64>()
            .iter::<f64>()
            .collect();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let figures = &json["methods"][name];
        for (key, expected) in [
            ("road_combined", mean(&scores.combined)),
            (
                "road_most_relevant_first",
                mean(&scores.most_relevant_first),
            ),
            (
                "road_least_relevant_first",
                mean(&scores.least_relevant_first),
            ),
            ("confidence_drop", mean(&drop)),
        ] {
            let got = figures[key]["mean"].as_f64().unwrap();
            assert!(
                (got - expected).abs() < 1e-9,
                "{name} {key}: {got} vs {expected}"
            );
            let (low, high) = (
                figures[key]["low"].as_f64().unwrap(),
                figures[key]["high"].as_f64().unwrap(),
            );
            assert!(
                low <= got && got <= high,
                "{name} {key}: {low} {got} {high}"
            );
        }
    }

    // Bad values: one line, nothing loaded.
    for (flag, value, needle) in [
        (
            "--percentiles",
            "0,50",
            "--percentiles must be in (0, 100), got 0",
        ),
        (
            "--drop-fraction",
            "1.5",
            "--drop-fraction must be in (0, 1], got 1.5",
        ),
        ("--batch-size", "0", "--batch-size must be positive"),
    ] {
        let mut bad = args.clone();
        match bad.iter().position(|a| *a == flag) {
            Some(at) => bad[at + 1] = value,
            None => bad.extend([flag, value]),
        }
        assert_one_line_error(&cyborg(&bad), needle);
    }
}

#[test]
fn cam_writes_one_grid_per_rows_images() {
    let (dir, csv, checkpoint) = setup();
    let out = dir.path().join("cams");
    let mut args = vec!["cam"];
    args.extend(MODEL);
    args.extend([
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--manifest",
        csv.to_str().unwrap(),
        "--methods",
        "cam,gradcam,scorecam",
        "--rows",
        "4",
        "--tile-size",
        "32",
        "--out",
        out.to_str().unwrap(),
    ]);
    cyborg_ok(&args);
    let layout = GridConfig::new().with_tile_size(32).layout(4, 5);
    let first = image::open(out.join("cam-0001.png")).unwrap();
    assert_eq!(
        (first.width(), first.height()),
        (layout.width, layout.height)
    );
    let last = image::open(out.join("cam-0002.png")).unwrap();
    let layout = GridConfig::new().with_tile_size(32).layout(3, 5);
    assert_eq!((last.width(), last.height()), (layout.width, layout.height));
    assert!(!out.join("cam-0003.png").exists());

    // The methods new to pytorch-grad-cam parity, plain and with both smoothings: the same
    // grid, other pixels.
    let with = |folder: &str, extra: &[&'static str]| {
        let folder = dir.path().join(folder);
        let mut run: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let at = |run: &Vec<String>, flag: &str| run.iter().position(|a| a == flag).unwrap() + 1;
        let methods = at(&run, "--methods");
        run[methods] = "gradcamelementwise,eigengradcam,gradcam".into();
        let out_at = at(&run, "--out");
        run[out_at] = folder.to_str().unwrap().into();
        run.extend(extra.iter().map(|e| e.to_string()));
        cyborg_ok(&run.iter().map(String::as_str).collect::<Vec<_>>());
        image::open(folder.join("cam-0001.png")).unwrap().to_rgb8()
    };
    let plain = with("plain", &[]);
    let smooth = with("smooth", &["--eigen-smooth", "--aug-smooth"]);
    assert_eq!(plain.dimensions(), smooth.dimensions());
    // SESS around each method, and a FullGrad column: one column more, other pixels.
    let sess = with("sess", &["--sess", "--full-grad"]);
    let layout = GridConfig::new().with_tile_size(32).layout(4, 6);
    assert_eq!(sess.dimensions(), (layout.width, layout.height));
    assert_eq!((plain.width(), plain.height()), {
        let layout = GridConfig::new().with_tile_size(32).layout(4, 5);
        (layout.width, layout.height)
    });
    assert_ne!(plain.as_raw(), smooth.as_raw());

    // --resize-short: the inputs are shown as the model sees them, zoomed by the centre crop.
    let zoomed = dir.path().join("zoomed");
    let mut crop = args.clone();
    let at = crop
        .iter()
        .position(|a| *a == out.to_str().unwrap())
        .unwrap();
    crop[at] = zoomed.to_str().unwrap();
    crop.extend(["--resize-short", "24"]);
    cyborg_ok(&crop);
    let cropped = image::open(zoomed.join("cam-0001.png")).unwrap().to_rgb8();
    let first = first.to_rgb8();
    assert_eq!(cropped.dimensions(), first.dimensions());
    assert_ne!(cropped.as_raw(), first.as_raw());
    let too_small: Vec<&str> = crop[..crop.len() - 2]
        .iter()
        .copied()
        .chain(["--resize-short", "12"])
        .collect();
    assert_one_line_error(
        &cyborg(&too_small),
        "--resize-short 12 is smaller than --image-size 16",
    );
}

/// One line on stderr, starting with `cyborg:`, and exit status 1.
fn assert_one_line_error(output: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("cyborg: ") && stderr.contains(needle),
        "{stderr}"
    );
}

#[test]
fn bad_input_gives_one_line_and_a_non_zero_exit() {
    let (dir, csv, checkpoint) = setup();
    let csv_s = csv.to_str().unwrap();

    let missing = dir.path().join("absent.bpk");
    let mut args = vec!["eval"];
    args.extend(MODEL);
    args.extend(["--checkpoint", missing.to_str().unwrap(), "--test", csv_s]);
    assert_one_line_error(&cyborg(&args), "absent.bpk");

    let mut args = vec!["eval"];
    args.extend(MODEL);
    args.extend(["--test", csv_s]);
    assert_one_line_error(&cyborg(&args), "--checkpoint");

    let absent_csv = dir.path().join("nope.csv");
    let mut args = vec!["eval"];
    args.extend(MODEL);
    args.extend([
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--test",
        absent_csv.to_str().unwrap(),
    ]);
    assert_one_line_error(&cyborg(&args), "nope.csv");

    let mut args = vec!["cam"];
    args.extend(MODEL);
    args.extend([
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--manifest",
        csv_s,
        "--methods",
        "cam,gradcamm",
    ]);
    assert_flag_error(&cyborg(&args), "gradcamm", "gradcam++");

    // cyborg plot: a missing folder, a folder that is no run, a history that is not one.
    let absent_run = dir.path().join("no-run");
    assert_one_line_error(
        &cyborg(&["plot", "--run", absent_run.to_str().unwrap()]),
        "no such run folder",
    );
    let folder = dir.path().to_str().unwrap();
    assert_one_line_error(&cyborg(&["plot", "--run", folder]), "is not a run folder");
    std::fs::write(dir.path().join("history.csv"), "epoch,loss\n1,0.5\n").unwrap();
    assert_one_line_error(&cyborg(&["plot", "--run", folder]), "history.csv:1:");

    let output = cyborg(&["eval", "--model", "resnet101", "--test", csv_s]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("resnet101"));

    // Every enum-like flag: status 2, the bad value and the possible ones.
    for (flag, value, possible) in [
        ("--optimizer", "rmsprop", "sgd, adam"),
        ("--schedule", "linear", "step, cosine, constant"),
        ("--cam-class", "both", "label, predicted"),
        ("--loss", "rrr", "cyborg, masked, energy, l1"),
        ("--normalization", "zscore", "imagenet, none"),
        ("--backend", "tpu", "flex"),
    ] {
        // MODEL without its --normalization, which is one of the flags tried.
        let mut args = vec!["train"];
        args.extend(MODEL[..6].iter().chain(&MODEL[8..]));
        args.extend([
            "--train", csv_s, "--val", csv_s, "--out", "unused", flag, value,
        ]);
        assert_flag_error(&cyborg(&args), value, possible);
    }
    let mut args = vec!["eval"];
    args.extend(MODEL);
    args.extend(["--test", csv_s, "--auc-score", "roc"]);
    assert_flag_error(&cyborg(&args), "roc", "positive-logit, softmax");
    let mut args = vec!["cam"];
    args.extend(MODEL);
    args.extend(["--manifest", csv_s, "--target", "truth"]);
    assert_flag_error(&cyborg(&args), "truth", "label, predicted");
    let mut args = vec!["cam"];
    args.extend(MODEL);
    args.extend(["--manifest", csv_s, "--colormap", "magma"]);
    assert_flag_error(&cyborg(&args), "magma", "viridis, turbo, jet");
}

/// A flag's value clap refuses: exit status 2, naming the value and the possible ones.
fn assert_flag_error(output: &Output, value: &str, possible: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("invalid value '{value}'")) && stderr.contains(possible),
        "{stderr}"
    );
}

#[test]
fn train_writes_a_run_folder_with_val_and_test_metrics_and_resumes() {
    let (dir, csv, _) = setup();
    let out = dir.path().join("run");
    let csv_s = csv.to_str().unwrap();
    let out_s = out.to_str().unwrap();
    let mut args = vec!["train"];
    args.extend(MODEL);
    args.extend([
        "--train",
        csv_s,
        "--val",
        csv_s,
        "--test",
        csv_s,
        "--epochs",
        "2",
        "--batch-size",
        "4",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--schedule",
        "constant",
        "--out",
        out_s,
    ]);
    let output = cyborg_ok(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("epoch 2/2 valid"), "{stderr}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    for split in [&json["val"], &json["test"]["test"]] {
        for key in ["accuracy", "auc", "cam_mse"] {
            assert!(split[key].is_number(), "{key} in {split}");
        }
    }
    assert!(out.join("best.bpk").exists() && out.join("config.json").exists());
    let classes: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(out.join("classes.json")).unwrap()).unwrap();
    assert_eq!(classes, ["0", "1"]);
    // Per-image scores for each set, whose ROC curve has the AUC of metrics.json; the
    // pictures, drawn after training and again by cyborg plot.
    let scores = cyborg_train::read_scores(&out.join("scores/val.csv"), &classes).unwrap();
    assert_eq!(
        scores.images.len(),
        json["val"]["images"].as_u64().unwrap() as usize
    );
    let positives: Vec<bool> = scores.labels.iter().map(|&l| l == 1).collect();
    let curve = cyborg_train::roc_curve(&scores.values, &positives).unwrap();
    let area: f64 = curve
        .windows(2)
        .map(|w| (w[1][0] - w[0][0]) * (w[1][1] + w[0][1]) / 2.0)
        .sum();
    assert!(
        (area - json["val"]["auc"].as_f64().unwrap()).abs() < 1e-12,
        "{area} {json}"
    );
    let pictures = ["curves.png", "roc-test-test.png", "roc-val.png", "cams.png"];
    assert!(
        pictures.iter().all(|p| out.join(p).is_file()),
        "{pictures:?}"
    );
    let plotted = String::from_utf8(cyborg_ok(&["plot", "--run", out_s]).stdout).unwrap();
    assert_eq!(plotted.lines().count(), 4, "{plotted}");
    // cams.png: one row per annotated image of the test set (4 of 7), three columns.
    let cams = image::open(out.join("cams.png")).unwrap();
    let rows: Vec<cyborg_cam::GridRow> = (0..4)
        .map(|_| cyborg_cam::GridRow::new(cyborg_cam::RgbImage::new(16, 16), vec![None, None]))
        .collect();
    let expected = cyborg_cam::grid(
        &cyborg_cam::GridConfig::new().with_tile_size(128),
        &["input", "human", "CAM, predicted"],
        &rows,
    );
    assert_eq!((cams.width(), cams.height()), expected.dimensions());
    // The sets the run was evaluated on, with absolute paths.
    let set = std::fs::read_to_string(out.join("sets/test-test.csv")).unwrap();
    assert_eq!(set.lines().count(), 8, "{set}");
    assert!(set.lines().nth(1).unwrap().starts_with('/'), "{set}");
    // cyborg predict: one row per image, probabilities that sum to 1, and the accuracy of the
    // predicted classes is the test accuracy of metrics.json (the manifest's images, labels
    // i % 2).
    let images: Vec<String> = (0..7)
        .map(|i| dir.path().join(format!("{i}.png")).display().to_string())
        .collect();
    let mut predict = vec!["predict", "--run", out_s];
    predict.extend(images.iter().map(String::as_str));
    let csv_out = String::from_utf8(cyborg_ok(&predict).stdout).unwrap();
    let rows: Vec<Vec<&str>> = csv_out.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0], ["image", "predicted", "0", "1"]);
    assert_eq!(rows.len(), 8, "{csv_out}");
    let mut correct = 0;
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row[0], images[i]);
        let p: Vec<f64> = row[2..].iter().map(|v| v.parse().unwrap()).collect();
        assert!((p[0] + p[1] - 1.0).abs() < 2e-6, "{row:?}");
        let predicted = if p[1] > p[0] { "1" } else { "0" };
        assert_eq!(row[1], predicted, "{row:?}");
        correct += usize::from(row[1] == (i % 2).to_string());
    }
    let accuracy = json["test"]["test"]["accuracy"].as_f64().unwrap();
    assert_eq!(correct as f64 / 7.0, accuracy);
    // To a file, through a temporary one.
    let predictions = dir.path().join("predictions.csv");
    let mut to_file = predict.clone();
    to_file.extend(["--out", predictions.to_str().unwrap()]);
    cyborg_ok(&to_file);
    assert_eq!(std::fs::read_to_string(&predictions).unwrap(), csv_out);
    // With --cams: the same rows, and a picture per image of its input and CAM.
    let cams = dir.path().join("prediction-cams");
    let mut with_cams = predict.clone();
    with_cams.extend(["--cams", cams.to_str().unwrap()]);
    let drawn = String::from_utf8(cyborg_ok(&with_cams).stdout).unwrap();
    let layout = GridConfig::new().layout(1, 2);
    for (line, plain) in drawn.lines().zip(csv_out.lines()).skip(1) {
        let (rest, picture) = line.rsplit_once(',').unwrap();
        assert_eq!(rest, plain);
        let picture = image::open(picture).unwrap();
        assert_eq!(
            (picture.width(), picture.height()),
            (layout.width, layout.height)
        );
    }
    assert_eq!(drawn.lines().next().unwrap(), "image,predicted,0,1,cam");
    assert_eq!(std::fs::read_dir(&cams).unwrap().count(), 7);
    // Bad input: one line, status 1.
    let absent = dir.path().join("no-run");
    assert_one_line_error(
        &cyborg(&["predict", "--run", absent.to_str().unwrap(), &images[0]]),
        "no such run folder",
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert_one_line_error(
        &cyborg(&["predict", "--run", out_s, empty.to_str().unwrap()]),
        "no png, jpg, jpeg or bmp file",
    );
    let broken = dir.path().join("broken.png");
    std::fs::write(&broken, "not a picture").unwrap();
    assert_one_line_error(
        &cyborg(&["predict", "--run", out_s, broken.to_str().unwrap()]),
        "broken.png",
    );
    // cyborg export: the weights with PyTorch's names load back into the model and give the
    // best model's logits; an existing file is kept unless --force.
    let exported = dir.path().join("model.safetensors");
    let exported_s = exported.to_str().unwrap();
    let said = cyborg_ok(&["export", "--run", out_s, "--to", exported_s]).stdout;
    let said = String::from_utf8(said).unwrap();
    assert!(said.contains("no PyTorch reference"), "{said}");
    let device = Device::flex();
    let fresh = || SmallCnnConfig::new(2).with_channels(1).init(&device);
    let best_model = load_checkpoint(fresh(), out.join("best.bpk")).unwrap();
    let (reloaded, _) =
        load_pytorch_weights(fresh(), &exported, &ImportOptions::default()).unwrap();
    let probe = Tensor::<4>::random([2, 1, 16, 16], burn::tensor::Distribution::Default, &device);
    assert_eq!(
        reloaded.forward(probe.clone()).into_data(),
        best_model.forward(probe).into_data()
    );
    let before = std::fs::read(&exported).unwrap();
    assert_one_line_error(
        &cyborg(&["export", "--run", out_s, "--to", exported_s]),
        "already exists",
    );
    assert_eq!(std::fs::read(&exported).unwrap(), before);
    cyborg_ok(&["export", "--run", out_s, "--to", exported_s, "--force"]);
    let pth = dir.path().join("model.pth");
    assert_one_line_error(
        &cyborg(&["export", "--run", out_s, "--to", pth.to_str().unwrap()]),
        "*.safetensors",
    );
    assert_one_line_error(
        &cyborg(&[
            "export",
            "--run",
            absent.to_str().unwrap(),
            "--to",
            exported_s,
        ]),
        "no such run folder",
    );
    // The best model evaluates with the run's class order.
    let best = out.join("best.bpk");
    let mut eval = vec!["eval"];
    eval.extend(MODEL);
    eval.extend(["--checkpoint", best.to_str().unwrap(), "--test", csv_s]);
    let with_flags = cyborg_ok(&eval);

    // model.json describes the model: --run DIR needs no model flag, and gives the same table.
    let description: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("model.json")).unwrap()).unwrap();
    assert_eq!(
        description,
        serde_json::json!({
            "architecture": "small-cnn",
            "num_classes": 2,
            "classes": ["0", "1"],
            "channels": 1,
            "image_size": 16,
            "normalization": "none",
            "resize_short": null,
            "torchvision_weights": false,
        })
    );
    let with_run = cyborg_ok(&["eval", "--run", out_s, "--test", csv_s]);
    assert_eq!(with_run.stdout, with_flags.stdout);
    let cams = dir.path().join("cams-run");
    let cams_s = cams.to_str().unwrap();
    cyborg_ok(&[
        "cam",
        "--run",
        out_s,
        "--manifest",
        csv_s,
        "--out",
        cams_s,
        "--limit",
        "2",
    ]);
    assert!(cams.join("cam-0001.png").exists());
    let not_a_run = dir.path().to_str().unwrap();
    assert_one_line_error(
        &cyborg(&["eval", "--run", not_a_run, "--test", csv_s]),
        "model.json",
    );
    let output = cyborg(&[
        "eval", "--run", out_s, "--model", "resnet18", "--test", csv_s,
    ]);
    assert_eq!(output.status.code(), Some(2));

    // Resume up to 3 epochs: only the third runs.
    let mut resumed: Vec<&str> = args.clone();
    let epochs = resumed.iter().position(|a| *a == "--epochs").unwrap() + 1;
    resumed[epochs] = "3";
    resumed.push("--resume");
    let output = cyborg_ok(&resumed);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("epoch 3/3 valid") && !stderr.contains("epoch 1/3"),
        "{stderr}"
    );

    // The masked loss instead of CYBORG, recorded in config.json.
    let masked_out = dir.path().join("masked");
    let mut masked = args.clone();
    let last = masked.len() - 1;
    masked[last] = masked_out.to_str().unwrap();
    masked.extend(["--masked", "0.5"]);
    cyborg_ok(&masked);
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(masked_out.join("config.json")).unwrap())
            .unwrap();
    assert_eq!(config["loss"]["Masked"]["lambda"], 0.5, "{config}");

    // The Energy loss by name, with its weight.
    let energy_out = dir.path().join("energy");
    let mut energy = args.clone();
    energy[last] = energy_out.to_str().unwrap();
    energy.extend(["--loss", "energy", "--lambda", "0.25"]);
    cyborg_ok(&energy);
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(energy_out.join("config.json")).unwrap())
            .unwrap();
    assert_eq!(config["loss"]["Energy"]["lambda"], 0.25, "{config}");

    // A flag of another loss is refused, not ignored.
    for (extra, needle) in [
        (
            &["--loss", "l1", "--alpha", "0.3"][..],
            "--alpha and --cam-class apply to",
        ),
        (
            &["--lambda", "2"][..],
            "--lambda applies to --loss masked, energy or l1",
        ),
    ] {
        let mut bad = args.clone();
        bad.extend(extra);
        assert_one_line_error(&cyborg(&bad), needle);
    }

    // A bad recipe value is one line.
    for (flag, value, needle) in [
        ("--alpha", "1.5", "alpha"),
        ("--masked", "-1", "lambda must be finite and >= 0, got -1"),
        ("--devices", "2", "the flex backend has one device"),
    ] {
        let mut bad = args.clone();
        let pair = format!("{flag}={value}");
        bad.push(&pair);
        assert_one_line_error(&cyborg(&bad), needle);
    }
}

#[test]
fn bench_measures_each_workload_in_a_child_and_tables_them_with_pytorchs() {
    let dir = tempfile::tempdir().unwrap();
    let listed = cyborg(&["bench", "--list", "--only", "step/resnet18"]);
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        "step/resnet18/ce\nstep/resnet18/cyborg\n"
    );
    // A PyTorch measurement as scripts/bench_backends.py writes it (extra fields ignored).
    let pytorch = dir.path().join("pytorch.json");
    std::fs::write(
        &pytorch,
        r#"[{"workload": "loss/c512/g7/ce", "backend": "pytorch-cpu", "threads": 2,
            "first_ms": 9.0, "median_ms": 4.0, "peak_mib": 12.5, "batch": 64,
            "iterations": 2, "loss": 0.69, "torch": "2.9.0"},
           {"workload": "loss/c512/g7/cyborg-official", "backend": "pytorch-cpu",
            "threads": 2, "first_ms": 30.0, "median_ms": 20.0, "peak_mib": 13.0,
            "batch": 64, "iterations": 2}]"#,
    )
    .unwrap();
    let json = dir.path().join("bench.json");
    let out = cyborg_ok(&[
        "bench",
        "--only",
        "loss/c512/g7",
        "--iters",
        "2",
        "--threads",
        "1",
        "--with",
        pytorch.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Threads: flex 1, pytorch-cpu 2."),
        "{stdout}"
    );
    assert!(
        stdout.contains("| median time (peak memory) | flex | pytorch-cpu |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| loss/c512/g7/cyborg-official | — | 5.00× |"),
        "{stdout}"
    );
    let written: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let names: Vec<&str> = written
        .iter()
        .map(|m| m["workload"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "loss/c512/g7/ce",
            "loss/c512/g7/cyborg",
            "loss/c512/g7/ce",
            "loss/c512/g7/cyborg-official"
        ]
    );
    for m in &written[..2] {
        assert_eq!(
            (m["backend"].as_str(), m["batch"].as_u64()),
            (Some("flex"), Some(64))
        );
        assert!(m["median_ms"].as_f64().unwrap() > 0.0);
        assert_eq!(m["iterations"], 2);
        assert_eq!(m["threads"], 1);
    }

    // --report tables earlier files without measuring: here the one just written, with a
    // gradient-checkpointing column beside it.
    let ckpt = dir.path().join("ckpt.json");
    cyborg_ok(&[
        "bench",
        "--backends",
        "flex+ckpt",
        "--only",
        "loss/c512/g7/ce",
        "--iters",
        "1",
        "--json",
        ckpt.to_str().unwrap(),
    ]);
    let out = cyborg_ok(&[
        "bench",
        "--report",
        "--with",
        json.to_str().unwrap(),
        "--with",
        ckpt.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("| median time (peak memory) | flex | pytorch-cpu | flex+ckpt |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| loss/c512/g7/cyborg-official | — | 5.00× | — |"),
        "{stdout}"
    );

    assert_one_line_error(
        &cyborg(&["bench", "--backends", "tpu", "--only", "loss/c512/g7/ce"]),
        "\"tpu\" is not compiled in",
    );
    assert_one_line_error(
        &cyborg(&["bench", "--only", "nothing"]),
        "no workload matches",
    );
    // A missing PyTorch file is reported before anything is measured.
    let missing = dir.path().join("missing.json");
    let out = cyborg(&["bench", "--pytorch", missing.to_str().unwrap()]);
    assert_one_line_error(&out, "missing.json");
}

#[test]
fn maps_draws_boxes_and_fixations_that_train_reads() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_dataset(dir.path());
    let csv_s = csv.to_str().unwrap();
    // Boxes for two images, one of them unknown to the manifest; VOC for one.
    let boxes = dir.path().join("boxes.csv");
    std::fs::write(
        &boxes,
        "image,x0,y0,x1,y1,label\n1.png,0,0,8,4,square\n9.png,0,0,1,1,\n",
    )
    .unwrap();
    let out = dir.path().join("boxed");
    let output = cyborg_ok(&[
        "maps",
        "--manifest",
        csv_s,
        "--boxes",
        boxes.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("1 of 7 images got a map"), "{stdout}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("9.png"));
    let records = read_manifest(out.join("test.csv"), None).unwrap();
    let map = records.items[1].saliency.clone().unwrap();
    let npy = cyborg_data::read_npy_map(&map).unwrap();
    assert_eq!(npy.size, [16, 16]);
    assert_eq!(npy.values.iter().sum::<f32>(), 32.0, "an 8×4 box");
    // The other images keep their own maps.
    assert_eq!(
        records.items[0]
            .saliency
            .as_deref()
            .and_then(Path::file_name),
        Some(std::ffi::OsStr::new("0_map.png"))
    );

    let voc = dir.path().join("voc");
    std::fs::create_dir(&voc).unwrap();
    std::fs::write(
        voc.join("3.xml"),
        "<annotation><filename>3.png</filename><size><width>16</width><height>16</height>\
         </size><object><name>square</name><bndbox><xmin>1</xmin><ymin>1</ymin>\
         <xmax>4</xmax><ymax>4</ymax></bndbox></object></annotation>",
    )
    .unwrap();
    let gaze = dir.path().join("gaze.csv");
    std::fs::write(&gaze, "image,x,y,duration\n5.png,8,8,0.3\n5.png,2,2,0.1\n").unwrap();
    for (flag, path, name) in [("--voc", &voc, "voc"), ("--fixations", &gaze, "gaze")] {
        let out = dir.path().join(name);
        let mut args = vec!["maps", "--manifest", csv_s, flag, path.to_str().unwrap()];
        args.extend(["--sigma", "2", "--out", out.to_str().unwrap()]);
        let output = cyborg_ok(&args);
        assert!(String::from_utf8_lossy(&output.stdout).starts_with("1 of 7 images got a map"));
    }

    // Bad input: one line, status 1, naming the file and line.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "image,x0,y0,x1,y1\n1.png,0,0,wide,4\n").unwrap();
    let out_s = dir.path().join("bad-out");
    let output = cyborg(&[
        "maps",
        "--manifest",
        csv_s,
        "--boxes",
        bad.to_str().unwrap(),
        "--out",
        out_s.to_str().unwrap(),
    ]);
    assert_one_line_error(&output, "bad.csv:2: `x1` must be a finite number");
    let output = cyborg(&[
        "maps",
        "--manifest",
        csv_s,
        "--out",
        out_s.to_str().unwrap(),
    ]);
    assert_one_line_error(&output, "give one of --boxes, --voc or --fixations");
}

#[test]
fn bench_epoch_times_whole_epochs_and_adds_to_its_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let json = dir.path().join("epoch.json");
    let args = |epochs: &'static str| {
        vec![
            "bench-epoch".to_string(),
            "--model".into(),
            "small-cnn".into(),
            "--data".into(),
            data.to_str().unwrap().into(),
            "--images".into(),
            "6".into(),
            "--batch-size".into(),
            "4".into(),
            "--workers".into(),
            "1".into(),
            "--epochs".into(),
            epochs.into(),
            "--json".into(),
            json.to_str().unwrap().into(),
        ]
    };
    for epochs in ["2", "1"] {
        let args = args(epochs);
        let out = cyborg_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.starts_with("epoch/small-cnn/cyborg flex: ") && stdout.contains("kernels "),
            "{stdout}"
        );
    }
    let written: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(written.len(), 2);
    assert_eq!(written[0]["epoch_s"].as_array().unwrap().len(), 2);
    assert_eq!(written[1]["epoch_s"].as_array().unwrap().len(), 1);
    for m in &written {
        assert_eq!(
            (m["images"].as_u64(), m["batch"].as_u64()),
            (Some(6), Some(4))
        );
        assert!(m["images_per_second"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(std::fs::read_dir(data.join("images")).unwrap().count(), 6);

    assert_one_line_error(
        &cyborg(&["bench-epoch", "--model", "vgg", "--data", "x"]),
        "--model \"vgg\": one of small-cnn, resnet18, densenet121",
    );
    // Someone's own data folder is not written to.
    let theirs = dir.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("train.csv"), "image,saliency,label\n").unwrap();
    assert_one_line_error(
        &cyborg(&["bench-epoch", "--data", theirs.to_str().unwrap()]),
        "not written by the epoch benchmark",
    );
}

/// ViT-S/16 (patch-mean head) trains with CYBORG through `cyborg train`, and its run is
/// explained by `cyborg cam` (Finer-CAM's target) on the 2×2 patch grid of 32-pixel images; a
/// size that is not a
/// multiple of the patches is one line.
#[test]
fn train_and_cam_run_the_vit() {
    let (dir, csv, _) = setup();
    let out = dir.path().join("vit");
    let (csv_s, out_s) = (csv.to_str().unwrap(), out.to_str().unwrap());
    let model = [
        "--model",
        "vit-s16",
        "--channels",
        "1",
        "--normalization",
        "none",
    ];
    let mut args = vec!["train"];
    args.extend(model);
    args.extend([
        "--image-size",
        "32",
        "--train",
        csv_s,
        "--val",
        csv_s,
        "--epochs",
        "1",
        "--batch-size",
        "4",
        "--out",
        out_s,
    ]);
    let output = cyborg_ok(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("epoch 1/1 valid"), "{stderr}");
    let described: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("model.json")).unwrap()).unwrap();
    assert_eq!(described["architecture"], "vit-s16");
    assert_eq!(described["image_size"], 32);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let cam_mse = json["val"]["cam_mse"].as_f64().expect("cam_mse");
    assert!(cam_mse.is_finite() && cam_mse >= 0.0, "{json}");
    let cams = dir.path().join("cams");
    cyborg_ok(&[
        "cam",
        "--run",
        out_s,
        "--manifest",
        csv_s,
        "--methods",
        "cam,gradcam,fem",
        "--finer",
        "--out",
        cams.to_str().unwrap(),
    ]);
    assert!(std::fs::read_dir(&cams).unwrap().count() > 0);

    let mut wrong = vec!["train"];
    wrong.extend(model);
    wrong.extend([
        "--image-size",
        "28",
        "--train",
        csv_s,
        "--val",
        csv_s,
        "--out",
        out_s,
    ]);
    assert_one_line_error(
        &cyborg(&wrong),
        "--image-size 28 is not a multiple of vit-s16's 16-pixel patches",
    );
}
