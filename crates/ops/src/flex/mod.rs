//! The flex kernels as a Burn backend extension: the forward and backward passes of a
//! convolution and of training-mode batch norm (+ ReLU) on `Flex`, and their autodiff steps on
//! `Autodiff<Flex, C>` for either checkpointing strategy.

mod batch_norm;
mod conv;
// The crate's only unsafe code: the call of gemm's matrix product, each bound checked first.
#[allow(unsafe_code)]
mod gemm;
mod max_pool;
mod simd;

pub(crate) use max_pool::Window;
pub use simd::{SIMD_ENV, SimdLevel, simd_level};

use std::sync::Arc;

use burn::backend::TensorMetadata;
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::ops::{ActivationOps, ConvOptions, FloatTensorOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{
    Autodiff, AutodiffBackend, Backend, Dispatch, DispatchDevice, Flex, backend_extension,
};
use burn::prelude::*;
use burn::tensor::{Bytes, DType};

/// The training ops this crate adds to flex.
#[backend_extension(Flex, Autodiff)]
pub trait FlexTrainingOps: Backend {
    /// A bias-free convolution with symmetric padding and one group.
    fn cyborg_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self>;

    /// Training-mode batch norm, ReLU after it if `relu`: the output, the batch mean and the
    /// biased batch variance per channel.
    fn cyborg_batch_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        relu: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);

    /// `x · scale + shift` per channel, ReLU after it if `relu`: batch norm with its
    /// statistics folded in (inference).
    fn cyborg_scale_shift(
        x: FloatTensor<Self>,
        scale: FloatTensor<Self>,
        shift: FloatTensor<Self>,
        relu: bool,
    ) -> FloatTensor<Self>;

    /// 2-D max pooling, dilation 1, PyTorch's `ceil_mode=False`, padding at most half the
    /// kernel.
    fn cyborg_max_pool2d(
        x: FloatTensor<Self>,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> FloatTensor<Self>;
}

/// Whether `device` is flex (with or without autodiff).
pub fn is_flex(device: &Device) -> bool {
    matches!(
        device.clone().without_autodiff().as_dispatch(),
        DispatchDevice::Flex(_)
    )
}

/// [`FlexTrainingOps::cyborg_conv2d`] on tensors.
pub fn conv2d(x: Tensor<4>, weight: Tensor<4>, options: ConvOptions<2>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as FlexTrainingOps>::cyborg_conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
        options,
    ))
}

/// [`FlexTrainingOps::cyborg_batch_norm`] on tensors.
pub fn batch_norm_train(
    x: Tensor<4>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    epsilon: f64,
    relu: bool,
) -> (Tensor<4>, Tensor<1>, Tensor<1>) {
    let (y, mean, var) = <Dispatch as FlexTrainingOps>::cyborg_batch_norm(
        x.into_dispatch(),
        gamma.into_dispatch(),
        beta.into_dispatch(),
        epsilon,
        relu,
    );
    (
        Tensor::from_dispatch(y),
        Tensor::from_dispatch(mean),
        Tensor::from_dispatch(var),
    )
}

/// [`FlexTrainingOps::cyborg_scale_shift`] on tensors.
pub fn scale_shift(x: Tensor<4>, scale: Tensor<1>, shift: Tensor<1>, relu: bool) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as FlexTrainingOps>::cyborg_scale_shift(
        x.into_dispatch(),
        scale.into_dispatch(),
        shift.into_dispatch(),
        relu,
    ))
}

/// [`FlexTrainingOps::cyborg_max_pool2d`] on tensors.
pub(crate) fn max_pool2d(x: Tensor<4>, window: Window) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as FlexTrainingOps>::cyborg_max_pool2d(
        x.into_dispatch(),
        window.kernel,
        window.stride,
        window.padding,
    ))
}

/// A contiguous `f32` copy of `t` when it is not contiguous already (a cheap clone when it
/// is).
fn contiguous(t: &FlexTensor) -> FlexTensor {
    t.to_contiguous()
}

