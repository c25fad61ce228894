//! Averaging per-image terms over the images that have a saliency map.

use burn::prelude::*;

/// Mean of per-image values over the annotated images only.
///
/// With `annotated = None` every image counts. A batch with no annotated image gives 0 (and a
/// zero gradient), never NaN.
///
/// # Shapes
/// - values: `[batch]`
/// - annotated: `[batch]`, `true` where the image has a human map
/// - output: `[1]`
///
/// # Panics
/// If `annotated` does not have one entry per value.
pub fn annotated_mean(values: Tensor<1>, annotated: Option<Tensor<1, Bool>>) -> Tensor<1> {
    match annotated {
        None => values.mean(),
        Some(mask) => {
            assert!(
                mask.dims() == values.dims(),
                "annotated {:?} must have one entry per image {:?}",
                mask.dims(),
                values.dims()
            );
            // Built from `values` so the weights share its dtype (f32, f64, ...).
            let weights = values.ones_like().mask_fill(mask.bool_not(), 0.0);
            let count = weights.clone().sum().clamp_min(1.0);
            (values * weights).sum() / count
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{TensorData, Tolerance};

    #[test]
    fn averages_only_annotated_images() {
        let device = Device::flex();
        let values = Tensor::<1>::from_floats([1.0, 10.0, 3.0], &device);
        let mask = Tensor::<1, Bool>::from_bool(TensorData::from([true, false, true]), &device);
        annotated_mean(values.clone(), Some(mask))
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from([2.0]), Tolerance::absolute(1e-6));
        annotated_mean(values, None)
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from([14.0 / 3.0]), Tolerance::absolute(1e-5));
    }

    #[test]
    fn no_annotated_image_gives_zero() {
        let device = Device::flex();
        let values = Tensor::<1>::from_floats([1.0, 2.0], &device);
        let mask = Tensor::<1, Bool>::from_bool(TensorData::from([false, false]), &device);
        annotated_mean(values, Some(mask))
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from([0.0]), Tolerance::absolute(0.0));
    }
}
