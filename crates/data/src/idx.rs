//! IDX files (MNIST, Fashion-MNIST), gzip-compressed or not.

use std::io::Read;
use std::path::Path;

use crate::DataError;

/// An unsigned-byte IDX array: MNIST's and Fashion-MNIST's images (`[n, 28, 28]`) and labels
/// (`[n]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Size of each dimension, outermost first.
    pub dims: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<u8>,
}

impl IdxArray {
    /// Entries `range` along the first axis (images `start..end` of `[n, h, w]`, labels of
    /// `[n]`).
    ///
    /// # Panics
    /// If the array has no axis or `range` does not lie in `0..dims[0]`.
    pub fn rows(&self, range: std::ops::Range<usize>) -> IdxArray {
        let row: usize = self.dims[1..].iter().product();
        let mut dims = self.dims.clone();
        dims[0] = range.len();
        IdxArray {
            dims,
            data: self.data[range.start * row..range.end * row].to_vec(),
        }
    }
}

/// The four files of MNIST or Fashion-MNIST, as their distributions name them
/// (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
/// `t10k-labels-idx1-ubyte`), read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnistFiles {
    /// The folder they were read from.
    pub dir: std::path::PathBuf,
    /// Training images `[n, h, w]`.
    pub train_images: IdxArray,
    /// Training labels `[n]`.
    pub train_labels: IdxArray,
    /// Test images `[m, h, w]`.
    pub test_images: IdxArray,
    /// Test labels `[m]`.
    pub test_labels: IdxArray,
}

impl MnistFiles {
    /// Reads the four files from `dir`, each gzip-compressed (`.gz`, as Debian's
    /// `dataset-fashion-mnist` ships them) or not.
    ///
    /// # Errors
    /// [`DataError::Io`] naming the first file found in neither form, [`DataError::Idx`] if a
    /// file is malformed or images and labels disagree in number.
    pub fn read(dir: impl AsRef<Path>) -> Result<Self, DataError> {
        let dir = dir.as_ref();
        let read = |name: &str| {
            let gz = dir.join(format!("{name}.gz"));
            read_idx(if gz.is_file() { gz } else { dir.join(name) })
        };
        let files = MnistFiles {
            dir: dir.to_path_buf(),
            train_images: read("train-images-idx3-ubyte")?,
            train_labels: read("train-labels-idx1-ubyte")?,
            test_images: read("t10k-images-idx3-ubyte")?,
            test_labels: read("t10k-labels-idx1-ubyte")?,
        };
        for (split, images, labels) in [
            ("train", &files.train_images, &files.train_labels),
            ("t10k", &files.test_images, &files.test_labels),
        ] {
            if images.dims.len() != 3 || labels.dims != images.dims[..1] {
                return Err(DataError::Idx {
                    path: dir.to_path_buf(),
                    message: format!(
                        "{split} images {:?} and labels {:?} do not match ([n, h, w] and [n])",
                        images.dims, labels.dims
                    ),
                });
            }
        }
        Ok(files)
    }
}

/// Reads an IDX file of unsigned bytes (type code `0x08`); files ending in gzip's magic
/// bytes are decompressed first, whatever their name.
///
/// Debian's `dataset-fashion-mnist` package puts Fashion-MNIST under
/// `/usr/share/datasets/fashion-mnist`.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be read, [`DataError::Idx`] if it is not a well-formed
/// unsigned-byte IDX file (bad magic, other element type, sizes that disagree with its length).
pub fn read_idx(path: impl AsRef<Path>) -> Result<IdxArray, DataError> {
    let path = path.as_ref();
    let raw = std::fs::read(path).map_err(DataError::io(path))?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(DataError::io(path))?;
        out
    } else {
        raw
    };
    parse_idx(&bytes).map_err(|message| DataError::Idx {
        path: path.to_path_buf(),
        message,
    })
}

