//! Replacing a file atomically, the one way every cyborg crate writes what a user keeps
//! (manifests, JSON reports, pictures): the new content goes to a temporary file beside the
//! target (`.<file name>.<process id>.<counter>.tmp`), is synced to disk, and is renamed onto
//! the target; then the folder is synced (on Unix), so the new name survives a power cut. A reader sees the old file or the whole new one, never half of it; on any
//! failure the temporary file is removed and the old file is left as it was.
//!
//! Model checkpoints need none of this: Burn's burnpack `save_file` already writes this way.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("report.json");
//! cyborg_atomic_write::write_atomically(&path, |file| {
//!     use std::io::Write;
//!     file.write_all(b"{}\n")
//! })
//! .unwrap();
//! assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
//! ```

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Tells apart the temporary files of one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with what `write` writes, atomically (see the crate's docs). The directory
/// must exist.
///
/// # Errors
/// An [`io::ErrorKind::InvalidInput`] error if `path` has no file name; otherwise the first
/// error of creating, writing (including `write`'s own), syncing or renaming.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let temporary = temporary_path(path)?;
    let result = write_then_rename(path, &temporary, write);
    if result.is_err() {
        // Best effort: the file may never have been created, and the first error is the one
        // worth reporting.
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// [`write_atomically`] with the bytes given.
///
/// # Errors
/// As [`write_atomically`].
pub fn write_bytes_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomically(path, |file| file.write_all(bytes))
}

fn write_then_rename(
    path: &Path,
    temporary: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temporary)?;
    let mut writer = BufWriter::new(file);
    write(&mut writer)?;
    let file = writer
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    file.sync_all()?;
    drop(file);
    fs::rename(temporary, path)?;
    sync_folder(path)
}

/// Syncs the folder holding `path`, so that the rename itself survives a power cut (on Unix;
/// elsewhere the rename is as durable as the system makes it).
#[cfg(unix)]
fn sync_folder(path: &Path) -> io::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(folder)?.sync_all()
}

#[cfg(not(unix))]
fn sync_folder(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// `.<file name>.<process id>.<counter>.tmp` in `path`'s directory.
fn temporary_path(path: &Path) -> io::Result<PathBuf> {
    let Some(file_name) = path.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} has no file name", path.display()),
        ));
    };
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = OsString::from(".");
    name.push(file_name);
    name.push(format!(".{}.{counter}.tmp", std::process::id()));
    Ok(path.with_file_name(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temporary_file_sits_beside_the_target() {
        let temporary = temporary_path(Path::new("/some/dir/picture.png")).unwrap();
        assert_eq!(temporary.parent(), Some(Path::new("/some/dir")));
        let name = temporary
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let prefix = format!(".picture.png.{}.", std::process::id());
        assert!(
            name.starts_with(&prefix) && name.ends_with(".tmp"),
            "{name}"
        );
    }

    #[test]
    fn replaces_the_file_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        fs::write(&path, "old").unwrap();
        write_bytes_atomically(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_removes_the_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        fs::write(&path, "old").unwrap();
        let error = write_atomically(&path, |file| {
            file.write_all(b"half")?;
            Err(io::Error::other("the writer failed"))
        })
        .unwrap_err();
        assert_eq!(error.to_string(), "the writer failed");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_path_without_a_file_name_is_refused() {
        let error = write_bytes_atomically(Path::new("/"), b"x").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn a_missing_directory_is_an_error_that_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent").join("a.csv");
        let error = write_bytes_atomically(&path, b"x").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert!(!dir.path().join("absent").exists());
    }
}
