//! File names for maps: the image's own stem, made safe and unique.

use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Hands out map file names (`<stem>.png`) that no two images share, compared without case
/// so that they stay distinct on case-insensitive file systems.
#[derive(Debug, Default)]
pub(crate) struct MapNames {
    taken: HashSet<String>,
    /// Per stem (lower case), the suffix to try next: many images of one stem stay linear.
    next: HashMap<String, usize>,
}

impl MapNames {
    /// Marks `name` as used (a name kept from an earlier session). False if it already was.
    pub(crate) fn reserve(&mut self, name: &str) -> bool {
        self.taken.insert(name.to_lowercase())
    }

    /// A new name for `image`'s map: its stem with every character but ASCII letters, digits,
    /// `-`, `_` and `.` replaced by `_`, then `-2`, `-3`, … until unused.
    pub(crate) fn assign(&mut self, image: &Path) -> String {
        let stem = image
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut safe: String = stem
            .chars()
            .map(
                |c| match c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    true => c,
                    false => '_',
                },
            )
            .collect();
        if safe.is_empty() || safe.starts_with('.') {
            safe.insert_str(0, "image");
        }
        let name = format!("{safe}.png");
        if self.reserve(&name) {
            return name;
        }
        let n = self.next.entry(safe.to_lowercase()).or_insert(2);
        loop {
            let name = format!("{safe}-{n}.png");
            *n += 1;
            if self.taken.insert(name.to_lowercase()) {
                return name;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_made_safe_and_unique() {
        let mut names = MapNames::default();
        assert!(names.reserve("kept.png"));
        assert_eq!(names.assign(Path::new("a/cat 1.jpg")), "cat_1.png");
        assert_eq!(names.assign(Path::new("b/cat 1.png")), "cat_1-2.png");
        assert_eq!(names.assign(Path::new("b/CAT_1.png")), "CAT_1-3.png");
        assert_eq!(names.assign(Path::new("x/kept.bmp")), "kept-2.png");
        assert_eq!(names.assign(Path::new("x/.hidden")), "image.hidden.png");
        assert_eq!(names.assign(Path::new("x/été.png")), "_t_.png");
        assert!(!names.reserve("Kept.PNG"));
        // Ten thousand images of one stem, each its own name.
        let many: HashSet<String> = (0..10_000)
            .map(|_| names.assign(Path::new("x/same.png")))
            .collect();
        assert_eq!(many.len(), 10_000);
        assert!(many.contains("same.png") && many.contains("same-10000.png"));
    }
}