/// Parses the bytes of an unsigned-byte IDX file.
///
/// # Errors
/// A message saying what is malformed.
pub fn parse_idx(bytes: &[u8]) -> Result<IdxArray, String> {
    let header = bytes
        .get(..4)
        .ok_or_else(|| format!("{} bytes is too short for a header", bytes.len()))?;
    if header[0] != 0 || header[1] != 0 {
        return Err(format!(
            "magic starts with {:#04x} {:#04x}, not 0 0",
            header[0], header[1]
        ));
    }
    if header[2] != 0x08 {
        return Err(format!(
            "element type {:#04x} is not unsigned byte (0x08)",
            header[2]
        ));
    }
    let rank = header[3] as usize;
    if rank == 0 {
        return Err("rank 0".into());
    }
    let dims_end = 4 + 4 * rank;
    let dim_bytes = bytes
        .get(4..dims_end)
        .ok_or_else(|| format!("file ends inside the {rank} dimension sizes"))?;
    let dims: Vec<usize> = dim_bytes
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| format!("dimensions {dims:?} overflow"))?;
    let data = &bytes[dims_end..];
    if data.len() != expected {
        return Err(format!(
            "dimensions {dims:?} need {expected} bytes of data, the file has {}",
            data.len()
        ));
    }
    Ok(IdxArray {
        dims,
        data: data.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
        for d in dims {
            bytes.extend(d.to_be_bytes());
        }
        bytes.extend(data);
        bytes
    }

    #[test]
    fn rows_cut_along_the_first_axis() {
        let array = parse_idx(&idx_bytes(&[3, 2], &[1, 2, 3, 4, 5, 6])).unwrap();
        let rows = array.rows(1..3);
        assert_eq!(rows.dims, vec![2, 2]);
        assert_eq!(rows.data, vec![3, 4, 5, 6]);
        assert_eq!(array.rows(0..0).data, Vec::<u8>::new());
    }

    #[test]
    fn mnist_files_are_read_plain_or_gzipped_and_checked() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: Vec<u8>, gz: bool| {
            if gz {
                let file = std::fs::File::create(dir.path().join(format!("{name}.gz"))).unwrap();
                let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
                encoder.write_all(&bytes).unwrap();
                encoder.finish().unwrap();
            } else {
                std::fs::write(dir.path().join(name), bytes).unwrap();
            }
        };
        write(
            "train-images-idx3-ubyte",
            idx_bytes(&[2, 1, 2], &[1, 2, 3, 4]),
            true,
        );
        write("train-labels-idx1-ubyte", idx_bytes(&[2], &[0, 1]), false);
        write(
            "t10k-images-idx3-ubyte",
            idx_bytes(&[1, 1, 2], &[5, 6]),
            false,
        );
        // The test labels are missing: the error names the file.
        let missing = MnistFiles::read(dir.path()).unwrap_err();
        assert!(
            matches!(&missing, DataError::Io { path, .. }
            if path.ends_with("t10k-labels-idx1-ubyte")),
            "{missing}"
        );
        write("t10k-labels-idx1-ubyte", idx_bytes(&[2], &[0, 1]), true);
        let mismatch = MnistFiles::read(dir.path()).unwrap_err();
        assert!(
            mismatch
                .to_string()
                .contains("t10k images [1, 1, 2] and labels [2]"),
            "{mismatch}"
        );
        write("t10k-labels-idx1-ubyte", idx_bytes(&[1], &[1]), true);
        let files = MnistFiles::read(dir.path()).unwrap();
        assert_eq!(files.train_images.data, vec![1, 2, 3, 4]);
        assert_eq!(files.test_labels.data, vec![1]);
    }

    #[test]
    fn parses_a_small_array() {
        let array = parse_idx(&idx_bytes(&[2, 3], &[1, 2, 3, 4, 5, 6])).unwrap();
        assert_eq!(array.dims, vec![2, 3]);
        assert_eq!(array.data, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn rejects_malformed_files_with_a_reason() {
        assert!(parse_idx(&[0, 0]).unwrap_err().contains("too short"));
        assert!(parse_idx(&[1, 0, 8, 1]).unwrap_err().contains("magic"));
        assert!(
            parse_idx(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 0])
                .unwrap_err()
                .contains("element type")
        );
        assert!(
            parse_idx(&[0, 0, 8, 2, 0, 0])
                .unwrap_err()
                .contains("ends inside")
        );
        let short = idx_bytes(&[2, 3], &[1, 2, 3]);
        assert!(parse_idx(&short).unwrap_err().contains("need 6 bytes"));
        let huge = idx_bytes(&[u32::MAX, u32::MAX, u32::MAX], &[]);
        assert!(parse_idx(&huge).is_err());
    }

    #[test]
    fn reads_gzip_and_plain_files() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let bytes = idx_bytes(&[4], &[9, 8, 7, 6]);
        let plain = dir.path().join("labels-idx1-ubyte");
        std::fs::write(&plain, &bytes).unwrap();
        let gz = dir.path().join("labels-idx1-ubyte.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&bytes).unwrap();
        std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
        assert_eq!(read_idx(&plain).unwrap(), read_idx(&gz).unwrap());
        let missing = read_idx(dir.path().join("nope")).unwrap_err();
        assert!(missing.to_string().contains("nope"), "{missing}");
    }
}
