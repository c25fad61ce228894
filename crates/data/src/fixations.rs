//! Human maps from eye tracking: fixations blurred into a density, the way saliency research
//! builds fixation maps.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::DataError;
use crate::annotation_table::Table;

/// One fixation in pixel coordinates of its image (x to the right, y down; the pixel in column
/// `floor(x)`, row `floor(y)`), with its duration if the eye tracker gave one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fixation {
    /// Column coordinate.
    pub x: f32,
    /// Row coordinate.
    pub y: f32,
    /// How long the eye rested there (any unit), `>= 0`; weighs the fixation in the map.
    pub duration: Option<f32>,
}

/// Fixations by image file name, as [`read_fixation_csv`] gives them.
pub type FixationAnnotations = BTreeMap<String, Vec<Fixation>>;

const FIXATION_COLUMNS: [&str; 4] = ["image", "x", "y", "duration"];

/// Reads a CSV of fixations: a header naming the columns `image`, `x`, `y` and optionally
/// `duration` (in any order; other columns are ignored), then one fixation per row.
///
/// # Errors
/// A [`DataError`] naming the file and line: unreadable CSV, a missing column, an empty cell,
/// a value that is not a finite number, or a negative duration.
pub fn read_fixation_csv(path: impl AsRef<Path>) -> Result<FixationAnnotations, DataError> {
    fixations_from_table(&Table::read(path.as_ref(), &FIXATION_COLUMNS, 3)?)
}

/// [`read_fixation_csv`] on CSV text, as if it were the file `path` (which names it in
/// errors).
///
/// # Errors
/// As [`read_fixation_csv`].
pub fn parse_fixation_csv(
    reader: impl std::io::Read,
    path: &Path,
) -> Result<FixationAnnotations, DataError> {
    fixations_from_table(&Table::parse(reader, path, &FIXATION_COLUMNS, 3)?)
}

fn fixations_from_table(table: &Table) -> Result<FixationAnnotations, DataError> {
    let mut fixations = FixationAnnotations::new();
    for row in table.rows() {
        let image = row.required(0, "image")?.to_string();
        let duration = match row.text(3) {
            None => None,
            Some(_) => {
                let duration = row.number(3, "duration")?;
                if duration < 0.0 {
                    return Err(row.error(format!("`duration` must be >= 0, got {duration}")));
                }
                Some(duration)
            }
        };
        fixations.entry(image).or_default().push(Fixation {
            x: row.number(1, "x")?,
            y: row.number(2, "y")?,
            duration,
        });
    }
    if fixations.is_empty() {
        return Err(DataError::Empty {
            path: table.path().to_path_buf(),
            what: "fixation",
        });
    }
    Ok(fixations)
}

/// The fixation map of an image of `size = [height, width]` pixels, row-major, values in
/// `[0, 1]`: each fixation adds its duration (1 without one) to its pixel, the counts are
/// blurred with a Gaussian of `sigma` pixels (truncated at 3σ, borders zero-padded), and the
/// result is divided by its maximum. Fixations outside the image are left out; none gives
/// zeros. A `sigma` of 0 leaves the counts unblurred.
///
/// # Panics
/// If `sigma` is negative or not finite.
pub fn fixation_map(fixations: &[Fixation], size: [usize; 2], sigma: f32) -> Vec<f32> {
    assert!(
        sigma.is_finite() && sigma >= 0.0,
        "sigma must be finite and >= 0, got {sigma}"
    );
    let [height, width] = size;
    let mut counts = vec![0.0f32; height * width];
    for f in fixations {
        let (c, r) = (f.x.floor(), f.y.floor());
        if c >= 0.0 && r >= 0.0 && (c as usize) < width && (r as usize) < height {
            counts[r as usize * width + c as usize] += f.duration.unwrap_or(1.0);
        }
    }
    let mut map = if sigma > 0.0 {
        let kernel = gaussian_kernel(sigma);
        let rows = blur_rows(&counts, [height, width], &kernel);
        transpose(
            &blur_rows(&transpose(&rows, [height, width]), [width, height], &kernel),
            [width, height],
        )
    } else {
        counts
    };
    let peak = map.iter().copied().fold(0.0f32, f32::max);
    if peak > 0.0 {
        map.iter_mut().for_each(|v| *v /= peak);
    }
    map
}

