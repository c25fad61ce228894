//! File names for maps: the image's own stem, made safe and unique.

use std::collections::HashSet;
use std::path::Path;

/// Hands out map file names (`<stem>.png`) that no two images share, compared without case
/// so that they stay distinct on case-insensitive file systems.
#[derive(Debug, Default)]
pub(crate) struct MapNames {
    taken: HashSet<String>,
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
        let mut name = format!("{safe}.png");
        let mut n = 2;
        while !self.reserve(&name) {
            name = format!("{safe}-{n}.png");
            n += 1;
        }
        name
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
    }
}
