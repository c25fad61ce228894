//! Shape contracts shared by the losses.

use burn::prelude::*;

/// Checks that the loss inputs agree with each other and returns the CAM grid `[h, w]`.
pub(crate) fn check_inputs(
    logits: &Tensor<2>,
    features: &Tensor<4>,
    class_weights: &Tensor<2>,
    labels: &Tensor<1, Int>,
    saliency: &Tensor<3>,
) -> [usize; 2] {
    let [batch, channels, height, width] = features.dims();
    let [logit_batch, num_classes] = logits.dims();
    assert!(
        logit_batch == batch,
        "logits {:?} and features {:?} must have the same batch size",
        logits.dims(),
        features.dims()
    );
    assert!(
        class_weights.dims() == [num_classes, channels],
        "class_weights {:?} must be [num_classes, channels] = [{num_classes}, {channels}] \
         to match logits {:?} and features {:?}",
        class_weights.dims(),
        logits.dims(),
        features.dims()
    );
    assert!(
        labels.dims() == [batch],
        "labels {:?} must hold one class per image of logits {:?}",
        labels.dims(),
        logits.dims()
    );
    assert!(
        saliency.dims()[0] == batch,
        "saliency {:?} must hold one map per image of features {:?}",
        saliency.dims(),
        features.dims()
    );
    [height, width]
}
