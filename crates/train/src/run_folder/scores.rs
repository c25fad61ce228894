//! Per-image scores of an evaluated set, as a CSV file in the run folder: what ROC curves are
//! drawn from, and what a user analyses further.

use std::path::{Path, PathBuf};

use cyborg_data::Records;

use crate::error::RunFileError;

/// The folder of the score files in a run folder: `scores/<test set>.csv`.
pub const SCORES_FOLDER: &str = "scores";

/// The scores an evaluation ranks images by, with their labels, in the records' order.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// The class names (two or more).
    pub classes: Vec<String>,
    /// Each image's path as its record gives it.
    pub images: Vec<PathBuf>,
    /// Each image's label (class index).
    pub labels: Vec<usize>,
    /// Two classes: one score per image, the two-class AUC's (see
    /// [`AucScore`](crate::AucScore)); more: each class's softmax probability per image,
    /// row-major `[images, classes]`.
    pub values: Vec<f64>,
}

/// One ROC curve of a [`Scores`]: a class against the others.
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// The positive class.
    pub class: String,
    /// `[false positive rate, true positive rate]` from `[0, 0]` to `[1, 1]`
    /// ([`roc_curve`](crate::roc_curve)).
    pub points: Vec<[f64; 2]>,
    /// The area under it ([`roc_auc`](crate::roc_auc)).
    pub auc: f64,
}

impl Scores {
    /// Scores per image: 1 for two classes, one per class otherwise.
    pub fn per_image(&self) -> usize {
        if self.classes.len() == 2 {
            1
        } else {
            self.classes.len()
        }
    }

    /// The ROC curves: for two classes one, class 1 against class 0; for more one per class,
    /// that class against the rest. Classes with no positive or no negative image have none.
    pub fn roc_curves(&self) -> Vec<RocCurve> {
        let k = self.per_image();
        let curve = |class: usize, column: usize| {
            let scores: Vec<f64> = self
                .values
                .iter()
                .skip(column)
                .step_by(k)
                .copied()
                .collect();
            let positives: Vec<bool> = self.labels.iter().map(|&l| l == class).collect();
            Some(RocCurve {
                class: self.classes[class].clone(),
                points: crate::evaluation::auc::roc_curve(&scores, &positives)?,
                auc: crate::evaluation::auc::roc_auc(&scores, &positives)?,
            })
        };
        if k == 1 {
            curve(1, 0).into_iter().collect()
        } else {
            (0..k).filter_map(|c| curve(c, c)).collect()
        }
    }
}

/// Writes `scores` to `path` (atomically): a header `image,label,score` for two classes or
/// `image,label,<class names…>` for more (a class's column holds its probability), then one
/// row per image with its label's name (quoted where a cell needs it, as CSV does).
///
/// # Errors
/// [`RunFileError::Io`] if the file cannot be written.
pub fn write_scores(path: &Path, scores: &Scores) -> Result<(), RunFileError> {
    let io = |source: std::io::Error| RunFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let k = scores.per_image();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["image".to_string(), "label".to_string()];
    if k == 1 {
        header.push("score".into());
    } else {
        header.extend(scores.classes.iter().cloned());
    }
    let csv_io = |e: csv::Error| io(std::io::Error::other(e));
    writer.write_record(&header).map_err(csv_io)?;
    for (i, (image, &label)) in scores.images.iter().zip(&scores.labels).enumerate() {
        let mut row = vec![image.display().to_string(), scores.classes[label].clone()];
        row.extend(scores.values[i * k..(i + 1) * k].iter().map(f64::to_string));
        writer.write_record(&row).map_err(csv_io)?;
    }
    let bytes = writer.into_inner().map_err(|e| io(e.into_error()))?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| RunFileError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    cyborg_atomic_write::write_bytes_atomically(path, &bytes).map_err(io)
}

