//! Training end to end on a small manifest: the run folder's files, the best model reloads,
//! the same seed gives the same run, and `resume` continues a stopped run where it ended.

use burn::prelude::*;
use cyborg_models::{Backbone, SmallCnnConfig};
use std::sync::{Arc, Mutex};

use cyborg_train::{
    HISTORY_FILE, HistoryRow, Run, TrainingConfig, TrainingProgress, last_complete_checkpoint,
    read_history, train,
};

mod common;

use common::{ONE_RUN_AT_A_TIME, SIZE, data, recipe, write_split};

/// What a [`TrainingProgress`] was told, in order.
#[derive(Debug, Clone, PartialEq)]
enum Event {
    Start(usize, usize),
    Split(usize, String, usize),
    Update(usize),
    End(HistoryRow),
}

/// Records every call.
struct Recorder(Arc<Mutex<Vec<Event>>>);

impl TrainingProgress for Recorder {
    fn start(&mut self, first: usize, last: usize) {
        self.0.lock().unwrap().push(Event::Start(first, last));
    }

    fn start_split(&mut self, epoch: usize, split: &str, items: usize) {
        let event = Event::Split(epoch, split.to_string(), items);
        self.0.lock().unwrap().push(event);
    }

    fn update(&mut self, done: usize) {
        self.0.lock().unwrap().push(Event::Update(done));
    }

    fn end_split(&mut self, summary: &str, row: &HistoryRow) {
        assert!(summary.starts_with(&format!("epoch {}/3 {}", row.epoch, row.split)));
        self.0.lock().unwrap().push(Event::End(row.clone()));
    }
}

fn build(device: &Device) -> Backbone {
    Backbone::SmallCnn(SmallCnnConfig::new(2).with_width(4).init(device))
}

fn probe(device: &Device) -> Tensor<4> {
    Tensor::<4>::ones([2, 1, SIZE as usize, SIZE as usize], device).mul_scalar(0.3)
}

fn outputs(model: &Backbone) -> Vec<f32> {
    let device = Device::flex();
    model
        .forward(probe(&device))
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap()
}

#[test]
fn a_run_writes_its_folder_reloads_its_best_model_and_is_reproducible() {
    let _guard = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    write_split(dir.path(), "train", 16);
    write_split(dir.path(), "valid", 8);
    let device = Device::flex();
    let out = dir.path().join("run");
    let run = train(
        build,
        &recipe(3),
        data(dir.path()),
        &out,
        false,
        std::slice::from_ref(&device),
    )
    .unwrap();
    assert!((1..=3).contains(&run.best_epoch));
    assert!((0.0..=1.0).contains(&run.best_accuracy));
    for file in [
        "config.json",
        "best.bpk",
        "best.json",
        "checkpoint/model-3.bpk",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    let config: TrainingConfig =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config.epochs, 3);
    let best: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("best.json")).unwrap()).unwrap();
    assert_eq!(best["epoch"], run.best_epoch);

    let reloaded = build(&device)
        .load_checkpoint(out.join("best.bpk"))
        .unwrap();
    assert_eq!(outputs(&reloaded), outputs(&run.model));

    // The same run again, its progress recorded.
    let events = Arc::new(Mutex::new(Vec::new()));
    // One data-loading thread here, DEFAULT_WORKERS (2) above: the same batches in the same
    // order, so the same model.
    let again = Run::new(recipe(3), dir.path().join("again"))
        .on(device.clone())
        .workers(1)
        .progress(Recorder(events.clone()))
        .train(build, data(dir.path()))
        .unwrap();
    let events = events.lock().unwrap().clone();
    assert_eq!(events[0], Event::Start(1, 3));
    let ends: Vec<&HistoryRow> = events
        .iter()
        .filter_map(|e| match e {
            Event::End(row) => Some(row),
            _ => None,
        })
        .collect();
    let history = read_history(dir.path().join("again").join(HISTORY_FILE)).unwrap();
    assert_eq!(ends.len(), 6, "train and valid for each of 3 epochs");
    assert_eq!(
        ends,
        history.iter().collect::<Vec<_>>(),
        "the rows history.csv records"
    );
    let mut items = 0;
    for event in &events[1..] {
        match event {
            Event::Split(epoch, split, n) => {
                assert!((1..=3).contains(epoch) && ["train", "valid"].contains(&split.as_str()));
                items = *n;
                assert_eq!(items, if split == "train" { 16 } else { 8 });
            }
            Event::Update(done) => assert!(*done <= items, "{done} of {items}"),
            _ => {}
        }
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Update(d) if *d == 16))
    );
    assert_eq!(again.best_epoch, run.best_epoch);
    assert_eq!(again.best_accuracy, run.best_accuracy);
    assert_eq!(
        outputs(&again.model),
        outputs(&run.model),
        "same seed, same model"
    );
}

