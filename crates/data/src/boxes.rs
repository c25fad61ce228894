//! Human maps from bounding boxes: a CSV of boxes or Pascal VOC XML files, drawn as hard masks
//! or box-shaped Gaussians.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::DataError;
use crate::annotation_table::Table;

/// A box in pixel coordinates of its image (x to the right, y down): it covers the pixels whose
/// centres lie in `[x0, x1) × [y0, y1)`, so integer corners cover columns `x0..x1` and rows
/// `y0..y1`, as NumPy's `mask[y0:y1, x0:x1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundingBox {
    /// Left edge.
    pub x0: f32,
    /// Top edge.
    pub y0: f32,
    /// Right edge, `> x0`.
    pub x1: f32,
    /// Bottom edge, `> y0`.
    pub y1: f32,
    /// The object's class, if the annotation names one.
    pub label: Option<String>,
}

/// How [`box_map`] draws a box.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum BoxShape {
    /// 1 inside the box, 0 outside.
    Hard,
    /// `exp(−½ (dx/σx)² − ½ (dy/σy)²)` about the box's centre, with `σ = spread × half the
    /// box's width (height)`: 1 at the centre, `exp(−½ / spread²)` on the edges' midpoints
    /// (0.14 for a spread of 0.5).
    Gaussian {
        /// σ as a share of the half-width and half-height, `> 0`.
        spread: f32,
    },
}

/// Boxes by image file name, as [`read_box_csv`] and [`read_voc_xml`] give them.
pub type BoxAnnotations = BTreeMap<String, Vec<BoundingBox>>;

/// Reads a CSV of boxes: a header naming the columns `image`, `x0`, `y0`, `x1`, `y1` and
/// optionally `label` (in any order; other columns are ignored), then one box per row. An image
/// may have several rows. `image` is the image's file name (or path, as the dataset names it);
/// coordinates are pixels, as [`BoundingBox`] says.
///
/// # Errors
/// A [`DataError`] naming the file and line: unreadable CSV, a missing column, an empty cell,
/// a coordinate that is not a finite number, or a box with `x1 <= x0` or `y1 <= y0`.
pub fn read_box_csv(path: impl AsRef<Path>) -> Result<BoxAnnotations, DataError> {
    let path = path.as_ref();
    boxes_from_table(&Table::read(path, &BOX_COLUMNS, 5)?)
}

/// [`read_box_csv`] on CSV text, as if it were the file `path` (which names it in errors).
///
/// # Errors
/// As [`read_box_csv`].
pub fn parse_box_csv(reader: impl std::io::Read, path: &Path) -> Result<BoxAnnotations, DataError> {
    boxes_from_table(&Table::parse(reader, path, &BOX_COLUMNS, 5)?)
}

const BOX_COLUMNS: [&str; 6] = ["image", "x0", "y0", "x1", "y1", "label"];

fn boxes_from_table(table: &Table) -> Result<BoxAnnotations, DataError> {
    let mut boxes = BoxAnnotations::new();
    for row in table.rows() {
        let image = row.required(0, "image")?.to_string();
        let [x0, y0, x1, y1] = [1, 2, 3, 4].map(|i| row.number(i, BOX_COLUMNS[i]));
        let bounding_box = BoundingBox {
            x0: x0?,
            y0: y0?,
            x1: x1?,
            y1: y1?,
            label: row.text(5).map(str::to_string),
        };
        check_box(&bounding_box).map_err(|message| row.error(message))?;
        boxes.entry(image).or_default().push(bounding_box);
    }
    if boxes.is_empty() {
        return Err(DataError::Empty {
            path: table.path().to_path_buf(),
            what: "box",
        });
    }
    Ok(boxes)
}

fn check_box(b: &BoundingBox) -> Result<(), String> {
    if b.x1 > b.x0 && b.y1 > b.y0 {
        Ok(())
    } else {
        Err(format!(
            "the box ({}, {})–({}, {}) is empty: x1 must exceed x0 and y1 exceed y0",
            b.x0, b.y0, b.x1, b.y1
        ))
    }
}

/// One image's annotation in Pascal VOC's XML: its file name, its size `[height, width]` and
/// its objects' boxes (labelled with the object's `name`).
#[derive(Debug, Clone, PartialEq)]
pub struct VocAnnotation {
    /// `<filename>`.
    pub filename: String,
    /// `<size>`: `[height, width]`.
    pub size: [usize; 2],
    /// Each `<object>`'s `<bndbox>`. VOC's corners are 1-based and inclusive; here they are
    /// [`BoundingBox`]'s: `x0 = xmin − 1`, `x1 = xmax` (the same pixels).
    pub boxes: Vec<BoundingBox>,
}

/// Reads a Pascal VOC annotation file (`<annotation>` with `<filename>`, `<size>` and
/// `<object><name/><bndbox><xmin/><ymin/><xmax/><ymax/></bndbox></object>`).
///
/// # Errors
/// [`DataError::Io`] if it cannot be read; [`DataError::BadRow`] naming the file and the line
/// of the element at fault: not XML, a missing element, a coordinate that is not a number, an
/// empty box.
pub fn read_voc_xml(path: impl AsRef<Path>) -> Result<VocAnnotation, DataError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(DataError::io(path))?;
    parse_voc_xml(&text, path)
}

