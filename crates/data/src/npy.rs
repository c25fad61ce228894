//! Human maps as NumPy `.npy` files: float maps that are not quantised to 8 bits.

use std::path::Path;

use ndarray::{Array2, ArrayD, Axis, Ix2};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};

use crate::DataError;

/// A map read from a `.npy` file: row-major values and `[height, width]`.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyMap {
    /// Row-major `[height, width]` values.
    pub values: Vec<f32>,
    /// `[height, width]`.
    pub size: [usize; 2],
}

/// Reads a 2-D map (`[height, width]`, or `[1, height, width]`) of `float32` or `float64`
/// values from a NumPy `.npy` file, C or Fortran order.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be read; [`DataError::Npy`] if it is not a `.npy`
/// file, holds another element type or shape, is empty, or holds a NaN or an infinity.
pub fn read_npy_map(path: impl AsRef<Path>) -> Result<NpyMap, DataError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(DataError::io(path))?;
    parse_npy_map(&bytes).map_err(|source| DataError::Npy {
        path: path.to_path_buf(),
        source,
    })
}

/// [`read_npy_map`] on the bytes of a `.npy` file.
///
/// # Errors
/// What is wrong with the bytes or the array they hold.
pub fn parse_npy_map(bytes: &[u8]) -> Result<NpyMap, Box<dyn std::error::Error + Send + Sync>> {
    let array: ArrayD<f32> = match ArrayD::<f32>::read_npy(bytes) {
        Ok(array) => array,
        Err(first) => match ArrayD::<f64>::read_npy(bytes) {
            Ok(array) => array.mapv(|v| v as f32),
            Err(_) => return Err(Box::new(first)),
        },
    };
    let shape = array.shape().to_vec();
    let map: Array2<f32> = match shape.as_slice() {
        [_, _] => array.into_dimensionality::<Ix2>()?,
        [1, _, _] => array
            .index_axis_move(Axis(0), 0)
            .into_dimensionality::<Ix2>()?,
        _ => {
            return Err(format!(
                "the array has shape {shape:?}; a map is [height, width] or [1, height, width]"
            )
            .into());
        }
    };
    let size = [map.nrows(), map.ncols()];
    if size.contains(&0) {
        return Err(format!("the map is empty ({}×{})", size[0], size[1]).into());
    }
    // Row-major whatever the file's order.
    let values: Vec<f32> = map.iter().copied().collect();
    if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
        return Err(format!("the map holds {bad}; every value must be finite").into());
    }
    Ok(NpyMap { values, size })
}

/// Writes a row-major `[height, width]` map as a `float32` `.npy` file, through a temporary
/// file renamed into place.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be written.
///
/// # Panics
/// If `values` does not hold `height · width` values.
pub fn write_npy_map(
    path: impl AsRef<Path>,
    values: &[f32],
    size: [usize; 2],
) -> Result<(), DataError> {
    let path = path.as_ref();
    assert_eq!(
        values.len(),
        size[0] * size[1],
        "{} values for a {}×{} map",
        values.len(),
        size[0],
        size[1]
    );
    let array = Array2::from_shape_vec(size, values.to_vec()).expect("length checked");
    let mut bytes = Vec::new();
    array
        .write_npy(&mut bytes)
        .map_err(|source| DataError::Npy {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
    cyborg_atomic_write::write_bytes_atomically(path, &bytes).map_err(DataError::io(path))
}

/// Whether `path` names a `.npy` file (by its extension, in any case).
pub(crate) fn is_npy(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("npy"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_what_numpy_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("map.npy");
        let values = [0.0, 0.25, 1.0 / 3.0, 1.0, 0.5, 0.125];
        write_npy_map(&path, &values, [2, 3]).unwrap();
        let map = read_npy_map(&path).unwrap();
        assert_eq!(map.size, [2, 3]);
        assert_eq!(map.values, values);
        // numpy.save(f, numpy.array([[1., 2.], [3., 4.]], dtype="<f8", order="F")), by hand:
        // Fortran order, float64; read back row-major.
        let header = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }";
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        let padded = format!("{header:<117}\n");
        bytes.extend((padded.len() as u16).to_le_bytes());
        bytes.extend(padded.as_bytes());
        for v in [1.0f64, 3.0, 2.0, 4.0] {
            bytes.extend(v.to_le_bytes());
        }
        let map = parse_npy_map(&bytes).unwrap();
        assert_eq!(map.values, [1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn other_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.npy");
        std::fs::write(&path, b"not numpy").unwrap();
        let error = read_npy_map(&path).unwrap_err().to_string();
        assert!(error.contains("bad.npy: not a usable .npy map"), "{error}");
        let cube = dir.path().join("cube.npy");
        let array = ndarray::Array3::<f32>::zeros((2, 2, 2));
        let mut bytes = Vec::new();
        array.write_npy(&mut bytes).unwrap();
        std::fs::write(&cube, bytes).unwrap();
        let error = read_npy_map(&cube).unwrap_err().to_string();
        assert!(error.contains("shape [2, 2, 2]"), "{error}");
        let nan = dir.path().join("nan.npy");
        write_npy_map(&nan, &[0.0, f32::NAN], [1, 2]).unwrap();
        let error = read_npy_map(&nan).unwrap_err().to_string();
        assert!(error.contains("NaN"), "{error}");
        let missing = read_npy_map(dir.path().join("absent.npy")).unwrap_err();
        assert!(matches!(missing, DataError::Io { .. }), "{missing}");
    }
}