/// The `f32` values of a contiguous tensor.
fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("a contiguous f32 tensor (checked by the caller)")
}

/// A contiguous `f32` tensor of `shape` over `data`.
fn tensor(data: Vec<f32>, shape: &[usize]) -> FlexTensor {
    debug_assert_eq!(data.len(), shape.iter().product::<usize>());
    FlexTensor::new(
        Bytes::from_elems(data),
        Layout::contiguous(shape.to_vec().into()),
        DType::F32,
    )
}

/// `n` zeros, written by the rayon threads that will fill the buffer (a plain `vec![0.0; n]`
/// zeroes it on one thread).
fn zeros(n: usize) -> Vec<f32> {
    use rayon::prelude::*;
    let mut v = Vec::with_capacity(n);
    v.par_extend(rayon::iter::repeat_n(0.0f32, n));
    v
}

fn dims4(t: &FlexTensor) -> [usize; 4] {
    let shape = t.layout().shape();
    [shape[0], shape[1], shape[2], shape[3]]
}

impl FlexTrainingOps for Flex {
    fn cyborg_conv2d(x: FlexTensor, weight: FlexTensor, options: ConvOptions<2>) -> FlexTensor {
        conv_forward(x, weight, options)
    }

    fn cyborg_batch_norm(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        epsilon: f64,
        relu: bool,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let (y, mean, var, _) = batch_norm::forward(&x, &gamma, &beta, epsilon, relu);
        (y, mean, var)
    }

    fn cyborg_scale_shift(
        x: FlexTensor,
        scale: FlexTensor,
        shift: FlexTensor,
        relu: bool,
    ) -> FlexTensor {
        batch_norm::scale_shift(x, &scale, &shift, relu)
    }

    fn cyborg_max_pool2d(
        x: FlexTensor,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> FlexTensor {
        let window = max_pool::Window {
            kernel,
            stride,
            padding,
        };
        max_pool::forward(&x, &window, false).0
    }
}

/// The forward convolution.
fn conv_forward(x: FlexTensor, weight: FlexTensor, options: ConvOptions<2>) -> FlexTensor {
    conv::forward(&x, &weight, &options)
}

/// The backward step of [`FlexTrainingOps::cyborg_conv2d`].
#[derive(Debug)]
struct Conv2dBackward;

impl Backward<Flex, 2> for Conv2dBackward {
    type State = (NodeId, NodeId, ConvOptions<2>);

    fn backward(
        self,
        ops: Ops<Self::State, 2>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_weight] = ops.parents;
        let grad: FlexTensor = grads.consume::<Flex>(&ops.node);
        let (x_id, weight_id, options) = ops.state;
        let x: FlexTensor = checkpointer.retrieve_node_output(x_id);
        let weight: FlexTensor = checkpointer.retrieve_node_output(weight_id);
        let (dx, dw) = conv::backward(
            &x,
            &weight,
            &grad,
            &options,
            node_x.is_some(),
            node_weight.is_some(),
        );
        if let (Some(node), Some(dx)) = (node_x, dx) {
            grads.register::<Flex>(node.id, dx);
        }
        if let (Some(node), Some(dw)) = (node_weight, dw) {
            grads.register::<Flex>(node.id, dw);
        }
    }
}

/// The backward step of [`FlexTrainingOps::cyborg_max_pool2d`].
#[derive(Debug)]
struct MaxPoolBackward;

impl Backward<Flex, 1> for MaxPoolBackward {
    /// Where each output's maximum is in its plane, and the input's shape.
    type State = (Arc<Vec<u32>>, [usize; 4]);

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [node_x] = ops.parents;
        let grad: FlexTensor = grads.consume::<Flex>(&ops.node);
        let (positions, input) = ops.state;
        if let Some(node) = node_x {
            grads.register::<Flex>(node.id, max_pool::backward(&grad, &positions, input));
        }
    }
}

/// The backward step of [`FlexTrainingOps::cyborg_batch_norm`].
#[derive(Debug)]
struct BatchNormBackward;

