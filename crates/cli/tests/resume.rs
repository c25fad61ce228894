//! `cyborg train` killed with SIGKILL and resumed ends exactly where the uninterrupted run
//! ends: the same metrics.json, byte for byte, whether the kill lands between epochs, in the
//! middle of one, or while a checkpoint is written; with the paper's recipe (SGD with
//! momentum, step schedule) and with Adam, on ten classes with a batch-norm model. Also: one
//! run per folder (a second is refused, a dead run's lock is taken over) and same-named test
//! sets reported apart.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SIZE: u32 = 16;
const CLASSES: u32 = 10;

/// `per_class` images of each of ten classes: class `c` has a bright 4×4 square at its own
/// place among ten, over a texture that varies with the image; the human map marks the
/// square.
fn write_split(dir: &Path, name: &str, per_class: u32) -> PathBuf {
    let mut csv = String::from("image,saliency,label\n");
    for i in 0..per_class * CLASSES {
        let label = i % CLASSES;
        let (ox, oy) = (1 + (label % 5) * 3, 2 + (label / 5) * 8);
        let inside = move |x: u32, y: u32| x >= ox && x < ox + 4 && y >= oy && y < oy + 4;
        let image = format!("{name}_{i}.png");
        image::GrayImage::from_fn(SIZE, SIZE, |x, y| {
            let texture = ((x * 7 + y * 13 + i * 29) % 97) as u8;
            image::Luma([if inside(x, y) {
                160 + texture / 2
            } else {
                texture
            }])
        })
        .save(dir.join(&image))
        .unwrap();
        let map = format!("{name}_{i}_map.png");
        image::GrayImage::from_fn(SIZE, SIZE, |x, y| image::Luma([255 * inside(x, y) as u8]))
            .save(dir.join(&map))
            .unwrap();
        csv.push_str(&format!("{image},{map},{label}\n"));
    }
    let path = dir.join(format!("{name}.csv"));
    std::fs::write(&path, csv).unwrap();
    path
}

/// The model: the small CNN (batch norm in every layer) on 16×16 gray images, ten classes.
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
    "10",
];

/// Epochs of every run.
const EPOCHS: usize = 4;

/// The arguments of a run into `out` on the data in `data`; `adam` swaps the paper's SGD for
/// Adam, everything else stays the default recipe but the epochs and the batch size.
fn train_args(data: &Path, out: &Path, adam: bool) -> Vec<String> {
    train_args_with(data, out, adam, &[])
}

