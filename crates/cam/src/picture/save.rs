//! Writing pictures to PNG files atomically.

use std::io::Write;
use std::path::Path;

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, RgbImage};

use super::PictureError;

/// Writes `image` to `path` as a PNG file, atomically.
///
/// The PNG is encoded in memory, then written and synced to a new temporary file in the same
/// directory and renamed onto `path` (`cyborg_atomic_write`). Readers see either the old file
/// or the complete new one, never half a PNG; on any failure the temporary file is removed
/// and an existing file at `path` is left as it was. The directory must exist.
///
/// # Errors
/// [`PictureError::NoFileName`] if `path` has no file name, [`PictureError::Encode`] if the
/// PNG encoder refuses the image (a zero width or height), [`PictureError::Io`] if the file
/// cannot be created, written or renamed into place; each names `path`.
pub fn save_png(image: &RgbImage, path: &Path) -> Result<(), PictureError> {
    if path.file_name().is_none() {
        return Err(PictureError::NoFileName {
            path: path.to_owned(),
        });
    }
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
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
    cyborg_atomic_write::write_atomically(path, |file| file.write_all(&png)).map_err(|source| {
        PictureError::Io {
            path: path.to_owned(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