/// Reads a file [`write_scores`] wrote. `classes` gives the class order (the run's
/// `classes.json`); for more than two classes the header's columns must be those classes.
///
/// # Errors
/// [`RunFileError::Io`] if it cannot be read, [`RunFileError::BadRow`] naming the first line
/// that does not fit (a label not among `classes`, a value that is not a number, a wrong
/// number of cells, a malformed CSV line).
pub fn read_scores(path: &Path, classes: &[String]) -> Result<Scores, RunFileError> {
    let bytes = std::fs::read(path).map_err(|source| RunFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |line: usize, message: String| RunFileError::BadRow {
        path: path.to_path_buf(),
        line,
        message,
    };
    let k = if classes.len() == 2 { 1 } else { classes.len() };
    let mut expected = vec!["image".to_string(), "label".to_string()];
    if k == 1 {
        expected.push("score".into());
    } else {
        expected.extend(classes.iter().cloned());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut scores = Scores {
        classes: classes.to_vec(),
        images: Vec::new(),
        labels: Vec::new(),
        values: Vec::new(),
    };
    for (i, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i + 1, |p| p.line() as usize);
        let record = record.map_err(|e| bad(line, e.to_string()))?;
        let cells: Vec<&str> = record.iter().collect();
        if i == 0 {
            if cells != expected {
                return Err(bad(
                    1,
                    format!("the header must be {:?}", expected.join(",")),
                ));
            }
            continue;
        }
        if cells.len() != 2 + k {
            return Err(bad(
                line,
                format!("{} cells, expected {}", cells.len(), 2 + k),
            ));
        }
        let label = classes
            .iter()
            .position(|c| c == cells[1])
            .ok_or_else(|| bad(line, format!("unknown class {:?}", cells[1])))?;
        for cell in &cells[2..] {
            let value = cell
                .parse::<f64>()
                .map_err(|_| bad(line, format!("{cell:?} is not a number")))?;
            scores.values.push(value);
        }
        scores.images.push(PathBuf::from(cells[0]));
        scores.labels.push(label);
    }
    Ok(scores)
}

/// The file name of test set `name`'s scores: characters other than letters, digits, `-`, `_`
/// and `.` become `_` (`square misleads` → `square_misleads.csv`).
pub fn scores_file_name(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{stem}.csv")
}

/// The records' images and labels with the scores an evaluation of them gave.
pub(crate) fn scores_of(records: &Records, values: Vec<f64>) -> Scores {
    Scores {
        classes: records.classes.clone(),
        images: records.items.iter().map(|r| r.image.clone()).collect(),
        labels: records.items.iter().map(|r| r.label).collect(),
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_class() -> Scores {
        Scores {
            classes: vec!["real".into(), "fake, GAN".into()],
            images: vec!["a.png".into(), "b \"x\".png".into(), "c.png".into()],
            labels: vec![0, 1, 1],
            values: vec![0.25, 0.75, 0.5],
        }
    }

    #[test]
    fn scores_round_trip_with_quoted_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SCORES_FOLDER).join("test.csv");
        write_scores(&path, &two_class()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "image,label,score\na.png,real,0.25\n\"b \"\"x\"\".png\",\"fake, GAN\",0.75\nc.png,\"fake, GAN\",0.5\n"
        );
        assert_eq!(
            read_scores(&path, &two_class().classes).unwrap(),
            two_class()
        );
        let three = Scores {
            classes: vec!["a".into(), "b".into(), "c".into()],
            images: vec!["x.png".into()],
            labels: vec![2],
            values: vec![0.25, 0.25, 0.5],
        };
        write_scores(&path, &three).unwrap();
        assert_eq!(read_scores(&path, &three.classes).unwrap(), three);
    }

    #[test]
    fn bad_files_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.csv");
        let classes = vec!["a".to_string(), "b".to_string()];
        std::fs::write(&path, "image,label,score\nx.png,c,0.5\n").unwrap();
        let error = read_scores(&path, &classes).unwrap_err().to_string();
        assert!(
            error.ends_with("test.csv:2: unknown class \"c\""),
            "{error}"
        );
        std::fs::write(&path, "image,label,score\nx.png,a,high\n").unwrap();
        let error = read_scores(&path, &classes).unwrap_err().to_string();
        assert!(
            error.ends_with("test.csv:2: \"high\" is not a number"),
            "{error}"
        );
        std::fs::write(&path, "image,label,a,b\n").unwrap();
        let error = read_scores(&path, &classes).unwrap_err().to_string();
        assert!(error.contains("test.csv:1: the header must be"), "{error}");
    }

    #[test]
    fn roc_curves_two_classes_and_one_vs_rest() {
        // Class 1 ranks above class 0 on both positives: a perfect curve.
        let curves = two_class().roc_curves();
        assert_eq!(curves.len(), 1);
        assert_eq!(curves[0].class, "fake, GAN");
        assert_eq!(
            curves[0].points,
            vec![[0.0, 0.0], [0.0, 0.5], [0.0, 1.0], [1.0, 1.0]]
        );
        assert_eq!(curves[0].auc, 1.0);
        let three = Scores {
            classes: vec!["a".into(), "b".into(), "c".into()],
            images: vec!["x".into(), "y".into()],
            labels: vec![0, 2],
            values: vec![0.8, 0.1, 0.1, 0.2, 0.1, 0.7],
        };
        // Class b has no positive: no curve.
        let names: Vec<String> = three.roc_curves().into_iter().map(|c| c.class).collect();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(scores_file_name("square misleads"), "square_misleads.csv");
        assert_eq!(scores_file_name("gan1/labels"), "gan1_labels.csv");
    }
}
