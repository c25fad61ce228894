//! Decoy datasets (Ross et al. 2017) from MNIST-style IDX files, written as [`Experiment`]s:
//! one with the decoys, and its clean twin for the ceiling.

use std::path::Path;

use burn::config::Config;
use cyborg_data::{
    DataError, DecoyConfig, DecoySplit, IdxArray, ImageConfig, MnistFiles, Normalization, Records,
};

use crate::training::experiment::Experiment;

/// Name of the test set whose patches no longer code the class.
pub const DECOY_TEST: &str = "decoy test";

/// Name of the same test images without a patch.
pub const CLEAN_TEST: &str = "clean test";

/// Sizes and decoy of a decoy task ([`decoy_experiments`]): the first `train_size` images of
/// the training file train, the next `validation_size` validate, the first `test_size` of
/// the test file test.
#[derive(Config, Debug)]
pub struct DecoyTaskConfig {
    /// Training images.
    #[config(default = 4000)]
    pub train_size: usize,
    /// Validation images, taken after the training images.
    #[config(default = 1000)]
    pub validation_size: usize,
    /// Test images.
    #[config(default = 2000)]
    pub test_size: usize,
    /// The decoy and the human map.
    #[config(default = "DecoyConfig::new()")]
    pub decoy: DecoyConfig,
}

/// A decoy task and its ceiling, as [`decoy_experiments`] writes them. Both have the same
/// tests, in this order: [`DECOY_TEST`] (patches that no longer code the class) and
/// [`CLEAN_TEST`] (the same images, no patch).
#[derive(Debug, Clone)]
pub struct DecoyExperiments {
    /// Training and validation images with decoys coding the class.
    pub decoy: Experiment,
    /// The same training and validation images without a patch: cross-entropy trained on
    /// them is the ceiling.
    pub clean: Experiment,
}

