//! Explaining a [`CamBackbone`]'s decisions with the CAM family: CAM, Grad-CAM, Grad-CAM++,
//! XGrad-CAM, HiResCAM, LayerCAM, Grad-CAM element-wise, EigenCAM, KPCA-CAM, EigenGrad-CAM,
//! Seg-Eigen-CAM, Ablation-CAM, Score-CAM, FEM and Random-CAM (a baseline), with
//! pytorch-grad-cam's `eigen_smooth` and `aug_smooth`, batched, on any backend, returned as
//! `[batch, h, w]` tensors that stay on the device.
//!
//! The explained layer is the backbone's last feature maps (the tensor global average pooling
//! reads). The gradients of the target score w.r.t. those maps come from Burn's autodiff,
//! through the head only (global average pooling + linear): one forward pass of the backbone,
//! whatever the device. Score-CAM runs the extra masked forward passes it is defined by, in
//! batches of [`ExplainConfig::score_cam_batch_size`].
//!
//! The formulas follow pytorch-grad-cam (`jacobgil/pytorch-grad-cam`), whose outputs
//! `tests/fixtures/gen_cam_reference.py` records for the tests.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::{
    CamNormalization, GradientCam, channel_sum, class_activation_maps, eigen_cam,
    eigen_cam_max_positive, finish_maps, global_average_pool, head_logits, kpca_cam,
    top_fraction_mask,
};
use burn::prelude::*;
use burn::tensor::activation::softmax;
use serde::{Deserialize, Serialize};

use crate::ablation_cam::ablation_weights;
use crate::backbone::CamBackbone;
use crate::fem::fem_weights;
use crate::random_cam::random_cam_weights;
use crate::score_cam::score_cam_weights;

/// The score an explanation explains, per image.
// Built once per explanation call, never stored in bulk: the tensor's size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Target {
    /// The raw logit of one class per image, `[batch]` class indices
    /// (pytorch-grad-cam's `ClassifierOutputTarget`).
    Classes(Tensor<1, Int>),
    /// The raw logit of each image's highest-scoring class.
    Predicted,
    /// Any differentiable score of the logits, `[batch, classes] → [batch]`, computed row by
    /// row (each image's score from its own logits): e.g. a logit difference, or a softmax
    /// probability.
    Score(Arc<dyn Fn(Tensor<2>) -> Tensor<1> + Send + Sync>),
    /// Finer-CAM's target (Zhang et al., CVPR 2025; pytorch-grad-cam's `FinerCAM` given no
    /// targets): each image's predicted class `c` against the classes whose logits are
    /// closest to `c`'s, `comparisons` being ranks in that order (1 = the closest; ranks past
    /// the last class are dropped, as there), scored `Σ_j p_j (z_c − α z_j) / (Σ_j p_j +
    /// 10⁻⁹)` with `p` the softmax of the logits `z`. With a gradient method (Finer-CAM's base
    /// is Grad-CAM) the map shows what tells the class from its nearest rivals rather than
    /// what they share. [`Target::finer`] has pytorch-grad-cam's defaults. Not for
    /// Ablation-CAM, Score-CAM or `aug_smooth` ([`try_explain`] refuses them), nor ROAD,
    /// SESS or [`confidence_drop`].
    Finer {
        /// `α`: how strongly the rivals are subtracted (1 by default).
        alpha: f64,
        /// The rivals' ranks by closeness of their logit to the predicted one.
        comparisons: Vec<usize>,
    },
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Classes(classes) => f.debug_tuple("Classes").field(&classes.dims()).finish(),
            Target::Predicted => f.write_str("Predicted"),
            Target::Score(_) => f.write_str("Score(<fn>)"),
            Target::Finer { alpha, comparisons } => f
                .debug_struct("Finer")
                .field("alpha", alpha)
                .field("comparisons", comparisons)
                .finish(),
        }
    }
}

impl Target {
    /// Finer-CAM's target with pytorch-grad-cam's defaults: `α = 1`, the three closest
    /// classes.
    pub fn finer() -> Self {
        Target::Finer {
            alpha: 1.0,
            comparisons: vec![1, 2, 3],
        }
    }

    /// Checks a [`Target::Classes`] against a batch of `batch` images and a model of
    /// `classes` classes (the classes are read back from the device); other targets pass.
    ///
    /// # Errors
    /// [`ExplainError::TargetCount`] or [`ExplainError::ClassOutOfRange`].
    pub fn check(&self, batch: usize, classes: usize) -> Result<(), ExplainError> {
        self.check_count(batch)?;
        check_classes(self, classes)
    }

