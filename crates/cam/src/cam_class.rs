//! Which class a CAM explains.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// The class whose activation map is taken for each image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CamClass {
    /// The true label, as in the CYBORG paper's formula (`CAM_c` with `c = y`). The default.
    #[default]
    Label,
    /// The class the model predicts (`argmax` of the logits), as the official CYBORG code does.
    Predicted,
}

impl CamClass {
    /// The class index to explain for each image.
    ///
    /// # Shapes
    /// - logits: `[batch, num_classes]`, raw scores (only read for [`CamClass::Predicted`])
    /// - labels: `[batch]`
    /// - output: `[batch]`
    pub fn select(&self, logits: &Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1, Int> {
        match self {
            CamClass::Label => labels,
            CamClass::Predicted => {
                let [batch, _] = logits.dims();
                logits.clone().argmax(1).reshape([batch])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    #[test]
    fn label_and_predicted_pick_their_classes() {
        let device = Device::flex();
        let logits = Tensor::<2>::from_floats([[0.1, 2.0, -1.0], [3.0, 0.0, 1.0]], &device);
        let labels = Tensor::<1, Int>::from_ints([2, 1], &device);
        CamClass::Label
            .select(&logits, labels.clone())
            .into_data()
            .assert_eq(
                &TensorData::from([2i64, 1]).convert_dtype(labels.dtype()),
                true,
            );
        CamClass::Predicted
            .select(&logits, labels.clone())
            .into_data()
            .assert_eq(
                &TensorData::from([1i64, 0]).convert_dtype(labels.dtype()),
                true,
            );
    }

    #[test]
    fn default_is_the_label() {
        assert_eq!(CamClass::default(), CamClass::Label);
    }
}
