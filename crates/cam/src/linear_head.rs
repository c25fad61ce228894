//! Reading class weights out of Burn's `Linear`, and applying a head given by them.

use burn::nn::Linear;
use burn::prelude::*;

/// The class weights of a linear classification head in PyTorch's `[num_classes, channels]`
/// layout, as [`class_activation_maps`](crate::class_activation_maps) expects.
///
/// Burn's [`Linear`] stores its weight as `[d_input, d_output]` = `[channels, num_classes]`
/// (`O = I·W + b`); PyTorch's `nn.Linear` as `[out, in]`. This returns the transpose, still
/// attached to the autodiff graph, so the CAM is differentiable in the head.
///
/// # Shapes
/// - output: `[num_classes, channels]`
pub fn linear_class_weights(head: &Linear) -> Tensor<2> {
    head.weight.val().transpose()
}

/// The logits of a linear head from pooled features: `pooled · weightsᵀ + bias`, with the
/// weights in PyTorch's `[num_classes, channels]` layout ([`CamBackbone::class_weights`]).
///
/// [`CamBackbone::class_weights`]: crate::CamBackbone::class_weights
///
/// # Shapes
/// - pooled: `[n, channels]`
/// - weights: `[num_classes, channels]`
/// - bias: `[num_classes]`
/// - output: `[n, num_classes]`
pub fn head_logits(pooled: Tensor<2>, weights: Tensor<2>, bias: Option<Tensor<1>>) -> Tensor<2> {
    let logits = pooled.matmul(weights.transpose());
    match bias {
        Some(bias) => {
            let [classes] = bias.dims();
            logits + bias.reshape([1, classes])
        }
        None => logits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;
    use burn::tensor::Tolerance;

    #[test]
    fn rows_are_classes() {
        let device = Device::flex();
        let head = LinearConfig::new(6, 3).with_bias(false).init(&device);
        let weights = linear_class_weights(&head);
        assert_eq!(weights.dims(), [3, 6]);
        // logits = x · W_burn = (W_pytorch · xᵀ)ᵀ
        let x = Tensor::<2>::ones([1, 6], &device);
        let by_rows = weights.sum_dim(1).reshape([1, 3]);
        head.forward(x)
            .into_data()
            .assert_approx_eq::<f32>(&by_rows.into_data(), Tolerance::absolute(1e-5));
    }

    #[test]
    fn head_logits_by_hand() {
        let device = Device::flex();
        let pooled = Tensor::<1>::from_floats([1.0, 2.0], &device).reshape([1, 2]);
        let weights =
            Tensor::<1>::from_floats([1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &device).reshape([3, 2]);
        let bias = Tensor::<1>::from_floats([0.5, 0.0, -1.0], &device);
        let logits = head_logits(pooled.clone(), weights.clone(), Some(bias));
        logits.into_data().assert_approx_eq::<f32>(
            &TensorData::new(vec![1.5f32, 2.0, 2.0], [1, 3]),
            Tolerance::absolute(1e-6),
        );
        let logits = head_logits(pooled, weights, None);
        logits.into_data().assert_approx_eq::<f32>(
            &TensorData::new(vec![1.0f32, 2.0, 3.0], [1, 3]),
            Tolerance::absolute(1e-6),
        );
    }
}
