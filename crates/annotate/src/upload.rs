//! Checking a map uploaded by the page: a PNG of the image's size.

use std::io::Cursor;

use image::{GrayImage, ImageDecoder, ImageFormat};

/// Why an uploaded map was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// The body does not start with the PNG signature.
    #[error("the map must be a PNG file")]
    NotPng,
    /// The PNG does not decode.
    #[error("the PNG does not decode: {0}")]
    Corrupt(String),
    /// The PNG's size is not the image's.
    #[error("the map is {got:?} (width, height) but the image is {expected:?}")]
    WrongSize {
        /// The PNG's `(width, height)`.
        got: (u32, u32),
        /// The image's.
        expected: (u32, u32),
    },
}

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The 8-bit gray map in `bytes`, a PNG of `expected` `(width, height)` in any colour type
/// (colour is turned to luma; the page sends gray). The size is checked from the header
/// before anything is decompressed.
///
/// # Errors
/// [`UploadError`] saying what is wrong.
pub fn decode_map_png(bytes: &[u8], expected: (u32, u32)) -> Result<GrayImage, UploadError> {
    if !bytes.starts_with(SIGNATURE) {
        return Err(UploadError::NotPng);
    }
    let corrupt = |e: image::ImageError| UploadError::Corrupt(e.to_string());
    let decoder = image::codecs::png::PngDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
    let got = decoder.dimensions();
    if got != expected {
        return Err(UploadError::WrongSize { got, expected });
    }
    let image = image::load_from_memory_with_format(bytes, ImageFormat::Png).map_err(corrupt)?;
    Ok(image.to_luma8())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(image: image::DynamicImage) -> Vec<u8> {
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        bytes
    }

    #[test]
    fn gray_and_colour_pngs_of_the_right_size_are_read() {
        let gray = GrayImage::from_fn(3, 2, |x, y| image::Luma([(x * 40 + y * 100) as u8]));
        let bytes = png(gray.clone().into());
        assert_eq!(decode_map_png(&bytes, (3, 2)).unwrap(), gray);
        // What a canvas sends: r = g = b = value, opaque.
        let rgba = image::RgbaImage::from_fn(3, 2, |x, y| {
            let v = gray.get_pixel(x, y)[0];
            image::Rgba([v, v, v, 255])
        });
        assert_eq!(decode_map_png(&png(rgba.into()), (3, 2)).unwrap(), gray);
    }

    #[test]
    fn wrong_uploads_are_named() {
        let bytes = png(GrayImage::new(3, 2).into());
        assert_eq!(
            decode_map_png(&bytes, (2, 3)),
            Err(UploadError::WrongSize {
                got: (3, 2),
                expected: (2, 3)
            })
        );
        assert_eq!(decode_map_png(b"GIF89a", (3, 2)), Err(UploadError::NotPng));
        let cut = &bytes[..bytes.len() - 20];
        assert!(matches!(
            decode_map_png(cut, (3, 2)),
            Err(UploadError::Corrupt(_))
        ));
    }
}
