//! Training a tiny conv net with the CYBORG loss, the way a user would: build a model, compute
//! the loss on its features and head, step an optimiser, watch the saliency term fall and the
//! CAM move onto the region the human map marks.

use burn::prelude::*;
use cyborg::loss::SaliencyLossConfig;
use cyborg::toy::{
    ShortcutTaskConfig, TinyCamNetConfig, ToyTrainingConfig, evaluate_toy, train_toy,
};

fn task_tensors(device: &Device) -> (cyborg::toy::ShortcutTensors, cyborg::toy::ShortcutTensors) {
    let task = ShortcutTaskConfig::new().with_seed(1).generate();
    (task.train.to_tensors(device), task.test.to_tensors(device))
}

#[test]
fn saliency_term_falls_and_cam_mass_moves_onto_the_object() {
    let device = Device::flex().autodiff();
    let (train, test) = task_tensors(&device);
    let config = ToyTrainingConfig::new(SaliencyLossConfig::cyborg(0.5)).with_epochs(5);

    device.seed(config.seed);
    let untrained = TinyCamNetConfig::new().init(&device);
    let before = evaluate_toy(&untrained, &test);

    let (model, history) = train_toy(&config, &train, &device, |_| {});
    let after = evaluate_toy(&model, &test);

    let (first, last) = (history[0], history[history.len() - 1]);
    assert!(
        last.saliency < 0.5 * first.saliency,
        "saliency term should at least halve: {} -> {}",
        first.saliency,
        last.saliency
    );
    assert!(
        after.cam_mass_inside > before.cam_mass_inside + 0.1,
        "CAM mass on the annotated region should grow: {} -> {}",
        before.cam_mass_inside,
        after.cam_mass_inside
    );
}

#[test]
fn saliency_losses_resist_the_shortcut_that_cross_entropy_takes() {
    let device = Device::flex().autodiff();
    let (train, test) = task_tensors(&device);
    let run = |loss: SaliencyLossConfig| {
        let config = ToyTrainingConfig::new(loss).with_epochs(10);
        let (model, _) = train_toy(&config, &train, &device, |_| {});
        evaluate_toy(&model, &test)
    };
    let ce = run(SaliencyLossConfig::cyborg(1.0));
    let cyborg = run(SaliencyLossConfig::cyborg(0.5));
    let masked = run(SaliencyLossConfig::masked(1.0));
    assert!(
        cyborg.accuracy > ce.accuracy + 0.1,
        "CYBORG test accuracy {} should beat cross-entropy's {} on the shortcut task",
        cyborg.accuracy,
        ce.accuracy
    );
    assert!(
        cyborg.cam_mass_inside > ce.cam_mass_inside,
        "CYBORG's CAM should sit more on the object: {} vs {}",
        cyborg.cam_mass_inside,
        ce.cam_mass_inside
    );
    assert!(
        masked.accuracy > ce.accuracy + 0.3,
        "the masked raw-CAM loss's test accuracy {} should beat cross-entropy's {} by far",
        masked.accuracy,
        ce.accuracy
    );
}