    /// Checks that a [`Target::Classes`] holds one class per image of a batch of `batch`.
    fn check_count(&self, batch: usize) -> Result<(), ExplainError> {
        match self {
            Target::Classes(classes) if classes.dims() != [batch] => {
                let [given] = classes.dims();
                Err(ExplainError::TargetCount { given, batch })
            }
            _ => Ok(()),
        }
    }

    /// The class indices this target selects for `logits`, or `None` for a custom score or
    /// Finer-CAM's.
    ///
    /// # Panics
    /// If [`Target::Classes`] does not hold one class per row of `logits`.
    pub fn classes(&self, logits: &Tensor<2>) -> Option<Tensor<1, Int>> {
        let [batch, _] = logits.dims();
        match self {
            Target::Classes(classes) => {
                assert_eq!(
                    classes.dims(),
                    [batch],
                    "target classes {:?} must be one per image of a batch of {batch}",
                    classes.dims()
                );
                Some(classes.clone())
            }
            Target::Predicted => Some(logits.clone().argmax(1).reshape([batch])),
            Target::Score(_) | Target::Finer { .. } => None,
        }
    }

    /// The score per row of `logits` (`classes` fixed beforehand for class targets, by
    /// [`Target::classes`]): differentiable, what an explanation differentiates.
    ///
    /// # Shapes
    /// - logits: `[batch, classes]`
    /// - output: `[batch]`
    pub fn score(&self, logits: Tensor<2>, classes: Option<&Tensor<1, Int>>) -> Tensor<1> {
        let [batch, _] = logits.dims();
        match (self, classes) {
            (Target::Score(score), _) => score(logits),
            (Target::Finer { alpha, comparisons }, _) => finer_score(logits, *alpha, comparisons),
            (_, Some(classes)) => {
                let index = classes
                    .clone()
                    .to_device(&logits.device())
                    .reshape([batch, 1]);
                logits.gather(1, index).reshape([batch])
            }
            (_, None) => unreachable!("class targets always have classes"),
        }
    }
}

/// [`Target::Finer`]'s score of each row of `logits`; the predicted class and its rivals are
/// chosen from the values (no gradient through the choice), the score is differentiable.
///
/// # Shapes
/// - logits: `[batch, classes]`
/// - output: `[batch]`
fn finer_score(logits: Tensor<2>, alpha: f64, ranks: &[usize]) -> Tensor<1> {
    let [batch, classes] = logits.dims();
    let device = logits.device();
    let values: Vec<f32> = logits
        .clone()
        .inner()
        .into_data()
        .convert::<f32>()
        .iter::<f32>()
        .collect();
    let ranks: Vec<usize> = ranks.iter().copied().filter(|&r| r < classes).collect();
    let mut main = Vec::with_capacity(batch);
    let mut rivals = vec![Vec::with_capacity(batch); ranks.len()];
    for row in values.chunks_exact(classes) {
        // NumPy's argmax: the first maximum.
        let c = (0..classes).fold(0, |best, k| if row[k] > row[best] { k } else { best });
        let mut order: Vec<usize> = (0..classes).collect();
        order.sort_by(|&a, &b| (row[a] - row[c]).abs().total_cmp(&(row[b] - row[c]).abs()));
        main.push(c as i64);
        for (list, &rank) in rivals.iter_mut().zip(&ranks) {
            list.push(order[rank] as i64);
        }
    }
    let pick = |tensor: Tensor<2>, columns: &[i64]| {
        let index =
            Tensor::<1, Int>::from_data(TensorData::new(columns.to_vec(), [batch]), &device);
        tensor.gather(1, index.reshape([batch, 1])).reshape([batch])
    };
    let probabilities = softmax(logits.clone(), 1);
    let own = pick(logits.clone(), &main);
    let mut numerator = own.zeros_like();
    let mut denominator = own.zeros_like();
    for columns in &rivals {
        let weight = pick(probabilities.clone(), columns);
        let difference = own.clone() - pick(logits.clone(), columns).mul_scalar(alpha);
        numerator = numerator + weight.clone() * difference;
        denominator = denominator + weight;
    }
    numerator / denominator.add_scalar(1e-9)
}