/// [`train_args`] and `extra` flags.
fn train_args_with(data: &Path, out: &Path, adam: bool, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = std::iter::once("train")
        .chain(MODEL)
        .chain([
            "--epochs",
            &EPOCHS.to_string(),
            "--batch-size",
            "8",
            "--seed",
            "5",
        ])
        .map(String::from)
        .collect();
    for (flag, file) in [("--train", "train"), ("--val", "valid"), ("--test", "test")] {
        args.push(flag.into());
        args.push(data.join(format!("{file}.csv")).display().to_string());
    }
    args.push("--out".into());
    args.push(out.display().to_string());
    if adam {
        args.extend(["--optimizer", "adam", "--lr", "0.002"].map(String::from));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn cyborg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cyborg"))
}

fn run_ok(args: &[String]) -> Output {
    let output = cyborg().args(args).output().expect("run cyborg");
    assert!(
        output.status.success(),
        "cyborg {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn spawn(args: &[String]) -> Child {
    cyborg()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cyborg")
}

/// Starts a run and kills it (SIGKILL) as soon as `ready` holds of its folder; panics if the
/// run ended before that.
fn kill_when(args: &[String], out: &Path, ready: impl Fn(&Path) -> bool) {
    let mut child = spawn(args);
    let start = Instant::now();
    while !ready(out) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before the kill point"
        );
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "kill point not reached"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

fn checkpoint(out: &Path, kind: &str, epoch: usize) -> PathBuf {
    out.join("checkpoint").join(format!("{kind}-{epoch}.bpk"))
}

/// Where a kill lands.
#[derive(Clone, Copy, Debug)]
enum KillPoint {
    /// All three files of epoch 2's checkpoint are written.
    BetweenEpochs,
    /// Epoch 3 has logged training metrics, no checkpoint of it yet.
    MidEpoch,
    /// Epoch 2's model file is written; its optimiser and scheduler files may not be. To
    /// leave that state whatever the timing, the scheduler file is removed after the kill
    /// (each file is written atomically; the three are not).
    WhileCheckpointing,
}

fn kill_and_resume(
    data: &Path,
    out: &Path,
    adam: bool,
    extra: &[&str],
    point: KillPoint,
) -> Vec<u8> {
    let args = train_args_with(data, out, adam, extra);
    match point {
        KillPoint::BetweenEpochs => kill_when(&args, out, |out| {
            ["model", "optim", "scheduler"]
                .iter()
                .all(|kind| checkpoint(out, kind, 2).exists())
        }),
        KillPoint::MidEpoch => kill_when(&args, out, |out| out.join("train/epoch-3").exists()),
        KillPoint::WhileCheckpointing => {
            kill_when(&args, out, |out| checkpoint(out, "model", 2).exists());
            let _ = std::fs::remove_file(checkpoint(out, "scheduler", 2));
        }
    }
    assert!(
        !out.join("metrics.json").exists(),
        "{point:?}: killed too late"
    );
    let mut resumed = args;
    resumed.push("--resume".into());
    run_ok(&resumed);
    std::fs::read(out.join("metrics.json")).unwrap()
}

fn data() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_split(dir.path(), "train", 12);
    write_split(dir.path(), "valid", 3);
    write_split(dir.path(), "test", 3);
    dir
}

fn resumed_runs_equal_the_uninterrupted_one(adam: bool, extra: &[&str], points: &[KillPoint]) {
    let dir = data();
    let whole = dir.path().join("whole");
    let log = run_ok(&train_args_with(dir.path(), &whole, adam, extra)).stderr;
    let expected = std::fs::read(whole.join("metrics.json")).unwrap();
    let metrics: serde_json::Value = serde_json::from_slice(&expected).unwrap();
    // It learned something, so a collapse after resuming would show.
    assert!(
        metrics["val"]["accuracy"].as_f64().unwrap() > 0.2,
        "{metrics}\n{}",
        String::from_utf8_lossy(&log)
    );
    let history = history_without_seconds(&whole);
    assert_eq!(history.len(), 1 + 2 * EPOCHS, "{history:?}");
    assert!(whole.join("curves.png").is_file());
    for (i, &point) in points.iter().enumerate() {
        let out = dir.path().join(format!("killed{i}"));
        let got = kill_and_resume(dir.path(), &out, adam, extra, point);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected),
            "{point:?}, adam {adam}"
        );
        // history.csv has each epoch once, with the uninterrupted run's values.
        assert_eq!(
            history_without_seconds(&out),
            history,
            "{point:?}, adam {adam}"
        );
    }
}

/// The lines of a run's history.csv without the last column (the seconds each pass took).
fn history_without_seconds(run: &Path) -> Vec<String> {
    std::fs::read_to_string(run.join("history.csv"))
        .unwrap()
        .lines()
        .map(|line| line.rsplit_once(',').unwrap().0.to_string())
        .collect()
}

#[test]
fn sgd_runs_killed_anywhere_resume_exactly() {
    resumed_runs_equal_the_uninterrupted_one(
        false,
        &[],
        &[
            KillPoint::BetweenEpochs,
            KillPoint::MidEpoch,
            KillPoint::WhileCheckpointing,
        ],
    );
}

