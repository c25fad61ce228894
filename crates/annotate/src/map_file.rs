//! A map's PNG file names the image it belongs to (an `iTXt` chunk), so a map found on disk
//! without a manifest or log entry is claimed only by its own image.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use image::GrayImage;

/// The `iTXt` keyword holding the image's absolute path.
const IMAGE_KEYWORD: &str = "cyborg-image";

/// `map` as an 8-bit gray PNG that records `image`.
pub(crate) fn encode_map(map: &GrayImage, image: &Path) -> Result<Vec<u8>, png::EncodingError> {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, map.width(), map.height());
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.add_itxt_chunk(IMAGE_KEYWORD.into(), image.to_string_lossy().into_owned())?;
        let mut writer = encoder.write_header()?;
        writer.write_image_data(map.as_raw())?;
        writer.finish()?;
    }
    Ok(bytes)
}

/// The image a map file records, if it is a PNG that records one.
pub(crate) fn map_image(path: &Path) -> Option<PathBuf> {
    let file = std::fs::File::open(path).ok()?;
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_ignore_text_chunk(false);
    let reader = decoder.read_info().ok()?;
    reader
        .info()
        .utf8_text
        .iter()
        .find(|chunk| chunk.keyword == IMAGE_KEYWORD)
        .and_then(|chunk| chunk.get_text().ok())
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_names_its_image_and_decodes_as_gray() {
        let dir = tempfile::tempdir().unwrap();
        let map = GrayImage::from_fn(5, 3, |x, y| image::Luma([(x * 50 + y) as u8]));
        let image = Path::new("/data/photos/été 1.jpg");
        let path = dir.path().join("m.png");
        std::fs::write(&path, encode_map(&map, image).unwrap()).unwrap();
        assert_eq!(map_image(&path).as_deref(), Some(image));
        let read = image::open(&path).unwrap();
        assert_eq!(read.color(), image::ColorType::L8);
        assert_eq!(read.to_luma8(), map);
        map.save(&path).unwrap();
        assert_eq!(map_image(&path), None);
        assert_eq!(map_image(&dir.path().join("none.png")), None);
    }
}