/// [`read_voc_xml`] on XML text, as if it were the file `path` (which names it in errors).
///
/// # Errors
/// As [`read_voc_xml`].
pub fn parse_voc_xml(text: &str, path: &Path) -> Result<VocAnnotation, DataError> {
    let document = roxmltree::Document::parse(text).map_err(|e| DataError::BadRow {
        path: path.to_path_buf(),
        line: e.pos().row as usize,
        message: format!("not valid XML: {e}"),
    })?;
    let voc = Voc {
        document: &document,
        path,
    };
    let root = document.root_element();
    if root.tag_name().name() != "annotation" {
        return Err(voc.error(
            root,
            format!(
                "the root element is <{}>, not <annotation>",
                root.tag_name().name()
            ),
        ));
    }
    let filename = voc.text(root, "filename")?;
    let size_node = voc.child(root, "size")?;
    let size = [
        voc.number(size_node, "height")? as usize,
        voc.number(size_node, "width")? as usize,
    ];
    let mut boxes = Vec::new();
    for object in root.children().filter(|c| c.has_tag_name("object")) {
        let bndbox = voc.child(object, "bndbox")?;
        let bounding_box = BoundingBox {
            x0: voc.number(bndbox, "xmin")? - 1.0,
            y0: voc.number(bndbox, "ymin")? - 1.0,
            x1: voc.number(bndbox, "xmax")?,
            y1: voc.number(bndbox, "ymax")?,
            label: voc.text(object, "name").ok(),
        };
        check_box(&bounding_box).map_err(|message| voc.error(bndbox, message))?;
        boxes.push(bounding_box);
    }
    Ok(VocAnnotation {
        filename,
        size,
        boxes,
    })
}

/// A parsed VOC file, for errors that name its lines.
struct Voc<'a, 'input> {
    document: &'a roxmltree::Document<'input>,
    path: &'a Path,
}

impl<'a, 'input> Voc<'a, 'input> {
    /// An error at the line where `node` starts.
    fn error(&self, node: roxmltree::Node, message: String) -> DataError {
        DataError::BadRow {
            path: self.path.to_path_buf(),
            line: self.document.text_pos_at(node.range().start).row as usize,
            message,
        }
    }

    /// The first child element of `node` named `name`.
    fn child(
        &self,
        node: roxmltree::Node<'a, 'input>,
        name: &str,
    ) -> Result<roxmltree::Node<'a, 'input>, DataError> {
        node.children()
            .find(|c| c.has_tag_name(name))
            .ok_or_else(|| {
                self.error(
                    node,
                    format!("<{}> has no <{name}>", node.tag_name().name()),
                )
            })
    }

    /// The trimmed text of that child.
    fn text(&self, node: roxmltree::Node<'a, 'input>, name: &str) -> Result<String, DataError> {
        Ok(self
            .child(node, name)?
            .text()
            .unwrap_or("")
            .trim()
            .to_string())
    }

    /// The finite number that child holds.
    fn number(&self, node: roxmltree::Node<'a, 'input>, name: &str) -> Result<f32, DataError> {
        let child = self.child(node, name)?;
        let text = child.text().unwrap_or("").trim();
        text.parse::<f32>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| self.error(child, format!("<{name}> must be a number, got {text:?}")))
    }
}