/// A member of the CAM family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CamMethod {
    /// CAM (Zhou et al., CVPR 2016): `Σ_k W[c, k] · A_k`. For a [`Target::Score`], the
    /// gradient-weighted sum `h·w · Σ_k ∂s/∂A_k ⊙ A_k`, which is the same map for a linear
    /// score of the logits. Differentiable: it keeps the autodiff graph of its inputs.
    Cam,
    /// One of the gradient-weighted methods ([`GradientCam`]).
    Gradient(GradientCam),
    /// EigenCAM: the first principal component of the activations (no target involved).
    EigenCam,
    /// KPCA-CAM (pytorch-grad-cam's `KPCA_CAM`): EigenCAM with kernel PCA (sigmoid kernel,
    /// [`ExplainConfig::kpca_gamma`]; see [`kpca_cam`]). No target involved.
    KpcaCam,
    /// EigenGrad-CAM (pytorch-grad-cam's `EigenGradCAM`): the first principal component of
    /// the element-wise product of gradients and activations, `G ⊙ A`.
    EigenGradCam,
    /// Seg-Eigen-CAM (Chung & Ying, Applied Sciences 2025; pytorch-grad-cam's `SegEigenCAM`):
    /// the first principal component of `|G| ⊙ A`, its sign chosen so that the largest
    /// magnitude is positive ([`eigen_cam_max_positive`]).
    SegEigenCam,
    /// Ablation-CAM (Desai & Ramaswamy, WACV 2020) as pytorch-grad-cam defines it: each
    /// channel's weight is the relative drop of the target score when that channel of the
    /// explained layer is set to zero, `(s − s_k) / s`. The rest of the network after that layer
    /// is the head (global average pooling + linear), so the ablated scores come from the head
    /// alone, every channel at once. (pytorch-grad-cam sets the channel to zero when the
    /// activations contain a zero, as post-ReLU features do; otherwise to a large negative
    /// value, which is not the paper's and is not copied.) A target score of exactly zero gives
    /// non-finite weights, as there.
    AblationCam,
    /// FEM (Fuad et al., IPTA 2020; pytorch-grad-cam's `FEM`): each channel weighted by the
    /// share of its cells above its mean plus [`ExplainConfig::fem_k`] standard deviations. No
    /// target involved.
    Fem,
    /// Random-CAM (pytorch-grad-cam's `RandomCAM`): each channel weighted by a uniform draw in
    /// `(−1, 1]` ([`ExplainConfig::random_seed`], per image). A baseline: in
    /// ROAD ([`crate::try_road`]) or [`confidence_drop`] a method should beat it.
    RandomCam,
    /// Score-CAM (Wang et al., CVPRW 2020) as pytorch-grad-cam defines it: each channel,
    /// upsampled to the image (`align_corners=True`) and min-max scaled, masks the input; the
    /// softmax over channels of the masked inputs' target scores weights the channels.
    ScoreCam,
}

impl CamMethod {
    /// Every method, in the order of the docs.
    pub const ALL: [CamMethod; 15] = [
        CamMethod::Cam,
        CamMethod::Gradient(GradientCam::GradCam),
        CamMethod::Gradient(GradientCam::GradCamPlusPlus),
        CamMethod::Gradient(GradientCam::XGradCam),
        CamMethod::Gradient(GradientCam::HiResCam),
        CamMethod::Gradient(GradientCam::LayerCam),
        CamMethod::Gradient(GradientCam::ElementWise),
        CamMethod::EigenCam,
        CamMethod::KpcaCam,
        CamMethod::EigenGradCam,
        CamMethod::SegEigenCam,
        CamMethod::AblationCam,
        CamMethod::ScoreCam,
        CamMethod::Fem,
        CamMethod::RandomCam,
    ];

    /// Whether the method reads the activations alone, never the head's weights or the
    /// gradients through it: EigenCAM, KPCA-CAM, FEM and Random-CAM.
    pub fn ignores_head(self) -> bool {
        matches!(
            self,
            CamMethod::EigenCam | CamMethod::KpcaCam | CamMethod::Fem | CamMethod::RandomCam
        )
    }

