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
