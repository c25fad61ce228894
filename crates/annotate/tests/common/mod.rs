//! A small labelled image folder with a manifest, for the tests.

use std::io::Cursor;
use std::path::{Path, PathBuf};

/// Three gray images of 6×4 pixels (`a.png`, `b.png`, `c.png`, classes cat, dog, cat) and
/// `images.csv` listing them without maps. Returns the manifest.
pub fn write_images(dir: &Path) -> PathBuf {
    let mut csv = String::from("image,saliency,label\n");
    for (i, (name, label)) in [("a", "cat"), ("b", "dog"), ("c", "cat")]
        .iter()
        .enumerate()
    {
        image::GrayImage::from_fn(6, 4, |x, y| {
            image::Luma([(x * 30 + y * 10 + i as u32) as u8])
        })
        .save(dir.join(format!("{name}.png")))
        .unwrap();
        csv.push_str(&format!("{name}.png,,{label}\n"));
    }
    let manifest = dir.join("images.csv");
    std::fs::write(&manifest, csv).unwrap();
    manifest
}

/// A 6×4 map whose pixel `(x, y)` is `value(x, y)`, as PNG bytes.
pub fn map_png(value: impl Fn(u32, u32) -> u8) -> (image::GrayImage, Vec<u8>) {
    let map = image::GrayImage::from_fn(6, 4, |x, y| image::Luma([value(x, y)]));
    let mut bytes = Vec::new();
    map.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    (map, bytes)
}
