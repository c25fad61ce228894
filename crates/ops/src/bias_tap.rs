//! Watching the output of every biased layer a forward pass runs through this crate
//! ([`tap_biases`]): what FullGrad (Srinivas & Fleuret, NeurIPS 2019) needs, the gradient of a
//! score w.r.t. each of those outputs, without hooks in the models.

use std::cell::RefCell;

use burn::nn::BatchNorm;
use burn::prelude::*;

/// One biased layer's output seen by [`tap_biases`].
#[derive(Debug, Clone)]
pub struct BiasTap {
    /// A zero tensor of the output's shape added to the output, tracked by autodiff: its
    /// gradient after a backward pass is the gradient w.r.t. the layer's output.
    pub probe: Tensor<4>,
    /// The layer's bias `[channels]`: a convolution's bias, or a batch norm's effective bias in
    /// inference, `β − μ·γ / √(σ² + ε)`.
    pub bias: Tensor<1>,
}

thread_local! {
    static TAPS: RefCell<Option<Vec<BiasTap>>> = const { RefCell::new(None) };
}

/// Restores the taps that were installed before [`tap_biases`], also when `run` panics.
struct Restore(Option<Option<Vec<BiasTap>>>);

impl Drop for Restore {
    fn drop(&mut self) {
        if let Some(previous) = self.0.take() {
            TAPS.with(|taps| taps.replace(previous));
        }
    }
}

/// Runs `run` with every [`conv2d`](crate::conv2d) that has a bias and every
/// [`batch_norm`](crate::batch_norm) / [`batch_norm_relu`](crate::batch_norm_relu) on this
/// thread adding a tracked zero [`BiasTap::probe`] to its output (before the ReLU), and
/// returns `run`'s result with the taps in the order the layers ran. Batch norms take Burn's
/// own path while tapped (no fused kernel), in whatever mode the module is in: freeze the
/// model (`Module::freeze`) for inference statistics on an autodiff device.
///
/// The probes need an autodiff device (`require_grad`); layers that do not go through this
/// crate's functions are not seen.
pub fn tap_biases<R>(run: impl FnOnce() -> R) -> (R, Vec<BiasTap>) {
    let previous = TAPS.with(|taps| taps.replace(Some(Vec::new())));
    let mut restore = Restore(Some(previous));
    let out = run();
    let previous = restore.0.take().expect("restored once");
    let taps = TAPS.with(|taps| taps.replace(previous)).unwrap_or_default();
    (out, taps)
}

/// Whether [`tap_biases`] is running on this thread.
pub(crate) fn tapping() -> bool {
    TAPS.with(|taps| taps.borrow().is_some())
}

/// `y` plus a new probe, recorded with `bias`, when tapping; `y` otherwise.
pub(crate) fn tapped(y: Tensor<4>, bias: impl FnOnce() -> Tensor<1>) -> Tensor<4> {
    if !tapping() {
        return y;
    }
    let probe = y.zeros_like().require_grad();
    let tap = BiasTap {
        probe: probe.clone(),
        bias: bias(),
    };
    TAPS.with(|taps| {
        if let Some(list) = taps.borrow_mut().as_mut() {
            list.push(tap);
        }
    });
    y + probe
}

/// A batch norm's bias in inference: `β − μ·γ / √(σ² + ε)` with the running statistics.
pub(crate) fn effective_bias(bn: &BatchNorm) -> Tensor<1> {
    let device = bn.gamma.val().device();
    let mean = bn.running_mean.value().to_device(&device);
    let var = bn.running_var.value().to_device(&device);
    bn.beta.val() - mean * bn.gamma.val() / var.add_scalar(bn.epsilon).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::BatchNormConfig;
    use burn::nn::conv::Conv2dConfig;

    /// A 1×1 convolution with a bias, then a batch norm with running mean 0.5 and variance 3
    /// (γ = 2, β = 1, ε = 1): the taps come in order with the biases by hand (the conv's, and
    /// `1 − 0.5·2/√4 = 0.5`), and the probes' gradients are the gradients w.r.t. the outputs:
    /// for `sum(bn(conv(x)))`, ones after the batch norm and `γ/√(σ²+ε) = 1` before it.
    #[test]
    fn taps_see_each_biased_output_and_its_gradient() {
        let device = Device::flex().autodiff();
        let conv = Conv2dConfig::new([1, 1], [1, 1]).init(&device);
        let mut bn = BatchNormConfig::new(1).with_epsilon(1.0).init(&device);
        bn.gamma = bn.gamma.map(|g| g.mul_scalar(2.0));
        bn.beta = bn.beta.map(|b| b.add_scalar(1.0));
        bn.running_mean = burn::module::RunningState::new(Tensor::from_floats([0.5], &device));
        bn.running_var = burn::module::RunningState::new(Tensor::from_floats([3.0], &device));
        let bn = bn.freeze();
        let x = Tensor::<4>::ones([1, 1, 2, 2], &device);
        let (y, taps) = tap_biases(|| crate::batch_norm(&bn, crate::conv2d(&conv, x)));
        assert_eq!(taps.len(), 2);
        let conv_bias: f32 = conv.bias.as_ref().unwrap().val().into_scalar();
        let first: f32 = taps[0].bias.clone().into_scalar();
        let second: f32 = taps[1].bias.clone().into_scalar();
        assert_eq!(first, conv_bias);
        assert!((second - 0.5).abs() < 1e-6, "{second}");
        let grads = y.sum().backward();
        for tap in &taps {
            let gradient: Vec<f32> = tap
                .probe
                .grad(&grads)
                .unwrap()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            assert!(
                gradient.iter().all(|g| (g - 1.0).abs() < 1e-6),
                "{gradient:?}"
            );
        }
        // Outside tap_biases nothing is recorded.
        assert!(!tapping());
    }
}