/// `exp(−i² / 2σ²)` for `i` in `−r..=r`, `r = ceil(3σ)`, summing to 1.
fn gaussian_kernel(sigma: f32) -> Vec<f32> {
    let radius = (3.0 * sigma).ceil() as i64;
    let weights: Vec<f32> = (-radius..=radius)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = weights.iter().sum();
    weights.into_iter().map(|w| w / total).collect()
}

/// Each row of a `[rows, columns]` plane convolved with `kernel` (odd length, centred), zeros
/// beyond the borders.
fn blur_rows(plane: &[f32], [rows, columns]: [usize; 2], kernel: &[f32]) -> Vec<f32> {
    let radius = (kernel.len() / 2) as i64;
    let mut out = vec![0.0f32; rows * columns];
    for r in 0..rows {
        let row = &plane[r * columns..(r + 1) * columns];
        for c in 0..columns {
            out[r * columns + c] = kernel
                .iter()
                .enumerate()
                .filter_map(|(k, w)| {
                    let source = c as i64 + k as i64 - radius;
                    (0..columns as i64)
                        .contains(&source)
                        .then(|| w * row[source as usize])
                })
                .sum();
        }
    }
    out
}

/// A `[rows, columns]` plane as `[columns, rows]`.
fn transpose(plane: &[f32], [rows, columns]: [usize; 2]) -> Vec<f32> {
    let mut out = vec![0.0f32; rows * columns];
    for r in 0..rows {
        for c in 0..columns {
            out[c * rows + r] = plane[r * columns + c];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: f32, y: f32, duration: Option<f32>) -> Fixation {
        Fixation { x, y, duration }
    }

    #[test]
    fn one_fixation_blurs_into_a_normalised_gaussian() {
        // σ = 1 on a 7×7 image, one fixation in the centre pixel: the map is the outer
        // product of the 1-D kernel, divided by its peak, so exp(−(dx² + dy²) / 2).
        let map = fixation_map(&[at(3.2, 3.9, None)], [7, 7], 1.0);
        for r in 0..7 {
            for c in 0..7 {
                let (dx, dy) = (c as f32 - 3.0, r as f32 - 3.0);
                let expected = (-(dx * dx + dy * dy) / 2.0).exp();
                assert!((map[r * 7 + c] - expected).abs() < 1e-6, "({r}, {c})");
            }
        }
    }

    #[test]
    fn durations_weigh_fixations_and_outside_ones_are_left_out() {
        // No blur: the counts divided by the largest.
        let fixations = [
            at(0.5, 0.5, Some(2.0)),
            at(2.0, 1.0, Some(1.0)),
            at(1.0, 0.0, Some(1.0)),
            at(-1.0, 0.0, Some(9.0)),
            at(3.0, 0.0, Some(9.0)),
        ];
        let map = fixation_map(&fixations, [2, 3], 0.0);
        assert_eq!(map, [1.0, 0.5, 0.0, 0.0, 0.0, 0.5]);
        assert_eq!(fixation_map(&[], [2, 2], 1.0), [0.0; 4]);
    }

    #[test]
    fn csv_reads_with_or_without_durations_and_names_bad_lines() {
        let text = "x,y,image\n1,2,a.png\n3.5,4,a.png\n";
        let fixations = parse_fixation_csv(text.as_bytes(), Path::new("gaze.csv")).unwrap();
        assert_eq!(fixations["a.png"], [at(1.0, 2.0, None), at(3.5, 4.0, None)]);
        let text = "image,x,y,duration\na.png,1,2,0.25\n";
        let fixations = parse_fixation_csv(text.as_bytes(), Path::new("gaze.csv")).unwrap();
        assert_eq!(fixations["a.png"], [at(1.0, 2.0, Some(0.25))]);
        for (text, needle) in [
            (
                "image,x\na.png,1\n",
                "gaze.csv:1: the header has no `y` column",
            ),
            (
                "image,x,y\na.png,1,NaN\n",
                "gaze.csv:2: `y` must be a finite number",
            ),
            (
                "image,x,y,duration\na.png,1,1,-2\n",
                "gaze.csv:2: `duration` must be >= 0",
            ),
            ("image,x,y\n,1,1\n", "gaze.csv:2: `image` is empty"),
        ] {
            let error = parse_fixation_csv(text.as_bytes(), Path::new("gaze.csv")).unwrap_err();
            assert!(error.to_string().contains(needle), "{error}");
        }
    }
}
