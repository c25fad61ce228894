//! How much annotators agree on an image: Pearson correlation of their maps and IoU of the
//! regions they marked, pairwise.

use image::GrayImage;
use serde::{Deserialize, Serialize};

/// A pixel counts as marked from this value on (half ink), for the IoU.
pub const MARKED: u8 = 128;

/// Pearson's correlation of two equally long maps; `None` when either is constant (the
/// correlation is undefined).
///
/// # Panics
/// If the lengths differ.
pub fn pearson(a: &[u8], b: &[u8]) -> Option<f64> {
    assert_eq!(
        a.len(),
        b.len(),
        "maps of {} and {} pixels",
        a.len(),
        b.len()
    );
    let n = a.len() as f64;
    let mean = |m: &[u8]| m.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let (ma, mb) = (mean(a), mean(b));
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (f64::from(x) - ma, f64::from(y) - mb);
        ab += dx * dy;
        aa += dx * dx;
        bb += dy * dy;
    }
    (aa > 0.0 && bb > 0.0).then(|| ab / (aa * bb).sqrt())
}

/// Intersection over union of the pixels marked (≥ [`MARKED`]) in two maps; 1 when neither
/// marks anything (they agree that nothing matters).
///
/// # Panics
/// If the lengths differ.
pub fn marked_iou(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(
        a.len(),
        b.len(),
        "maps of {} and {} pixels",
        a.len(),
        b.len()
    );
    let (mut both, mut either) = (0usize, 0usize);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x >= MARKED, y >= MARKED);
        both += usize::from(x && y);
        either += usize::from(x || y);
    }
    match either {
        0 => 1.0,
        _ => both as f64 / either as f64,
    }
}

/// The agreement of the maps several annotators drew of one image: each measure averaged over
/// every pair of annotators.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ImageAgreement {
    /// Annotators with a map of this image.
    pub annotators: usize,
    /// Mean Pearson correlation over the pairs where it is defined; `None` with fewer than two
    /// maps or no such pair.
    pub pearson: Option<f64>,
    /// Mean IoU of the marked regions; `None` with fewer than two maps.
    pub iou: Option<f64>,
}

impl ImageAgreement {
    /// The agreement of `maps`, all of one size.
    ///
    /// # Panics
    /// If the sizes differ.
    pub fn of(maps: &[&GrayImage]) -> Self {
        let (mut pearsons, mut ious) = (Vec::new(), Vec::new());
        for (i, a) in maps.iter().enumerate() {
            for b in &maps[i + 1..] {
                pearsons.extend(pearson(a.as_raw(), b.as_raw()));
                ious.push(marked_iou(a.as_raw(), b.as_raw()));
            }
        }
        Self {
            annotators: maps.len(),
            pearson: mean(&pearsons),
            iou: mean(&ious),
        }
    }
}

/// The mean, `None` for no value.
pub(crate) fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_pair() {
        // a = [0, 1, 0, 1], b = [0, 1, 1, 1] (× 255): cov = 0.5, var a = 1, var b = 0.75, so
        // r = 0.5 / √0.75; marked {1, 3} and {1, 2, 3}: IoU 2/3.
        let a = [0, 255, 0, 255];
        let b = [0, 255, 255, 255];
        let r = pearson(&a, &b).unwrap();
        assert!((r - 0.5 / 0.75f64.sqrt()).abs() < 1e-12, "{r}");
        assert!((marked_iou(&a, &b) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(pearson(&a, &a).map(|r| (r * 1e9).round()), Some(1e9));
        assert_eq!(pearson(&a, &[7; 4]), None);
        assert_eq!(marked_iou(&[0, 127], &[1, 0]), 1.0);
        assert_eq!(marked_iou(&[0, 128], &[128, 0]), 0.0);
    }

    #[test]
    fn three_annotators_average_their_pairs() {
        let map = |v: [u8; 4]| GrayImage::from_raw(2, 2, v.to_vec()).unwrap();
        let (a, b, c) = (map([0, 255, 0, 255]), map([0, 255, 255, 255]), map([9; 4]));
        let agreement = ImageAgreement::of(&[&a, &b, &c]);
        assert_eq!(agreement.annotators, 3);
        // Only (a, b) has a correlation; IoUs: (a, b) 2/3, (a, c) 0, (b, c) 0.
        assert!((agreement.pearson.unwrap() - 0.5 / 0.75f64.sqrt()).abs() < 1e-12);
        assert!((agreement.iou.unwrap() - 2.0 / 9.0).abs() < 1e-12);
        assert_eq!(
            ImageAgreement::of(&[&a]),
            ImageAgreement {
                annotators: 1,
                pearson: None,
                iou: None
            }
        );
    }
}
