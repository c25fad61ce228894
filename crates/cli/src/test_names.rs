//! Names of the `--test` sets in tables and metrics.json: the file stem, or as many of the
//! trailing folders as it takes to tell same-named files apart.

use std::path::{Component, Path, PathBuf};

use crate::error::CliError;

/// One name per path, in order: the file stem (`b.csv` → `b`) where it is unique, otherwise
/// the shortest trailing part of the path that is (`a/labels.csv` and `b/labels.csv` →
/// `a/labels`, `b/labels`), and the whole path with its extension as the last resort.
///
/// # Errors
/// A usage error when a file is given twice, or two paths cannot be told apart.
pub fn test_set_names(paths: &[PathBuf]) -> Result<Vec<String>, CliError> {
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[..i] {
            if same_file(a, b) {
                return Err(CliError::Usage(format!(
                    "--test {} is given twice (as {} too)",
                    a.display(),
                    b.display()
                )));
            }
        }
    }
    let candidates: Vec<Vec<String>> = paths.iter().map(|p| candidates(p)).collect();
    let mut level = vec![0; paths.len()];
    loop {
        let names: Vec<&String> = candidates.iter().zip(&level).map(|(c, &l)| &c[l]).collect();
        let clashing: Vec<usize> = (0..names.len())
            .filter(|&i| (0..names.len()).any(|j| j != i && names[j] == names[i]))
            .collect();
        let Some(&first) = clashing.first() else {
            return Ok(names.into_iter().cloned().collect());
        };
        let mut longer = false;
        for &i in &clashing {
            if level[i] + 1 < candidates[i].len() {
                level[i] += 1;
                longer = true;
            }
        }
        if !longer {
            let other = clashing[1..]
                .iter()
                .find(|&&j| names[j] == names[first])
                .copied()
                .unwrap_or(first);
            return Err(CliError::Usage(format!(
                "--test {} and --test {} cannot be told apart by name ({:?})",
                paths[first].display(),
                paths[other].display(),
                names[first]
            )));
        }
    }
}

/// The names `path` can go by, shortest first: `stem`, `parent/stem`, … , the whole path.
fn candidates(path: &Path) -> Vec<String> {
    let parts: Vec<String> = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let folders = &parts[..parts.len().saturating_sub(1)];
    let mut names: Vec<String> = (0..=folders.len())
        .map(|k| {
            let mut name: Vec<&str> = folders[folders.len() - k..]
                .iter()
                .map(String::as_str)
                .collect();
            name.push(&stem);
            name.join("/").replace("//", "/")
        })
        .collect();
    names.push(path.display().to_string());
    names.dedup();
    names
}

/// Whether two paths name one file (compared as given when either cannot be resolved).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(paths: &[&str]) -> Result<Vec<String>, CliError> {
        test_set_names(&paths.iter().map(PathBuf::from).collect::<Vec<_>>())
    }

    #[test]
    fn distinct_stems_are_kept() {
        assert_eq!(
            names(&["data/gan1.csv", "other/gan2.csv"]).unwrap(),
            ["gan1", "gan2"]
        );
    }

    #[test]
    fn same_stems_get_the_shortest_distinguishing_folders() {
        assert_eq!(
            names(&["x/a/labels.csv", "x/b/labels.csv", "c.csv"]).unwrap(),
            ["a/labels", "b/labels", "c"]
        );
        assert_eq!(
            names(&["p/a/t.csv", "q/a/t.csv", "./b/t.csv"]).unwrap(),
            ["p/a/t", "q/a/t", "b/t"]
        );
        // Only the extension differs: the whole path.
        assert_eq!(
            names(&["a/t.csv", "a/t.txt"]).unwrap(),
            ["a/t.csv", "a/t.txt"]
        );
    }

    #[test]
    fn a_file_given_twice_is_refused() {
        let error = names(&["a/t.csv", "b.csv", "a/t.csv"]).unwrap_err();
        assert!(error.to_string().contains("given twice"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.csv");
        std::fs::write(&file, "").unwrap();
        let twice = [file.clone(), dir.path().join(".").join("t.csv")];
        let error = test_set_names(&twice).unwrap_err();
        assert!(error.to_string().contains("given twice"), "{error}");
    }
}
