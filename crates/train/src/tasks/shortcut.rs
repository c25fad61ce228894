//! The shortcut task that ships with the project ([`ShortcutTaskConfig`]) as an
//! [`Experiment`] on disk, ready for [`Run`](crate::Run) and `cyborg train`.

use std::path::Path;

use cyborg_data::{DataError, ImageConfig, Normalization, Records, ShortcutTaskConfig};

use crate::training::experiment::Experiment;

/// Name of the test set of the images whose square points to the other class (those a model
/// that learned the shortcut gets wrong).
pub const SQUARE_MISLEADS: &str = "square misleads";

/// Name of the test set of all test images.
pub const ALL_TEST_IMAGES: &str = "all";

/// Seed offset of the validation split: it is drawn apart from the training split.
const VALIDATION_SEED_OFFSET: u64 = 1000;

/// Generates the shortcut task that `task` describes and writes it under `dir` in the
/// manifest layout (`images/`, `saliency/`, `train.csv`, `val.csv`, `test.csv`):
///
/// - `train`: `task.train_size` images with the shortcut (the square agrees with the label);
/// - `val`: `validation_size` images with the shortcut, from the seed `task.seed + 1000`;
/// - tests, in this order: [`SQUARE_MISLEADS`] (the test images whose square points to the
///   other class) and [`ALL_TEST_IMAGES`] (`task.test_size` images, square at random).
///
/// Images are read as they were written: one channel, `image_size²`, no normalisation.
/// `grid` is the CAM grid of the model to train at that size
/// ([`feature_grid`](crate::feature_grid)).
///
/// # Errors
/// If a file cannot be written under `dir`.
pub fn shortcut_experiment(
    task: &ShortcutTaskConfig,
    validation_size: usize,
    dir: &Path,
    grid: [usize; 2],
) -> Result<Experiment, DataError> {
    let generated = task.generate();
    let val = task
        .clone()
        .with_train_size(validation_size)
        .with_test_size(0)
        .with_seed(task.seed.wrapping_add(VALIDATION_SEED_OFFSET))
        .generate()
        .train;
    let test = generated.test.write(dir, "test")?;
    let misleading = Records {
        items: test
            .items
            .iter()
            .zip(&generated.test.cue_agrees)
            .filter(|&(_, &agrees)| !agrees)
            .map(|(record, _)| record.clone())
            .collect(),
        classes: test.classes.clone(),
    };
    let size = task.image_size;
    Ok(Experiment {
        train: generated.train.write(dir, "train")?,
        val: val.write(dir, "val")?,
        tests: vec![
            (SQUARE_MISLEADS.to_string(), misleading),
            (ALL_TEST_IMAGES.to_string(), test),
        ],
        image: ImageConfig::new(size, size)
            .with_channels(1)
            .with_normalization(Normalization::None),
        grid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_splits_and_the_misleading_subset() {
        let dir = tempfile::tempdir().unwrap();
        let task = ShortcutTaskConfig::new()
            .with_train_size(20)
            .with_test_size(40)
            .with_seed(3);
        let experiment = shortcut_experiment(&task, 10, dir.path(), [4, 4]).unwrap();
        assert_eq!(experiment.train.items.len(), 20);
        assert_eq!(experiment.val.items.len(), 10);
        let names: Vec<&str> = experiment.tests.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, [SQUARE_MISLEADS, ALL_TEST_IMAGES]);
        let generated = task.generate();
        let expected = generated.test.cue_agrees.iter().filter(|a| !**a).count();
        assert!(expected > 0 && expected < 40, "{expected}");
        assert_eq!(experiment.tests[0].1.items.len(), expected);
        assert_eq!(experiment.tests[1].1.items.len(), 40);
        // The validation split is drawn apart from the training split.
        assert_ne!(
            std::fs::read(&experiment.val.items[0].image).unwrap(),
            std::fs::read(&experiment.train.items[0].image).unwrap()
        );
        assert_eq!(experiment.grid, [4, 4]);
        assert_eq!(experiment.image.channels, 1);
    }
}
