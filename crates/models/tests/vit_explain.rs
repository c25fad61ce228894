//! A class-token ViT explained at an inner layer with `explain_layer`, against pytorch-grad-cam
//! with its ViT `reshape_transform` (`tests/fixtures/gen_cam_reference.py::vit_main`, the thin
//! ViT of `vit_token.safetensors` at `blocks[-1].norm1`), and the errors of what it cannot do.

mod common;

use burn::prelude::*;
use common::{assert_matches_reference, fixture, fixture_key, probe_input};
use cyborg_cam::{CamNormalization, GradientCam, TargetLayer};
use cyborg_models::{
    CamMethod, ExplainConfig, ExplainError, ImportOptions, Target, Vit, VitConfig, VitPool,
    explain_layer, full_grad, load_pytorch_weights, refine_cam, try_explain,
};

const INPUT: [usize; 4] = [2, 3, 32, 32];

/// The thin class-token ViT of the fixture, on `device`.
fn model(device: &Device) -> Vit {
    thin_class_token_vit("vit_token.safetensors", device)
}

/// A thin class-token ViT (the fixtures' shape) with the weights of `file`.
fn thin_class_token_vit(file: &str, device: &Device) -> Vit {
    let model = VitConfig::new(3)
        .with_image_size(32)
        .with_patch_size(8)
        .with_embed_dim(24)
        .with_depth(2)
        .with_num_heads(2)
        .with_pool(VitPool::ClassToken)
        .init(device);
    load_pytorch_weights(model, fixture(file), &ImportOptions::default())
        .expect("fixture weights")
        .0
}

fn raw() -> ExplainConfig {
    ExplainConfig::new().with_normalization(CamNormalization::None)
}

fn classes(device: &Device) -> Target {
    Target::Classes(Tensor::from_ints([0, 2], device))
}

#[test]
fn every_layer_method_matches_pytorch_grad_cam_with_its_reshape_transform() {
    let device = Device::flex().autodiff();
    let model = model(&device);
    let x = probe_input(INPUT, &device);
    let mut activations = None;
    model.forward_tapped(x.clone(), &mut |layer| {
        activations = Some(layer.clone().inner());
        layer
    });
    assert_matches_reference("vit_cam", "activations", activations.expect("tapped"));
    // Every method but those that need the linear head (CAM, Ablation-CAM) and the random one.
    let layer_methods = CamMethod::ALL.into_iter().filter(|method| {
        !matches!(
            method,
            CamMethod::Cam | CamMethod::AblationCam | CamMethod::RandomCam
        )
    });
    for method in layer_methods {
        let maps = explain_layer(&model, x.clone(), method, &classes(&device), &raw())
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        assert_matches_reference("vit_cam", &fixture_key(method), maps);
    }
    let smooth = raw().with_eigen_smooth(true);
    let grad_cam = CamMethod::Gradient(GradientCam::GradCam);
    let maps = explain_layer(&model, x.clone(), grad_cam, &classes(&device), &smooth).unwrap();
    assert_matches_reference("vit_cam", "gradcam_eigen", maps);
    let aug = ExplainConfig::new()
        .with_upsample(true)
        .with_aug_smooth(true);
    let layer_cam = CamMethod::Gradient(GradientCam::LayerCam);
    let maps = explain_layer(&model, x, layer_cam, &classes(&device), &aug).unwrap();
    assert_matches_reference("vit_cam", "layercam_aug", maps);
}

/// torchvision's ViT (its own key names, `encoder.layers[-1].ln_1` in pytorch-grad-cam) is
/// the same model: Grad-CAM at its last block's first norm matches.
#[test]
fn torchvision_vit_grad_cam_matches_pytorch_grad_cam() {
    let device = Device::flex().autodiff();
    let model = thin_class_token_vit("vit_torchvision.safetensors", &device);
    let maps = explain_layer(
        &model,
        probe_input(INPUT, &device),
        CamMethod::Gradient(GradientCam::GradCam),
        &classes(&device),
        &raw(),
    )
    .unwrap();
    assert_matches_reference("vit_cam", "torchvision_gradcam", maps);
}

/// FullGrad of the ViT: the input-gradient term and the patch embedding's bias term.
#[test]
fn full_grad_of_the_vit_matches_pytorch_grad_cam() {
    let device = Device::flex();
    let maps = full_grad(
        &model(&device),
        probe_input(INPUT, &device),
        &classes(&device),
    )
    .unwrap();
    assert_matches_reference("vit_cam", "fullgrad", maps);
}