#[test]
fn adam_runs_killed_anywhere_resume_exactly() {
    resumed_runs_equal_the_uninterrupted_one(true, &[], &[KillPoint::MidEpoch]);
}

#[test]
fn augmented_runs_resume_exactly() {
    // --augment takes effect: the recipe records it, and training sees other images.
    let dir = data();
    let (plain, augmented) = (dir.path().join("plain"), dir.path().join("augmented"));
    run_ok(&train_args(dir.path(), &plain, true));
    run_ok(&train_args_with(
        dir.path(),
        &augmented,
        true,
        &["--augment", "--min-crop", "0.7"],
    ));
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(augmented.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["augment"]["min_crop"], 0.7, "{config}");
    assert_eq!(config["augment"]["flip_probability"], 0.5, "{config}");
    assert_ne!(
        history_without_seconds(&plain)[1],
        history_without_seconds(&augmented)[1]
    );
    // Flips and crops drawn from the seed, the epoch and the image: the resumed epochs see
    // the uninterrupted run's draws.
    resumed_runs_equal_the_uninterrupted_one(
        true,
        &["--augment", "--min-crop", "0.7"],
        &[KillPoint::MidEpoch],
    );
}

#[test]
fn a_second_run_on_a_held_folder_is_refused_and_a_dead_runs_lock_taken_over() {
    let dir = data();
    let out = dir.path().join("run");
    let args = train_args(dir.path(), &out, false);
    let mut first = spawn(&args);
    let lock = out.join("run.lock");
    let start = Instant::now();
    while std::fs::read_to_string(&lock).map_or(true, |text| text.is_empty()) {
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first run ended early"
        );
        assert!(start.elapsed() < Duration::from_secs(600));
        std::thread::sleep(Duration::from_millis(2));
    }
    let second = cyborg().args(&args).output().unwrap();
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(second.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("in use by another run") && stderr.contains(&format!("pid {}", first.id())),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    // The killed run's lock file still names it; the next run takes it over and says so.
    let mut resumed = args.clone();
    resumed.push("--resume".into());
    let output = run_ok(&resumed);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("taking over the lock") && stderr.contains(&format!("pid {}", first.id())),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap(),
        "",
        "released at the end"
    );
}

#[test]
fn same_named_test_sets_are_reported_apart() {
    let dir = data();
    for sub in ["a", "b"] {
        let folder = dir.path().join(sub);
        std::fs::create_dir(&folder).unwrap();
        write_split(&folder, "test", 1 + (sub == "b") as u32);
    }
    let out = dir.path().join("run");
    let mut args = train_args(dir.path(), &out, true);
    let epochs = args.iter().position(|a| a == "--epochs").unwrap() + 1;
    args[epochs] = "1".into();
    for sub in ["a", "b"] {
        args.push("--test".into());
        args.push(dir.path().join(sub).join("test.csv").display().to_string());
    }
    run_ok(&args);
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let tests = metrics["test"].as_object().unwrap();
    let mut names: Vec<&str> = tests.keys().map(String::as_str).collect();
    names.sort_unstable();
    // The data folder's own test.csv, a/test.csv and b/test.csv: three sets, three names.
    let base = dir.path().file_name().unwrap().to_str().unwrap();
    let mut expected = [
        "a/test".to_string(),
        "b/test".into(),
        format!("{base}/test"),
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);
    assert_eq!(tests["a/test"]["images"], 10);
    assert_eq!(tests["b/test"]["images"], 20);

    // The same file twice is refused before training.
    let twice: Vec<String> = std::iter::once("eval")
        .chain(MODEL)
        .map(String::from)
        .chain([
            "--checkpoint".into(),
            out.join("best.bpk").display().to_string(),
            "--test".into(),
            dir.path().join("a/test.csv").display().to_string(),
            "--test".into(),
            dir.path().join("a/../a/test.csv").display().to_string(),
        ])
        .collect();
    let output = cyborg().args(&twice).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("given twice"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