/// What the batch-norm backward step keeps: the input and gamma (checkpointed), the output
/// (for the ReLU's mask) and the batch statistics.
type BatchNormState = (NodeId, NodeId, Option<FlexTensor>, Arc<batch_norm::Stats>);

impl Backward<Flex, 3> for BatchNormBackward {
    type State = BatchNormState;

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let grad: FlexTensor = grads.consume::<Flex>(&ops.node);
        let (x_id, gamma_id, output, stats) = ops.state;
        let x: FlexTensor = checkpointer.retrieve_node_output(x_id);
        let gamma: FlexTensor = checkpointer.retrieve_node_output(gamma_id);
        let (dx, dgamma, dbeta) =
            batch_norm::backward(&x, &gamma, output.as_ref(), &stats, &grad, node_x.is_some());
        if let (Some(node), Some(dx)) = (node_x, dx) {
            grads.register::<Flex>(node.id, dx);
        }
        if let Some(node) = node_gamma {
            grads.register::<Flex>(node.id, dgamma);
        }
        if let Some(node) = node_beta {
            grads.register::<Flex>(node.id, dbeta);
        }
    }
}

impl<C: CheckpointStrategy> FlexTrainingOps for Autodiff<Flex, C> {
    fn cyborg_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        match Conv2dBackward
            .prepare::<C>([x.node(), weight.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let x_id = prep.checkpoint(&x);
                let weight_id = prep.checkpoint(&weight);
                let output =
                    conv_forward(x.into_primitive(), weight.into_primitive(), options.clone());
                prep.finish((x_id, weight_id, options), output)
            }
            OpsKind::UnTracked(prep) => prep.finish(conv_forward(
                x.into_primitive(),
                weight.into_primitive(),
                options,
            )),
        }
    }

    fn cyborg_batch_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        relu: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let (output, mean, var) = match BatchNormBackward
            .prepare::<C>([x.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let x_id = prep.checkpoint(&x);
                let gamma_id = prep.checkpoint(&gamma);
                let (y, mean, var, stats) = batch_norm::forward(
                    x.primitive(),
                    gamma.primitive(),
                    beta.primitive(),
                    epsilon,
                    relu,
                );
                let kept = relu.then(|| y.clone());
                let state = (x_id, gamma_id, kept, Arc::new(stats));
                (prep.finish(state, y), mean, var)
            }
            OpsKind::UnTracked(prep) => {
                let (y, mean, var, _) = batch_norm::forward(
                    x.primitive(),
                    gamma.primitive(),
                    beta.primitive(),
                    epsilon,
                    relu,
                );
                (prep.finish(y), mean, var)
            }
        };
        (output, Self::from_inner(mean), Self::from_inner(var))
    }

    fn cyborg_max_pool2d(
        x: FloatTensor<Self>,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> FloatTensor<Self> {
        let window = max_pool::Window {
            kernel,
            stride,
            padding,
        };
        match MaxPoolBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let input = dims4(x.primitive());
                let (y, positions) = max_pool::forward(x.primitive(), &window, true);
                let positions = positions.expect("positions were asked for");
                prep.finish((Arc::new(positions), input), y)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(max_pool::forward(x.primitive(), &window, false).0)
            }
        }
    }

    /// Composed of Burn's differentiable ops (the layers call the flex kernel without
    /// autodiff only).
    fn cyborg_scale_shift(
        x: FloatTensor<Self>,
        scale: FloatTensor<Self>,
        shift: FloatTensor<Self>,
        relu: bool,
    ) -> FloatTensor<Self> {
        let channels = scale.shape()[0];
        let per_channel = Shape::new([1, channels, 1, 1]);
        let scale = Self::float_reshape(scale, per_channel.clone());
        let shift = Self::float_reshape(shift, per_channel);
        let y = Self::float_add(Self::float_mul(x, scale), shift);
        match relu {
            true => Self::relu(y),
            false => y,
        }
    }
}