    /// The method's name on the command line: `cam`, `gradcam`, `gradcam++`, `xgradcam`,
    /// `hirescam`, `layercam`, `gradcamelementwise`, `eigencam`, `kpcacam`, `eigengradcam`,
    /// `segeigencam`, `ablationcam`, `scorecam`, `fem`, `randomcam` (pytorch-grad-cam's class
    /// names in lower case).
    pub fn name(self) -> &'static str {
        match self {
            CamMethod::Cam => "cam",
            CamMethod::Gradient(GradientCam::GradCam) => "gradcam",
            CamMethod::Gradient(GradientCam::GradCamPlusPlus) => "gradcam++",
            CamMethod::Gradient(GradientCam::XGradCam) => "xgradcam",
            CamMethod::Gradient(GradientCam::HiResCam) => "hirescam",
            CamMethod::Gradient(GradientCam::LayerCam) => "layercam",
            CamMethod::Gradient(GradientCam::ElementWise) => "gradcamelementwise",
            CamMethod::EigenCam => "eigencam",
            CamMethod::KpcaCam => "kpcacam",
            CamMethod::EigenGradCam => "eigengradcam",
            CamMethod::SegEigenCam => "segeigencam",
            CamMethod::AblationCam => "ablationcam",
            CamMethod::ScoreCam => "scorecam",
            CamMethod::Fem => "fem",
            CamMethod::RandomCam => "randomcam",
        }
    }

    /// The method's name in pictures: `CAM`, `Grad-CAM`, `Grad-CAM++`, …
    pub fn label(self) -> &'static str {
        match self {
            CamMethod::Cam => "CAM",
            CamMethod::Gradient(GradientCam::GradCam) => "Grad-CAM",
            CamMethod::Gradient(GradientCam::GradCamPlusPlus) => "Grad-CAM++",
            CamMethod::Gradient(GradientCam::XGradCam) => "XGrad-CAM",
            CamMethod::Gradient(GradientCam::HiResCam) => "HiResCAM",
            CamMethod::Gradient(GradientCam::LayerCam) => "LayerCAM",
            CamMethod::Gradient(GradientCam::ElementWise) => "Grad-CAM element-wise",
            CamMethod::EigenCam => "EigenCAM",
            CamMethod::KpcaCam => "KPCA-CAM",
            CamMethod::EigenGradCam => "EigenGrad-CAM",
            CamMethod::SegEigenCam => "Seg-Eigen-CAM",
            CamMethod::AblationCam => "Ablation-CAM",
            CamMethod::ScoreCam => "Score-CAM",
            CamMethod::Fem => "FEM",
            CamMethod::RandomCam => "Random-CAM",
        }
    }
}