#[test]
fn resume_continues_from_the_last_complete_checkpoint() {
    let _guard = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    write_split(dir.path(), "train", 12);
    write_split(dir.path(), "valid", 6);
    let device = Device::flex();
    let out = dir.path().join("run");
    train(
        build,
        &recipe(2),
        data(dir.path()),
        &out,
        false,
        std::slice::from_ref(&device),
    )
    .unwrap();
    assert_eq!(last_complete_checkpoint(&out), Some(2));
    // Resuming with another recipe would not continue the same run: refused, nothing lost.
    let error = train(
        build,
        &recipe(3).with_learning_rate(0.5).with_batch_size(2),
        data(dir.path()),
        &out,
        true,
        std::slice::from_ref(&device),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("another batch_size, learning_rate than the run started with"),
        "{error}"
    );
    assert_eq!(last_complete_checkpoint(&out), Some(2));
    // "Killed" after epoch 2: resume up to 3 epochs in all.
    let run = train(
        build,
        &recipe(3),
        data(dir.path()),
        &out,
        true,
        std::slice::from_ref(&device),
    )
    .unwrap();
    assert_eq!(last_complete_checkpoint(&out), Some(3));
    assert!((1..=3).contains(&run.best_epoch));
    assert!((0.0..=1.0).contains(&run.best_accuracy));
    assert!(
        out.join(format!("checkpoint/model-{}.bpk", run.best_epoch))
            .exists(),
        "the best epoch's checkpoint survives the resume"
    );
    // The first two epochs' validation logs are still there (nothing was redone).
    assert!(out.join("valid/epoch-1").exists() && out.join("valid/epoch-3").exists());

    // A kill while epoch 3's model was written leaves it truncated: resuming skips it for the
    // other checkpoint kept (the best epoch's) if there is one, and otherwise refuses rather
    // than starting over.
    std::fs::write(out.join("checkpoint/model-3.bpk"), b"cut short").unwrap();
    let kept = (1..3).find(|e| out.join(format!("checkpoint/model-{e}.bpk")).exists());
    let resumed = train(
        build,
        &recipe(4),
        data(dir.path()),
        &out,
        true,
        std::slice::from_ref(&device),
    );
    match kept {
        Some(epoch) => {
            resumed.unwrap();
            assert!(out.join("valid/epoch-4").exists(), "resumed from {epoch}");
            assert_eq!(last_complete_checkpoint(&out), Some(4));
        }
        None => {
            let error = resumed.unwrap_err().to_string();
            assert!(error.contains("no checkpoint can be read back"), "{error}");
        }
    }
    // A fresh run in the same folder starts over.
    train(
        build,
        &recipe(1),
        data(dir.path()),
        &out,
        false,
        std::slice::from_ref(&device),
    )
    .unwrap();
    assert!(!out.join("valid/epoch-3").exists());
    assert_eq!(last_complete_checkpoint(&out), Some(1));
}

#[test]
fn a_folder_that_is_not_a_run_folder_is_refused_not_cleared() {
    let _guard = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    write_split(dir.path(), "train", 4);
    write_split(dir.path(), "valid", 2);
    // The user's own data in DIR/train: training into DIR must not delete it.
    let precious = dir.path().join("train/keep.txt");
    std::fs::create_dir_all(precious.parent().unwrap()).unwrap();
    std::fs::write(&precious, "mine").unwrap();
    let error = train(
        build,
        &recipe(1),
        data(dir.path()),
        dir.path(),
        false,
        &[Device::flex()],
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("not a cyborg run folder"),
        "{error}"
    );
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "mine");
}

#[test]
fn several_devices_train_data_parallel_with_the_same_step() {
    let _guard = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    write_split(dir.path(), "train", 16);
    write_split(dir.path(), "valid", 8);
    let out = dir.path().join("run");
    // Two workers on the one CPU device: burn-train's multi-device strategy splits each
    // epoch's batches between them and steps the optimiser on the first.
    let devices = [Device::flex(), Device::flex()];
    let run = train(build, &recipe(2), data(dir.path()), &out, false, &devices).unwrap();
    assert!((1..=2).contains(&run.best_epoch));
    assert!(out.join("best.bpk").exists() && out.join("checkpoint/model-2.bpk").exists());
    assert!(outputs(&run.model).iter().all(|x| x.is_finite()));
    // It trained: the model differs from the freshly built one.
    let device = Device::flex();
    device.seed(7);
    let fresh = build(&device);
    assert_ne!(outputs(&fresh), outputs(&run.model));

    let error = train(build, &recipe(1), data(dir.path()), &out, false, &[]).unwrap_err();
    assert_eq!(error.to_string(), "training needs at least one device");
}

#[test]
fn gradient_checkpointing_trains_the_same_model() {
    let _guard = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    write_split(dir.path(), "train", 16);
    write_split(dir.path(), "valid", 8);
    let device = Device::flex();
    let run = |recipe: TrainingConfig, name: &str| {
        train(
            build,
            &recipe,
            data(dir.path()),
            &dir.path().join(name),
            false,
            std::slice::from_ref(&device),
        )
        .unwrap()
    };
    let plain = run(recipe(2), "plain");
    let recomputed = run(recipe(2).with_gradient_checkpointing(true), "checkpointing");
    // Recomputing the forward pass's cheap intermediates changes where they come from, not
    // their values: the same steps, the same model.
    assert_eq!(recomputed.best_epoch, plain.best_epoch);
    let (a, b) = (outputs(&plain.model), outputs(&recomputed.model));
    for (x, y) in a.iter().zip(&b) {
        assert!(
            (x - y).abs() <= 1e-5 * (1.0 + x.abs()),
            "{a:?} against {b:?}"
        );
    }
}
