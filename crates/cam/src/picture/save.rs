//! Writing pictures to PNG files atomically.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, RgbImage};

use super::PictureError;

/// Distinguishes the temporary files of concurrent saves within one process.
static SAVE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `image` to `path` as a PNG file, atomically.
///
/// The PNG is written and synced to a new temporary file in the same directory
/// (`.<file name>.<process id>.<counter>.tmp`), which is then renamed onto `path`. Readers see
/// either the old file or the complete new one, never half a PNG; on any failure the
/// temporary file is removed and an existing file at `path` is left as it was. The directory
/// must exist.
///
/// # Errors
/// [`PictureError::NoFileName`] if `path` has no file name, [`PictureError::Encode`] if the
/// PNG encoder refuses the image (a zero width or height), [`PictureError::Io`] if the file
/// cannot be created, written or renamed into place; each names `path`.
pub fn save_png(image: &RgbImage, path: &Path) -> Result<(), PictureError> {
    let Some(file_name) = path.file_name() else {
        return Err(PictureError::NoFileName {
            path: path.to_owned(),
        });
    };
    let counter = SAVE_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temporary = temporary_path(path, file_name, counter);

    let result = write_then_rename(image, path, &temporary);
    if result.is_err() {
        // Best effort: the file may never have been created, and the original error is the
        // one worth reporting.
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// Writes the PNG to `temporary`, syncs it, and renames it onto `path`.
fn write_then_rename(image: &RgbImage, path: &Path, temporary: &Path) -> Result<(), PictureError> {
    let io_error = |source| PictureError::Io {
        path: path.to_owned(),
        source,
    };
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temporary)
        .map_err(io_error)?;
    let mut writer = BufWriter::new(file);
    PngEncoder::new(&mut writer)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .map_err(|source| PictureError::Encode {
            path: path.to_owned(),
            source,
        })?;
    let file: File = writer
        .into_inner()
        .map_err(|error| io_error(error.into_error()))?;
    file.sync_all().map_err(io_error)?;
    drop(file);
    fs::rename(temporary, path).map_err(io_error)
}

/// `.<file name>.<process id>.<counter>.tmp` in `path`'s directory.
fn temporary_path(path: &Path, file_name: &OsStr, counter: u64) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(file_name);
    name.push(format!(".{}.{counter}.tmp", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_file_sits_beside_the_target() {
        let path = Path::new("/some/dir/picture.png");
        let temporary = temporary_path(path, OsStr::new("picture.png"), 7);
        assert_eq!(temporary.parent(), Some(Path::new("/some/dir")));
        let expected = format!(".picture.png.{}.7.tmp", std::process::id());
        assert_eq!(temporary.file_name().unwrap(), expected.as_str());
    }

    #[test]
    fn a_path_without_a_file_name_is_refused() {
        let image = RgbImage::new(1, 1);
        let error = save_png(&image, Path::new("/")).unwrap_err();
        assert!(matches!(error, PictureError::NoFileName { ref path } if path == Path::new("/")));
        assert_eq!(
            error.to_string(),
            "cannot save a picture to /: the path has no file name"
        );
    }
}