/// The map of `boxes` over an image of `size = [height, width]` pixels, row-major, values in
/// `[0, 1]`: each box drawn as `shape` says, overlapping boxes taking the larger value. Parts
/// of boxes outside the image are cut off; no box gives zeros.
///
/// # Panics
/// If a [`BoxShape::Gaussian`] spread is not positive.
pub fn box_map(boxes: &[BoundingBox], size: [usize; 2], shape: BoxShape) -> Vec<f32> {
    let [height, width] = size;
    let mut map = vec![0.0f32; height * width];
    for b in boxes {
        match shape {
            BoxShape::Hard => {
                // Pixels whose centre c + 0.5 lies in [x0, x1).
                let range = |lo: f32, hi: f32, n: usize| {
                    let first = (lo - 0.5).ceil().max(0.0) as usize;
                    let end = ((hi - 0.5).ceil().max(0.0) as usize).min(n);
                    first..end.max(first)
                };
                for r in range(b.y0, b.y1, height) {
                    for c in range(b.x0, b.x1, width) {
                        map[r * width + c] = 1.0;
                    }
                }
            }
            BoxShape::Gaussian { spread } => {
                assert!(spread > 0.0, "spread must be positive, got {spread}");
                let (cx, cy) = ((b.x0 + b.x1) / 2.0, (b.y0 + b.y1) / 2.0);
                let sx = spread * (b.x1 - b.x0) / 2.0;
                let sy = spread * (b.y1 - b.y0) / 2.0;
                for r in 0..height {
                    let dy = (r as f32 + 0.5 - cy) / sy;
                    for c in 0..width {
                        let dx = (c as f32 + 0.5 - cx) / sx;
                        let value = (-0.5 * (dx * dx + dy * dy)).exp();
                        let cell = &mut map[r * width + c];
                        *cell = cell.max(value);
                    }
                }
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x0: f32, y0: f32, x1: f32, y1: f32) -> BoundingBox {
        BoundingBox {
            x0,
            y0,
            x1,
            y1,
            label: None,
        }
    }

    #[test]
    fn hard_boxes_cover_the_pixels_numpy_slicing_would() {
        // mask[1:3, 0:2] on a 3×4 image, plus a box hanging over the right edge.
        let map = box_map(
            &[b(0.0, 1.0, 2.0, 3.0), b(3.0, 0.0, 9.0, 1.0)],
            [3, 4],
            BoxShape::Hard,
        );
        #[rustfmt::skip]
        assert_eq!(map, [
            0.0, 0.0, 0.0, 1.0,
            1.0, 1.0, 0.0, 0.0,
            1.0, 1.0, 0.0, 0.0,
        ]);
    }

    #[test]
    fn gaussian_boxes_peak_at_the_centre_and_follow_the_box() {
        // A 4×2 box centred at (2, 1) on a 3×5 image, spread 0.5: σx = 1, σy = 0.5.
        let map = box_map(
            &[b(0.0, 0.0, 4.0, 2.0)],
            [3, 5],
            BoxShape::Gaussian { spread: 0.5 },
        );
        let at = |r: usize, c: usize| map[r * 5 + c];
        // Pixel (row 0, col 1) has its centre at (1.5, 0.5): dx = −0.5, dy = −1.
        let expected = (-0.5f32 * (0.25 + 1.0)).exp();
        assert!(
            (at(0, 1) - expected).abs() < 1e-6,
            "{} vs {expected}",
            at(0, 1)
        );
        // (1.5, 0.5) and (2.5, 1.5) mirror each other about the centre (2, 1).
        assert_eq!(at(0, 1), at(1, 2));
        assert!(at(0, 4) < at(0, 1));
    }

    #[test]
    fn csv_rows_group_by_image_and_bad_rows_name_their_line() {
        let text =
            "image,label,x0,y0,x1,y1\na.png,cat,0,0,2,2\nb.png,,1,1,3,4\na.png,dog,1,1,2,2\n";
        let boxes = parse_box_csv(text.as_bytes(), Path::new("boxes.csv")).unwrap();
        assert_eq!(boxes["a.png"].len(), 2);
        assert_eq!(boxes["a.png"][1].label.as_deref(), Some("dog"));
        assert_eq!(boxes["b.png"][0], b(1.0, 1.0, 3.0, 4.0));
        for (text, needle) in [
            (
                "image,x0,y0,x1\na.png,0,0,1\n",
                "boxes.csv:1: the header has no `y1` column",
            ),
            (
                "image,x0,y0,x1,y1\na.png,0,0,1,1\nb.png,0,zero,1,1\n",
                "boxes.csv:3: `y0` must be a finite number, got \"zero\"",
            ),
            (
                "image,x0,y0,x1,y1\na.png,2,0,1,1\n",
                "boxes.csv:2: the box (2, 0)–(1, 1) is empty",
            ),
            ("image,x0,y0,x1,y1\n", "boxes.csv: no box found"),
        ] {
            let error = parse_box_csv(text.as_bytes(), Path::new("boxes.csv")).unwrap_err();
            assert!(error.to_string().contains(needle), "{error}");
        }
    }

    #[test]
    fn voc_xml_reads_the_boxes_one_based_and_inclusive() {
        let xml = "<annotation>\n<filename>000005.jpg</filename>\n\
            <size><width>500</width><height>375</height><depth>3</depth></size>\n\
            <object><name>chair</name><bndbox><xmin>263</xmin><ymin>211</ymin>\
            <xmax>324</xmax><ymax>339</ymax></bndbox></object>\n</annotation>";
        let voc = parse_voc_xml(xml, Path::new("000005.xml")).unwrap();
        assert_eq!(voc.filename, "000005.jpg");
        assert_eq!(voc.size, [375, 500]);
        assert_eq!(voc.boxes.len(), 1);
        assert_eq!((voc.boxes[0].x0, voc.boxes[0].x1), (262.0, 324.0));
        assert_eq!(voc.boxes[0].label.as_deref(), Some("chair"));
        let bad = xml.replace("<ymax>339</ymax>", "<ymax>tall</ymax>");
        let error = parse_voc_xml(&bad, Path::new("000005.xml"))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("000005.xml:4: <ymax> must be a number"),
            "{error}"
        );
        let error = parse_voc_xml("<annotation>", Path::new("x.xml"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("x.xml:1: not valid XML"), "{error}");
        let error = parse_voc_xml("<annotation/>", Path::new("x.xml"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("<annotation> has no <filename>"), "{error}");
    }
}