impl fmt::Display for CamMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A method name that is not one of [`CamMethod::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown CAM method {0:?} (expected one of {names})", names = CamMethod::ALL.map(CamMethod::name).join(", "))]
pub struct UnknownMethod(pub String);

impl FromStr for CamMethod {
    type Err = UnknownMethod;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let wanted = name.trim().to_ascii_lowercase().replace(['-', '_'], "");
        CamMethod::ALL
            .into_iter()
            .find(|method| method.name() == wanted)
            .ok_or_else(|| UnknownMethod(name.to_string()))
    }
}

/// Options of [`explain`].
#[derive(Config, Debug)]
pub struct ExplainConfig {
    /// Post-processing of the raw maps (pytorch-grad-cam's: ReLU then min-max).
    #[config(default = "CamNormalization::ReluMinMax")]
    pub normalization: CamNormalization,
    /// Upsample the maps to the input images' size (bilinear, `align_corners=False`) before
    /// the min-max scaling; otherwise they stay at the feature grid.
    #[config(default = false)]
    pub upsample: bool,
    /// Guard of every min-max scaling.
    #[config(default = 1e-8)]
    pub eps: f64,
    /// Masked images per forward pass in Score-CAM.
    #[config(default = 16)]
    pub score_cam_batch_size: usize,
    /// Power-iteration steps of EigenCAM, EigenGrad-CAM and `eigen_smooth` (see
    /// [`eigen_cam`]).
    #[config(default = 200)]
    pub eigen_iterations: usize,
    /// pytorch-grad-cam's `eigen_smooth`: each map is the first principal component of the
    /// method's weighted activations (channel weight × activation, or the element-wise
    /// products; [`GradientCam::weighted_activations`]) instead of their sum over channels,
    /// with the sign of the sum kept (see [`eigen_cam`]). It removes noise that is not in the
    /// dominant pattern. No effect on EigenCAM and EigenGrad-CAM, which are projections
    /// already.
    #[config(default = false)]
    pub eigen_smooth: bool,
    /// FEM's `k`: a cell counts when its activation exceeds the channel's mean plus `k`
    /// standard deviations (pytorch-grad-cam's default 2).
    #[config(default = 2.0)]
    pub fem_k: f64,
    /// Seed of Random-CAM's weights.
    #[config(default = 0)]
    pub random_seed: u64,
    /// `γ` of KPCA-CAM's sigmoid kernel; `None`: `1 / channels` (scikit-learn's default).
    #[config(default = "None")]
    pub kpca_gamma: Option<f64>,
    /// pytorch-grad-cam's `aug_smooth`: the mean of the finished maps of six versions of each
    /// image, mirrored left-right or not × intensities scaled by 0.9, 1 and 1.1
    /// ([`AUG_SMOOTH_FACTORS`]), each map mirrored back. Six times the work; maps that follow
    /// the object more closely. With [`Target::Predicted`] every version explains the class
    /// predicted for the image itself (pytorch-grad-cam, given no targets, re-predicts each
    /// version).
    #[config(default = false)]
    pub aug_smooth: bool,
}

/// The intensity factors of [`ExplainConfig::aug_smooth`] (pytorch-grad-cam's
/// `tta.Multiply(factors=[0.9, 1, 1.1])`), each with and without a left-right mirror.
pub const AUG_SMOOTH_FACTORS: [f64; 3] = [0.9, 1.0, 1.1];

/// Why [`try_explain`] refused its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    /// A batch without images, or an image with a zero-sized side.
    #[error("images must be [batch, channels, height, width] with every size positive, got {0:?}")]
    EmptyImages([usize; 4]),
    /// [`Target::Classes`] does not hold one class per image.
    #[error("{given} target classes for a batch of {batch} images: give one per image")]
    TargetCount {
        /// Classes given.
        given: usize,
        /// Images in the batch.
        batch: usize,
    },
    /// A target class the model does not have.
    #[error(
        "target class {class} of image {image} is out of range: the model has {classes} classes (0..{classes})"
    )]
    ClassOutOfRange {
        /// The image's index in the batch.
        image: usize,
        /// The class asked for.
        class: i64,
        /// The model's number of classes.
        classes: usize,
    },
    /// A setting that must be positive is 0: [`ExplainConfig::score_cam_batch_size`],
    /// [`ExplainConfig::eigen_iterations`], or one of [`SessConfig`](crate::SessConfig)'s.
    #[error("{0} must be positive, got 0")]
    ZeroSetting(&'static str),
    /// Images of another size than the one the model takes ([`CamBackbone::input_size`]).
    #[error("the model takes {expected:?} (height, width) images, got {got:?}")]
    ImageSize {
        /// The model's input size.
        expected: [usize; 2],
        /// The images' size.
        got: [usize; 2],
    },
    /// A setting of [`sess`](crate::sess) the image cannot serve.
    #[error("SESS: {0}")]
    Sess(String),
    /// [`refine_cam`](crate::refine_cam) given no layer.
    #[error("refine_cam needs at least one layer")]
    NoLayers,
    /// A method the model or the explained layer cannot serve.
    #[error("{method} cannot explain this model: {reason}")]
    Unsupported {
        /// The method.
        method: CamMethod,
        /// Why, and what to use instead.
        reason: &'static str,
    },
}

/// Checks what both [`try_explain`] and [`explain_layer`](crate::explain_layer) refuse before
/// any forward pass: empty images, a zero setting, images of the wrong size, a class count
/// that is not one per image, and Finer-CAM's target where it cannot serve: its predicted
/// class and rivals are chosen from the logits the score is computed on, so methods that score
/// perturbed inputs (Ablation-CAM, Score-CAM) and `aug_smooth` would choose them anew for each
/// perturbation, where pytorch-grad-cam fixes them once.
pub(crate) fn check_request(
    dims: [usize; 4],
    input_size: Option<[usize; 2]>,
    method: CamMethod,
    target: &Target,
    config: &ExplainConfig,
) -> Result<(), ExplainError> {
    check_images(dims, input_size)?;
    if config.score_cam_batch_size == 0 {
        return Err(ExplainError::ZeroSetting("score_cam_batch_size"));
    }
    if config.eigen_iterations == 0 {
        return Err(ExplainError::ZeroSetting("eigen_iterations"));
    }
    target.check_count(dims[0])?;
    let perturbs = matches!(method, CamMethod::AblationCam | CamMethod::ScoreCam);
    if matches!(target, Target::Finer { .. }) && (perturbs || config.aug_smooth) {
        return Err(ExplainError::Unsupported {
            method,
            reason: "Finer-CAM's target serves the gradient methods (and those that ignore the \
                     target) without aug_smooth",
        });
    }
    Ok(())
}

/// Checks a batch of images of shape `dims` for an explanation: no side of size zero, and the
/// model's fixed input size (`input_size`, [`CamBackbone::input_size`]) if it has one.
///
/// # Errors
/// [`ExplainError::EmptyImages`] or [`ExplainError::ImageSize`].
pub fn check_images(dims: [usize; 4], input_size: Option<[usize; 2]>) -> Result<(), ExplainError> {
    if dims.contains(&0) {
        return Err(ExplainError::EmptyImages(dims));
    }
    let got = [dims[2], dims[3]];
    match input_size {
        Some(expected) if expected != got => Err(ExplainError::ImageSize { expected, got }),
        _ => Ok(()),
    }
}

/// Checks that every class of a [`Target::Classes`] is one of the model's `count` classes
/// (read back from the device).
pub(crate) fn check_classes(target: &Target, count: usize) -> Result<(), ExplainError> {
    let Target::Classes(classes) = target else {
        return Ok(());
    };
    let values: Vec<i64> = classes
        .clone()
        .into_data()
        .convert::<i64>()
        .iter::<i64>()
        .collect();
    match values
        .iter()
        .enumerate()
        .find(|(_, c)| **c < 0 || **c as usize >= count)
    {
        Some((image, &class)) => Err(ExplainError::ClassOutOfRange {
            image,
            class,
            classes: count,
        }),
        None => Ok(()),
    }
}

/// [`explain`] after checking what it would otherwise panic on: the images' shape, the number
/// and range of the target classes (read back from the device), and the config.
///
/// # Errors
/// [`ExplainError`], naming the value at fault.
///
/// # Shapes
/// As [`explain`].
pub fn try_explain<M: CamBackbone>(
    model: &M,
    images: Tensor<4>,
    method: CamMethod,
    target: &Target,
    config: &ExplainConfig,
) -> Result<Tensor<3>, ExplainError> {
    check_request(images.dims(), model.input_size(), method, target, config)?;
    if !model.pools_features() && !method.ignores_head() {
        return Err(ExplainError::Unsupported {
            method,
            reason: "its head does not pool the feature maps (a class-token ViT): explain it \
                     at an inner layer with explain_layer, or use eigencam, kpcacam, fem or \
                     randomcam",
        });
    }
    let [count, _] = model.class_weights().dims();
    check_classes(target, count)?;
    Ok(explain(model, images, method, target, config))
}

/// Explanation maps of `model` for `images` and `target`.
///
/// Works on any device; gradient methods run the head (not the backbone) a second time on an
/// autodiff copy of the features, so the model's device needs no autodiff. [`try_explain`]
/// checks the input first and returns an error instead of panicking. Only
/// [`CamMethod::Cam`] keeps the autodiff graph of its inputs (train through it with the
/// CYBORG loss); the others return constants.
///
/// # Shapes
/// - images: `[batch, channels, height, width]`
/// - output: `[batch, h, w]` at the feature grid, or `[batch, height, width]` with
///   [`ExplainConfig::upsample`]
pub fn explain<M: CamBackbone>(
    model: &M,
    images: Tensor<4>,
    method: CamMethod,
    target: &Target,
    config: &ExplainConfig,
) -> Tensor<3> {
    smoothed(
        images,
        target,
        config.aug_smooth,
        &|images| model.forward_classified(images).logits,
        &|images, target| explain_once(model, images, method, target, config),
    )
}

/// `explain(images, target)` alone, or with `aug_smooth` the mean of its maps over the six
/// augmentations of [`ExplainConfig::aug_smooth`], each map mirrored back; a
/// [`Target::Predicted`] is fixed from `forward(images)` first.
pub(crate) fn smoothed(
    images: Tensor<4>,
    target: &Target,
    aug_smooth: bool,
    forward: &dyn Fn(Tensor<4>) -> Tensor<2>,
    explain: &dyn Fn(Tensor<4>, &Target) -> Tensor<3>,
) -> Tensor<3> {
    if !aug_smooth {
        return explain(images, target);
    }
    // The predicted classes of the image itself, for every version of it (pytorch-grad-cam
    // re-predicts each version, and one mean map could mix two classes).
    let fixed;
    let target = match target {
        Target::Predicted => {
            let logits = forward(images.clone());
            fixed = Target::Classes(
                target
                    .classes(&logits.inner())
                    .expect("a predicted target has classes"),
            );
            &fixed
        }
        other => other,
    };
    let mut total: Option<Tensor<3>> = None;
    for mirror in [false, true] {
        for factor in AUG_SMOOTH_FACTORS {
            let mut augmented = images.clone().mul_scalar(factor);
            if mirror {
                augmented = augmented.flip([3]);
            }
            let mut maps = explain(augmented, target);
            if mirror {
                maps = maps.flip([2]);
            }
            total = Some(match total {
                Some(total) => total + maps,
                None => maps,
            });
        }
    }
    let count = 2 * AUG_SMOOTH_FACTORS.len();
    total
        .expect("at least one augmentation")
        .div_scalar(count as f64)
}

/// [`explain`] without `aug_smooth`.
fn explain_once<M: CamBackbone>(
    model: &M,
    images: Tensor<4>,
    method: CamMethod,
    target: &Target,
    config: &ExplainConfig,
) -> Tensor<3> {
    let [_, _, height, width] = images.dims();
    let out = model.forward_classified(images.clone());
    let smooth = config.eigen_smooth;
    let project = |weighted: Tensor<4>| eigen_cam(weighted, config.eigen_iterations);
    let raw = match method {
        CamMethod::Cam => match target.classes(&out.logits) {
            Some(classes) if !smooth => {
                class_activation_maps(out.features, model.class_weights(), classes)
            }
            Some(classes) => {
                let classes = classes.to_device(&out.features.device());
                let rows = model.class_weights().select(0, classes); // [batch, channels]
                channel_weighted(out.features, rows, true, &project)
            }
            None => {
                let [_, _, h, w] = out.features.dims();
                let (activations, gradients) = feature_gradients(model, out.features, target);
                let hires = GradientCam::HiResCam;
                let scale = (h * w) as f64;
                if smooth {
                    project(
                        hires
                            .weighted_activations(activations, gradients)
                            .mul_scalar(scale),
                    )
                } else {
                    hires.maps(activations, gradients).mul_scalar(scale)
                }
            }
        },
        CamMethod::AblationCam => {
            let activations = out.features.inner();
            let weights = ablation_weights(model, &activations, &out.logits, target);
            channel_weighted(activations, weights, smooth, &project)
        }
        _ => {
            let features = out.features.clone();
            let forward = |images| model.forward_classified(images).logits;
            let sources = Sources {
                activations: &|| (features.clone().inner(), out.logits.clone().inner()),
                gradients: &|| feature_gradients(model, features.clone(), target),
                score_cam_weights: &|activations, logits| {
                    score_cam_weights(
                        &forward,
                        images.clone(),
                        activations,
                        logits,
                        target,
                        config,
                    )
                },
            };
            shared_maps(method, &sources, config)
        }
    };
    let size = config.upsample.then_some([height, width]);
    finish_maps(raw, config.normalization, size, config.eps)
}

/// Where [`shared_maps`] gets what a method reads, lazily: the explained layer's activations
/// (no autodiff) with the logits of the same forward pass, the activations with the gradients
/// of the target score w.r.t. them, and Score-CAM's channel weights for given activations and
/// logits.
pub(crate) struct Sources<'a> {
    pub(crate) activations: &'a dyn Fn() -> (Tensor<4>, Tensor<2>),
    pub(crate) gradients: &'a dyn Fn() -> (Tensor<4>, Tensor<4>),
    pub(crate) score_cam_weights: &'a dyn Fn(&Tensor<4>, &Tensor<2>) -> Tensor<2>,
}

/// The raw maps of every method that reads only the explained layer's activations, their
/// gradients and Score-CAM's masked forward passes (all but CAM and Ablation-CAM, which need
/// the linear head): shared by [`explain`] and [`explain_layer`](crate::explain_layer).
///
/// # Shapes
/// - output: `[batch, h, w]` at the layer's grid
///
/// # Panics
/// For CAM and Ablation-CAM.
pub(crate) fn shared_maps(
    method: CamMethod,
    sources: &Sources,
    config: &ExplainConfig,
) -> Tensor<3> {
    let smooth = config.eigen_smooth;
    let project = |weighted: Tensor<4>| eigen_cam(weighted, config.eigen_iterations);
    match method {
        CamMethod::Gradient(kind) => {
            let (activations, gradients) = (sources.gradients)();
            weighted_map(
                kind.weighted_activations(activations, gradients),
                smooth,
                &project,
            )
        }
        CamMethod::EigenCam => project((sources.activations)().0),
        CamMethod::KpcaCam => kpca_cam((sources.activations)().0, config.kpca_gamma),
        CamMethod::EigenGradCam => {
            let (activations, gradients) = (sources.gradients)();
            project(GradientCam::HiResCam.weighted_activations(activations, gradients))
        }
        CamMethod::SegEigenCam => {
            let (activations, gradients) = (sources.gradients)();
            eigen_cam_max_positive(gradients.abs() * activations, config.eigen_iterations)
        }
        CamMethod::RandomCam => {
            let activations = (sources.activations)().0;
            let weights = random_cam_weights(&activations, config.random_seed);
            channel_weighted(activations, weights, smooth, &project)
        }
        CamMethod::Fem => {
            let activations = (sources.activations)().0;
            let weights = fem_weights(&activations, config.fem_k);
            channel_weighted(activations, weights, smooth, &project)
        }
        CamMethod::ScoreCam => {
            let (activations, logits) = (sources.activations)();
            let weights = (sources.score_cam_weights)(&activations, &logits);
            channel_weighted(activations, weights, smooth, &project)
        }
        CamMethod::Cam | CamMethod::AblationCam => {
            unreachable!("{method} needs the linear head: its callers handle it")
        }
    }
}

/// The features (without autodiff) and the gradient of the target score w.r.t. them, through
/// the head only.
fn feature_gradients<M: CamBackbone>(
    model: &M,
    features: Tensor<4>,
    target: &Target,
) -> (Tensor<4>, Tensor<4>) {
    let activations = features.inner();
    let leaf = activations.clone().autodiff().require_grad();
    let logits = head_logits(
        global_average_pool(leaf.clone()),
        model.class_weights().inner().autodiff(),
        model.class_bias().map(|b| b.inner().autodiff()),
    );
    let classes = target.classes(&logits.clone().inner());
    let score = target.score(logits, classes.as_ref()).sum();
    let grads = score.backward();
    let gradients = leaf
        .grad(&grads)
        .expect("the features take part in the target score");
    (activations, gradients)
}

/// The map of weighted activations: their sum over channels, or with `smooth` their first
/// principal component (`project`).
///
/// # Shapes
/// - weighted: `[batch, channels, h, w]`
/// - output: `[batch, h, w]`
fn weighted_map(
    weighted: Tensor<4>,
    smooth: bool,
    project: &dyn Fn(Tensor<4>) -> Tensor<3>,
) -> Tensor<3> {
    if smooth {
        project(weighted)
    } else {
        channel_sum(weighted)
    }
}

/// [`weighted_map`] of the activations each weighted by its channel's weight.
///
/// # Shapes
/// - activations: `[batch, channels, h, w]`
/// - weights: `[batch, channels]`
/// - output: `[batch, h, w]`
fn channel_weighted(
    activations: Tensor<4>,
    weights: Tensor<2>,
    smooth: bool,
    project: &dyn Fn(Tensor<4>) -> Tensor<3>,
) -> Tensor<3> {
    let [b, c, _, _] = activations.dims();
    weighted_map(activations * weights.reshape([b, c, 1, 1]), smooth, project)
}

/// Per-image drop in confidence when the `fraction` most salient pixels are removed (replaced
/// by the image's per-channel mean), a ROAD-style faithfulness measure (Rong et al., ICML
/// 2022, with mean instead of noisy linear imputation): confidence is the softmax
/// probability of the target class. A faithful map gives a large drop. Exactly
/// `max(1, round(fraction · h · w))` pixels are removed per image, ties broken by the sort
/// ([`top_fraction_mask`]).
///
/// # Shapes
/// - images: `[batch, channels, height, width]`
/// - maps: `[batch, height, width]` (explanations at the image size)
/// - output: `[batch]`, `p(original) − p(perturbed)`
///
/// # Panics
/// If `fraction` is not in `(0, 1]`, the target is a custom score, or the shapes disagree.
pub fn confidence_drop<M: CamBackbone>(
    model: &M,
    images: Tensor<4>,
    maps: Tensor<3>,
    target: &Target,
    fraction: f64,
) -> Tensor<1> {
    assert!(
        fraction > 0.0 && fraction <= 1.0,
        "fraction must be in (0, 1], got {fraction}"
    );
    let images = images.inner();
    let [batch, channels, height, width] = images.dims();
    assert_eq!(
        maps.dims(),
        [batch, height, width],
        "maps {:?} must be [batch, height, width] of images {:?}",
        maps.dims(),
        images.dims()
    );
    let logits = model.forward_classified(images.clone()).logits.inner();
    let classes = target
        .classes(&logits)
        .expect("confidence_drop needs a class target (Classes or Predicted)");
    let n = height * width;
    let removed = top_fraction_mask(maps.inner(), fraction)
        .reshape([batch, 1, height, width])
        .repeat_dim(1, channels);
    let means = images
        .clone()
        .reshape([batch, channels, n])
        .mean_dim(2)
        .reshape([batch, channels, 1, 1])
        .expand([batch, channels, height, width]);
    let perturbed = images.mask_where(removed, means);
    let perturbed_logits = model.forward_classified(perturbed).logits.inner();
    let probability = |logits: Tensor<2>| {
        softmax(logits, 1)
            .gather(1, classes.clone().reshape([batch, 1]))
            .reshape([batch])
    };
    probability(logits) - probability(perturbed_logits)
}