/// RefineCAM over both blocks' norm1 with its default base, Grad-CAM++: the product of the
/// finished maps, scaled again.
#[test]
fn refine_cam_over_two_blocks_matches_pytorch_grad_cam() {
    let device = Device::flex().autodiff();
    let model = model(&device);
    let (first, last) = (model.at_block(0), model.at_block(1));
    let layers: [&dyn TargetLayer; 2] = [&first, &last];
    let maps = refine_cam(
        &layers,
        probe_input(INPUT, &device),
        CamMethod::Gradient(GradientCam::GradCamPlusPlus),
        &classes(&device),
        &ExplainConfig::new(),
    )
    .unwrap();
    assert_matches_reference("vit_cam", "refinecam", maps);
    let none = refine_cam(
        &[],
        probe_input(INPUT, &device),
        CamMethod::EigenCam,
        &classes(&device),
        &ExplainConfig::new(),
    );
    assert_eq!(none.map(|t| t.dims()), Err(ExplainError::NoLayers));
}

#[test]
fn methods_without_gradients_run_off_autodiff_and_give_the_same_maps() {
    let plain = Device::flex();
    let tracked = plain.clone().autodiff();
    for method in [CamMethod::EigenCam, CamMethod::ScoreCam] {
        let off = explain_layer(
            &model(&plain),
            probe_input(INPUT, &plain),
            method,
            &classes(&plain),
            &raw(),
        )
        .unwrap();
        assert_matches_reference("vit_cam", &fixture_key(method), off);
    }
    // An earlier block is a layer too, and a ViT without a class token (the whole token
    // sequence is the grid): 4×4 maps.
    let model = model(&tracked);
    let no_class_token = VitConfig::new(3)
        .with_image_size(32)
        .with_patch_size(8)
        .with_embed_dim(24)
        .with_depth(2)
        .with_num_heads(2)
        .with_class_token(false)
        .init(&tracked);
    let (first_block, last_block) = (model.at_block(0), no_class_token.at_block(1));
    let layers: [&dyn TargetLayer; 2] = [&first_block, &last_block];
    for layer in layers {
        let maps = explain_layer(
            layer,
            probe_input(INPUT, &tracked),
            CamMethod::Gradient(GradientCam::GradCam),
            &Target::Predicted,
            &ExplainConfig::new(),
        )
        .unwrap();
        assert_eq!(maps.dims(), [2, 4, 4]);
    }
}

#[test]
fn what_a_class_token_vit_cannot_serve_is_an_error() {
    let plain = Device::flex();
    let model = model(&plain);
    let x = probe_input(INPUT, &plain);
    let grad_cam = CamMethod::Gradient(GradientCam::GradCam);
    let unsupported = |result: Result<Tensor<3>, ExplainError>, method: CamMethod| match result {
        Err(ExplainError::Unsupported { method: m, reason }) => {
            assert_eq!(m, method);
            assert!(!reason.is_empty());
        }
        other => panic!(
            "{method}: expected Unsupported, got {:?}",
            other.map(|t| t.dims())
        ),
    };
    // Through the head: the head reads the class token, not the patch grid.
    unsupported(
        try_explain(&model, x.clone(), grad_cam, &classes(&plain), &raw()),
        grad_cam,
    );
    unsupported(
        try_explain(&model, x.clone(), CamMethod::Cam, &classes(&plain), &raw()),
        CamMethod::Cam,
    );
    assert!(
        try_explain(
            &model,
            x.clone(),
            CamMethod::EigenCam,
            &classes(&plain),
            &raw()
        )
        .is_ok()
    );
    // At a layer: no head on it, no ablation, no gradients without autodiff.
    for method in [
        CamMethod::Cam,
        CamMethod::AblationCam,
        grad_cam,
        CamMethod::EigenGradCam,
    ] {
        unsupported(
            explain_layer(&model, x.clone(), method, &classes(&plain), &raw()),
            method,
        );
    }
    // Images of another size than the position embedding's.
    let wrong = probe_input([2, 3, 48, 48], &plain);
    assert_eq!(
        explain_layer(
            &model,
            wrong.clone(),
            CamMethod::EigenCam,
            &classes(&plain),
            &raw()
        )
        .map(|t| t.dims()),
        Err(ExplainError::ImageSize {
            expected: [32, 32],
            got: [48, 48]
        })
    );
    assert!(matches!(
        try_explain(&model, wrong, CamMethod::EigenCam, &classes(&plain), &raw()),
        Err(ExplainError::ImageSize { .. })
    ));
    // A class the model does not have.
    let bad = Target::Classes(Tensor::from_ints([0, 3], &plain));
    assert_eq!(
        explain_layer(&model, x, CamMethod::EigenCam, &bad, &raw()).map(|t| t.dims()),
        Err(ExplainError::ClassOutOfRange {
            image: 1,
            class: 3,
            classes: 3
        })
    );
}
