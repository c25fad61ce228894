//! One run per folder: an exclusive lock on `run.lock` in the run folder, held by the
//! operating system for as long as the process holds the file open, so a killed run leaves no
//! stuck lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::TrainError;

/// The lock file's name in a run folder.
pub const LOCK_FILE: &str = "run.lock";

/// Holds a run folder for this process until dropped.
///
/// The lock is the operating system's advisory file lock (`flock` on Unix, `LockFileEx` on
/// Windows) on `DIR/run.lock`; the file records who holds it (process id and command line).
/// The system releases the lock when the process ends, however it ends: a folder whose last
/// run was killed is taken over by the next one, with a message naming the dead run. A
/// clean release empties the file, so a non-empty unlocked file is exactly that case.
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
}

impl RunLock {
    /// Takes the lock of the run folder `dir` (created if missing).
    ///
    /// # Errors
    /// [`TrainError::Busy`] naming the process that holds it, or [`TrainError::Io`] if the
    /// folder or the lock file cannot be written. On a file system without file locks, the
    /// run goes on unlocked with a warning on standard error.
    pub fn acquire(dir: &Path) -> Result<Self, TrainError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TrainError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(TrainError::Busy {
                    dir: dir.to_path_buf(),
                    holder: holder(&mut file),
                });
            }
            Err(TryLockError::Error(source))
                if source.kind() == std::io::ErrorKind::Unsupported =>
            {
                tracing::warn!(
                    "{}: this file system has no file locks; another run on the same folder \
                     would not be detected",
                    path.display()
                );
            }
            Err(TryLockError::Error(source)) => return Err(TrainError::Io { path, source }),
        }
        let previous = holder(&mut file);
        if !previous.is_empty() {
            tracing::warn!(
                "{}: taking over the lock of a run that is no longer running ({previous})",
                dir.display()
            );
        }
        let me = format!(
            "pid {}: {}",
            std::process::id(),
            std::env::args().collect::<Vec<_>>().join(" ")
        );
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(me.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(io(&path))?;
        Ok(Self { file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What the lock file says of its holder (empty if nothing).
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|()| file.read_to_string(&mut text));
    text.trim().to_string()
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Empty the file while still holding the lock: the next run then knows this one ended
        // cleanly. The lock itself goes with the file handle.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_a_held_folder_is_refused_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path()).unwrap();
        let error = RunLock::acquire(dir.path()).unwrap_err();
        let TrainError::Busy { holder, .. } = &error else {
            panic!("expected Busy, got {error}");
        };
        assert!(
            holder.starts_with(&format!("pid {}:", std::process::id())),
            "{holder}"
        );
        assert!(error.to_string().contains("in use"), "{error}");
        drop(first);
        let again = RunLock::acquire(dir.path()).unwrap();
        assert!(again.path().ends_with(LOCK_FILE));
    }

    #[test]
    fn a_lock_file_left_by_a_dead_run_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), "pid 999999999: cyborg train").unwrap();
        let lock = RunLock::acquire(dir.path()).unwrap();
        let text = std::fs::read_to_string(lock.path()).unwrap();
        assert!(
            text.starts_with(&format!("pid {}:", std::process::id())),
            "{text}"
        );
        drop(lock);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap(),
            ""
        );
    }
}