/// Writes the decoy task `task` describes, from `files`, in the manifest layout under `dir`
/// (`train`, `val`, `test` with decoys; `clean_train`, `clean_val`, `clean_test` without).
/// Images are read as written: one channel, no normalisation; `grid` is the CAM grid of the
/// model to train ([`feature_grid`](crate::feature_grid)).
///
/// # Errors
/// [`DataError::TooFewImages`] if the sizes ask for more images than the files hold,
/// [`DataError::Idx`] if the images are not `[n, h, w]`; [`DataError::Io`] or `Encode` if `dir` cannot be written.
pub fn decoy_experiments(
    files: &MnistFiles,
    task: &DecoyTaskConfig,
    dir: &Path,
    grid: [usize; 2],
) -> Result<DecoyExperiments, DataError> {
    let available = files.train_images.dims[0];
    let tests = files.test_images.dims[0];
    if task.train_size + task.validation_size > available || task.test_size > tests {
        return Err(DataError::TooFewImages {
            path: files.dir.clone(),
            message: format!(
                "{} training + {} validation and {} test images asked for, the files hold \
                 {available} and {tests}",
                task.train_size, task.validation_size, task.test_size
            ),
        });
    }
    let [height, width] = match files.train_images.dims[..] {
        [_, h, w] => [h, w],
        _ => {
            return Err(DataError::Idx {
                path: dir.to_path_buf(),
                message: format!(
                    "images must be [n, h, w], got {:?}",
                    files.train_images.dims
                ),
            });
        }
    };
    let take = |(images, labels): (&IdxArray, &IdxArray), range: std::ops::Range<usize>| {
        (images.rows(range.clone()), labels.rows(range))
    };
    let train_end = task.train_size;
    let val_end = train_end + task.validation_size;
    let pairs = [
        (
            "train",
            (&files.train_images, &files.train_labels),
            0..train_end,
            DecoySplit::Train,
        ),
        (
            "val",
            (&files.train_images, &files.train_labels),
            train_end..val_end,
            DecoySplit::Train,
        ),
        (
            "test",
            (&files.test_images, &files.test_labels),
            0..task.test_size,
            DecoySplit::Test,
        ),
    ];
    let clean_decoy = task.decoy.clone().with_patch_size(0);
    let mut decoy = Vec::new();
    let mut clean = Vec::new();
    for (name, arrays, range, split) in pairs {
        let (images, labels) = take(arrays, range);
        decoy.push(
            task.decoy
                .write_dataset(&images, &labels, dir, name, split, None)?,
        );
        let clean_name = format!("clean_{name}");
        clean.push(clean_decoy.write_dataset(&images, &labels, dir, &clean_name, split, None)?);
    }
    let [decoy_train, decoy_val, decoy_test]: [Records; 3] =
        decoy.try_into().expect("three splits");
    let [clean_train, clean_val, clean_test]: [Records; 3] =
        clean.try_into().expect("three splits");
    let tests = vec![
        (DECOY_TEST.to_string(), decoy_test),
        (CLEAN_TEST.to_string(), clean_test),
    ];
    let image = ImageConfig::new(height, width)
        .with_channels(1)
        .with_normalization(Normalization::None);
    let experiment = |train, val| Experiment {
        train,
        val,
        tests: tests.clone(),
        image: image.clone(),
        grid,
    };
    Ok(DecoyExperiments {
        decoy: experiment(decoy_train, decoy_val),
        clean: experiment(clean_train, clean_val),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` 8×8 images of class `i % 3`: a bright 4×4 block on a dark ground.
    fn arrays(n: usize) -> (IdxArray, IdxArray) {
        let image: Vec<u8> = (0..64)
            .map(|i| {
                if (2..6).contains(&(i / 8)) && (2..6).contains(&(i % 8)) {
                    200
                } else {
                    0
                }
            })
            .collect();
        let images = IdxArray {
            dims: vec![n, 8, 8],
            data: image.repeat(n),
        };
        let labels = IdxArray {
            dims: vec![n],
            data: (0..n).map(|i| (i % 3) as u8).collect(),
        };
        (images, labels)
    }

    fn files() -> MnistFiles {
        let (train_images, train_labels) = arrays(10);
        let (test_images, test_labels) = arrays(4);
        MnistFiles {
            dir: "fashion-mnist".into(),
            train_images,
            train_labels,
            test_images,
            test_labels,
        }
    }

    #[test]
    fn writes_the_decoy_task_and_its_clean_twin() {
        let dir = tempfile::tempdir().unwrap();
        let task = DecoyTaskConfig::new()
            .with_train_size(6)
            .with_validation_size(3)
            .with_test_size(4)
            .with_decoy(DecoyConfig::new().with_patch_size(2));
        let both = decoy_experiments(&files(), &task, dir.path(), [2, 2]).unwrap();
        for experiment in [&both.decoy, &both.clean] {
            assert_eq!(experiment.train.items.len(), 6);
            assert_eq!(experiment.val.items.len(), 3);
            let names: Vec<&str> = experiment.tests.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, [DECOY_TEST, CLEAN_TEST]);
            assert_eq!(experiment.grid, [2, 2]);
            assert_eq!([experiment.image.height, experiment.image.width], [8, 8]);
        }
        // Validation follows training in the file: image 6 has class 0.
        assert_eq!(both.decoy.val.items[0].label, 0);
        // A decoy image has its patch (255 − 25·label in a corner); its clean twin does not.
        let gray = |path: &Path| image::open(path).unwrap().into_luma8().into_raw();
        let decoy = gray(&both.decoy.train.items[1].image);
        let clean = gray(&both.clean.train.items[1].image);
        assert_eq!(clean, arrays(1).0.data);
        let changed: Vec<u8> = decoy
            .iter()
            .zip(&clean)
            .filter(|(d, c)| d != c)
            .map(|(d, _)| *d)
            .collect();
        assert_eq!(changed, vec![230; 4]);
    }

    #[test]
    fn refuses_sizes_the_files_do_not_hold() {
        let dir = tempfile::tempdir().unwrap();
        let task = DecoyTaskConfig::new()
            .with_train_size(8)
            .with_validation_size(3)
            .with_test_size(4);
        let error = decoy_experiments(&files(), &task, dir.path(), [2, 2]).unwrap_err();
        assert!(
            error.to_string().contains(
                "8 training + 3 validation and 4 test images asked for, the files hold 10 and 4"
            ),
            "{error}"
        );
    }
}
