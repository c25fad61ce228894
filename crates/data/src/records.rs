//! What every source produces: image paths, optional saliency-map paths and labels.

use std::path::{Path, PathBuf};

use crate::{DataError, SplitMix64};

/// One image of a dataset, not yet decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The image file.
    pub image: PathBuf,
    /// Its human saliency map, if it has one.
    pub saliency: Option<PathBuf>,
    /// Index into [`Records::classes`].
    pub label: usize,
}

/// The images of a dataset and its class names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Records {
    /// The images, in the source's order.
    pub items: Vec<Record>,
    /// Class names; a label is an index into this list.
    pub classes: Vec<String>,
}

impl Records {
    /// Records of `items` and `classes`, or [`DataError::Empty`] naming `source` and `what`
    /// was looked for when there is no item.
    pub fn non_empty(
        items: Vec<Record>,
        classes: Vec<String>,
        source: &Path,
        what: &'static str,
    ) -> Result<Self, DataError> {
        if items.is_empty() {
            return Err(DataError::Empty {
                path: source.to_path_buf(),
                what,
            });
        }
        Ok(Self { items, classes })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Number of images that have a saliency map.
    pub fn annotated(&self) -> usize {
        self.items.iter().filter(|r| r.saliency.is_some()).count()
    }

    /// These records with the maps of only `round(fraction · annotated)` of the annotated
    /// images, drawn without replacement by `seed`; the others lose their map (and train on
    /// cross-entropy alone). What a user who annotates a part of their images has.
    ///
    /// # Panics
    /// If `fraction` is not in `[0, 1]`.
    pub fn keep_maps(&self, fraction: f64, seed: u64) -> Records {
        assert!(
            (0.0..=1.0).contains(&fraction),
            "the share of maps kept must be in [0, 1], got {fraction}"
        );
        let mut annotated: Vec<usize> = (0..self.items.len())
            .filter(|&i| self.items[i].saliency.is_some())
            .collect();
        let kept = (fraction * annotated.len() as f64).round() as usize;
        SplitMix64::new(seed).shuffle(&mut annotated);
        let mut keep = vec![false; self.items.len()];
        for &i in &annotated[..kept] {
            keep[i] = true;
        }
        let items = self
            .items
            .iter()
            .zip(keep)
            .map(|(record, keep)| Record {
                saliency: record.saliency.clone().filter(|_| keep),
                ..record.clone()
            })
            .collect();
        Records {
            items,
            classes: self.classes.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(n: usize) -> Records {
        Records {
            items: (0..n)
                .map(|i| Record {
                    image: PathBuf::from(format!("{i}.png")),
                    saliency: (i % 5 != 0).then(|| PathBuf::from(format!("{i}_map.png"))),
                    label: i % 2,
                })
                .collect(),
            classes: vec!["a".into(), "b".into()],
        }
    }

    #[test]
    fn keep_maps_keeps_its_share_of_the_annotated_images() {
        let all = records(100); // 80 annotated
        let quarter = all.keep_maps(0.25, 3);
        assert_eq!(quarter.annotated(), 20);
        assert_eq!(quarter.len(), 100);
        for (kept, original) in quarter.items.iter().zip(&all.items) {
            assert_eq!((&kept.image, kept.label), (&original.image, original.label));
            // A map kept is the image's own; none appears where there was none.
            assert!(kept.saliency.is_none() || kept.saliency == original.saliency);
        }
        assert_eq!(
            quarter,
            all.keep_maps(0.25, 3),
            "the same seed keeps the same maps"
        );
        assert_ne!(quarter, all.keep_maps(0.25, 4));
        assert_eq!(all.keep_maps(1.0, 0), all);
        assert_eq!(all.keep_maps(0.0, 0).annotated(), 0);
        // 5 % of 80 = 4: small shares round, never to more than asked.
        assert_eq!(all.keep_maps(0.05, 0).annotated(), 4);
    }
}
