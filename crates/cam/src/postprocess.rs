//! What happens to a raw CAM before it is shown or compared: ReLU, per-image min-max scaling,
//! and upsampling to the image size.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{normalize_min_max, upsample_bilinear};

/// How raw maps are post-processed by [`finish_maps`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CamNormalization {
    /// Raw values (a CAM then decomposes the logit exactly).
    None,
    /// Negative evidence removed: `relu(map)`.
    Relu,
    /// Per-image min-max scaling to `[0, 1]` (ε-guarded: a constant map gives zeros).
    MinMax,
    /// `relu` then min-max scaling: what pytorch-grad-cam returns (the default).
    #[default]
    ReluMinMax,
}

/// Applies `normalization` to raw maps and, when `size` is given, upsamples them bilinearly
/// (PyTorch's `align_corners=False`) to `size` before the min-max scaling, so scaled maps
/// span exactly `[0, 1]` at the output resolution.
///
/// # Shapes
/// - maps: `[batch, h, w]`
/// - output: `[batch, h, w]` or `[batch, size[0], size[1]]`
pub fn finish_maps(
    maps: Tensor<3>,
    normalization: CamNormalization,
    size: Option<[usize; 2]>,
    eps: f64,
) -> Tensor<3> {
    let maps = match normalization {
        CamNormalization::Relu | CamNormalization::ReluMinMax => {
            burn::tensor::activation::relu(maps)
        }
        CamNormalization::None | CamNormalization::MinMax => maps,
    };
    let maps = match size {
        Some(size) if size != [maps.dims()[1], maps.dims()[2]] => {
            upsample_bilinear(maps, size, false)
        }
        _ => maps,
    };
    match normalization {
        CamNormalization::MinMax | CamNormalization::ReluMinMax => normalize_min_max(maps, eps),
        CamNormalization::None | CamNormalization::Relu => maps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Tolerance;

    fn map() -> Tensor<3> {
        Tensor::<1>::from_floats([-2.0, 0.0, 1.0, 3.0], &Device::flex()).reshape([1, 2, 2])
    }

    fn check(normalization: CamNormalization, expected: [f32; 4]) {
        finish_maps(map(), normalization, None, 1e-8)
            .into_data()
            .assert_approx_eq::<f32>(
                &TensorData::new(expected.to_vec(), [1, 2, 2]),
                Tolerance::absolute(1e-6),
            );
    }

    #[test]
    fn each_normalization_by_hand() {
        check(CamNormalization::None, [-2.0, 0.0, 1.0, 3.0]);
        check(CamNormalization::Relu, [0.0, 0.0, 1.0, 3.0]);
        check(CamNormalization::MinMax, [0.0, 0.4, 0.6, 1.0]);
        check(CamNormalization::ReluMinMax, [0.0, 0.0, 1.0 / 3.0, 1.0]);
    }

    #[test]
    fn upsampled_maps_are_scaled_at_the_output_size() {
        let out = finish_maps(map(), CamNormalization::ReluMinMax, Some([4, 4]), 1e-8);
        assert_eq!(out.dims(), [1, 4, 4]);
        let values = out
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap();
        let max = values.iter().cloned().fold(f32::MIN, f32::max);
        let min = values.iter().cloned().fold(f32::MAX, f32::min);
        assert!((max - 1.0).abs() < 1e-6 && min.abs() < 1e-6, "{min} {max}");
    }
}
