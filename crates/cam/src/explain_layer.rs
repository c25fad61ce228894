//! Explaining a model at an inner layer ([`TargetLayer`]): the gradients of the target score
//! come from a backward pass through the rest of the network, as in pytorch-grad-cam with
//! `target_layers` and a `reshape_transform`. This is how a class-token ViT, whose head does
//! not read its last feature maps, is explained.

use burn::prelude::*;

use crate::backbone::TargetLayer;
use crate::explain::{
    CamMethod, ExplainConfig, ExplainError, Sources, Target, check_classes, check_request,
    shared_maps, smoothed,
};
use crate::score_cam::score_cam_weights;
use crate::{CamNormalization, finish_maps};

/// Explanation maps of `model` at its explained layer ([`TargetLayer`]) for `images` and
/// `target`: every method of [`explain`](crate::explain) that needs no linear head on that
/// layer (all but CAM and Ablation-CAM), with the same [`ExplainConfig`] options.
///
/// The gradient methods (Grad-CAM and its variants, EigenGrad-CAM, Seg-Eigen-CAM) need the
/// model and the
/// images on an autodiff device (`device.autodiff()`): the score is differentiated through
/// the layers after the explained one. EigenCAM, KPCA-CAM, FEM, Random-CAM and Score-CAM run on
/// any device. The maps are constants (no autodiff graph).
///
/// # Errors
/// [`ExplainError`]: as [`try_explain`](crate::try_explain), and
/// [`ExplainError::Unsupported`] for CAM, Ablation-CAM, or a gradient method off autodiff.
///
/// # Shapes
/// - images: `[batch, channels, height, width]`
/// - output: `[batch, h, w]` at the layer's grid, or `[batch, height, width]` with
///   [`ExplainConfig::upsample`]
pub fn explain_layer<M: TargetLayer + ?Sized>(
    model: &M,
    images: Tensor<4>,
    method: CamMethod,
    target: &Target,
    config: &ExplainConfig,
) -> Result<Tensor<3>, ExplainError> {
    check_request(images.dims(), model.input_size(), method, target, config)?;
    let autodiff = images.device().is_autodiff();
    let unsupported = |reason| Err(ExplainError::Unsupported { method, reason });
    match method {
        CamMethod::Cam => {
            return unsupported(
                "CAM weights the last feature maps by the linear head: use explain on a \
                 CamBackbone, or a gradient method here",
            );
        }
        CamMethod::AblationCam => {
            return unsupported(
                "Ablation-CAM at an inner layer (one forward pass per channel) is not \
                 implemented: use explain on a CamBackbone",
            );
        }
        CamMethod::Gradient(_) | CamMethod::EigenGradCam | CamMethod::SegEigenCam if !autodiff => {
            return unsupported(
                "gradients through the network need the model and images on an autodiff \
                 device (device.autodiff())",
            );
        }
        _ => {}
    }
    // The logits of a plain forward pass, returned on the inner device.
    let forward = |images: Tensor<4>| {
        let images = if autodiff { images.autodiff() } else { images };
        model.forward_tapped(images, &mut |layer| layer).inner()
    };
    let logits = forward(images.clone().inner());
    let [_, classes] = logits.dims();
    check_classes(target, classes)?;
    Ok(smoothed(
        images,
        target,
        config.aug_smooth,
        &|images| forward(images.inner()),
        &|images, target| explain_layer_once(model, images, method, target, config, &forward),
    ))
}

/// RefineCAM (pytorch-grad-cam's `RefineCAM`, whose default base method is Grad-CAM++): the
/// finished maps of `method` at each of `layers` (ReLU, min-max, at the image size, each with
/// [`explain_layer`]) multiplied together, then post-processed with
/// [`ExplainConfig::normalization`]. A region survives only where every layer marks it, which
/// denoises the maps of early layers. The layers are the same model tapped at different
/// places (e.g. `Vit::at_block` of several blocks, in cyborg-models).
///
/// # Errors
/// As [`explain_layer`] for each layer, and [`ExplainError::NoLayers`].
///
/// # Shapes
/// - images: `[batch, channels, height, width]`
/// - output: `[batch, height, width]`
pub fn refine_cam(
    layers: &[&dyn TargetLayer],
    images: Tensor<4>,
    method: CamMethod,
    target: &Target,
    config: &ExplainConfig,
) -> Result<Tensor<3>, ExplainError> {
    let per_layer = config
        .clone()
        .with_upsample(true)
        .with_normalization(CamNormalization::ReluMinMax);
    let mut product: Option<Tensor<3>> = None;
    for layer in layers {
        let maps = explain_layer(*layer, images.clone(), method, target, &per_layer)?;
        product = Some(match product {
            Some(product) => product * maps,
            None => maps,
        });
    }
    let product = product.ok_or(ExplainError::NoLayers)?;
    Ok(finish_maps(product, config.normalization, None, config.eps))
}

/// [`explain_layer`] without `aug_smooth`, after its checks.
fn explain_layer_once<M: TargetLayer + ?Sized>(
    model: &M,
    images: Tensor<4>,
    method: CamMethod,
    target: &Target,
    config: &ExplainConfig,
    forward: &dyn Fn(Tensor<4>) -> Tensor<2>,
) -> Tensor<3> {
    let [_, _, height, width] = images.dims();
    let sources = Sources {
        activations: &|| layer_activations(model, images.clone()),
        gradients: &|| layer_gradients(model, images.clone(), target),
        score_cam_weights: &|activations, logits| {
            score_cam_weights(forward, images.clone(), activations, logits, target, config)
        },
    };
    let raw = shared_maps(method, &sources, config);
    let size = config.upsample.then_some([height, width]);
    finish_maps(raw, config.normalization, size, config.eps)
}

/// The explained layer's activations and the logits, both on the inner device.
fn layer_activations<M: TargetLayer + ?Sized>(
    model: &M,
    images: Tensor<4>,
) -> (Tensor<4>, Tensor<2>) {
    let mut captured = None;
    let logits = model.forward_tapped(images, &mut |layer| {
        captured = Some(layer.clone().inner());
        layer
    });
    let activations = captured.expect("forward_tapped calls its tap once");
    (activations, logits.inner())
}

/// The explained layer's activations and the gradient of the target score w.r.t. them
/// through the rest of the network, on the inner device. The images are on an autodiff
/// device.
fn layer_gradients<M: TargetLayer + ?Sized>(
    model: &M,
    images: Tensor<4>,
    target: &Target,
) -> (Tensor<4>, Tensor<4>) {
    let mut leaf = None;
    let logits = model.forward_tapped(images, &mut |layer| {
        let layer = layer.detach().require_grad();
        leaf = Some(layer.clone());
        layer
    });
    let leaf = leaf.expect("forward_tapped calls its tap once");
    let classes = target.classes(&logits.clone().inner());
    let grads = target.score(logits, classes.as_ref()).sum().backward();
    let gradients = leaf
        .grad(&grads)
        .expect("the explained layer takes part in the target score");
    (leaf.inner(), gradients)
}
