//! Reading class weights out of Burn's `Linear`.

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
}
