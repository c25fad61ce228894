//! Vision Transformer (Dosovitskiy et al., *An Image is Worth 16x16 Words*, ICLR 2021) in the
//! layout of timm's `VisionTransformer` (`timm/models/vision_transformer.py`):
//! `patch_embed.proj cls_token pos_embed blocks.{i}.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,
//! mlp.fc2} norm head`. torchvision's `vit_b_16` family (`conv_proj`, `class_token`,
//! `encoder.layers.encoder_layer_{i}`, `heads.head`) loads into the same model.
//!
//! Two heads ([`VitPool`]):
//! - [`VitPool::PatchMean`], timm's `global_pool='avg', fc_norm=False`: the head reads the mean
//!   of the patch tokens after the final norm. Those tokens, laid out on the patch grid (14×14
//!   at 224 px with 16-px patches), are the CAM features, and `mean_hw(CAM_c) + bias_c ==
//!   logit_c` holds as for the CNNs: the model trains with every guided loss and serves every
//!   method of [`explain`](crate::explain).
//! - [`VitPool::ClassToken`], the original ViT (timm's default `global_pool='token'`,
//!   torchvision): the head reads the class token, so no CAM decomposes its logits
//!   ([`CamBackbone::pools_features`] is false). Explain it at an inner layer with
//!   [`explain_layer`](crate::explain_layer) (gradients through the rest of the network, the
//!   patch tokens reshaped to their grid as pytorch-grad-cam's `reshape_transform` does).
//!
//! [`VitConfig::vit_small_patch16`] is timm's `vit_small_patch16_224` (22 M parameters),
//! [`VitConfig::vit_base_patch16`] torchvision's `vit_b_16` and timm's `vit_base_patch16_224`.

mod block;

pub use block::{Attention, Mlp, VitBlock};

use burn::module::{Initializer, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use cyborg_cam::TargetLayer;
use serde::{Deserialize, Serialize};

use crate::backbone::{Classified, classify};
use crate::import::TorchLayout;

/// What a [`Vit`]'s head reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VitPool {
    /// The mean of the patch tokens after the final norm (timm's `global_pool='avg'` with
    /// `fc_norm=False`): the CAM identity holds.
    PatchMean,
    /// The class token after the final norm (the original ViT, torchvision's and timm's
    /// default): needs [`VitConfig::class_token`].
    ClassToken,
}

/// Configuration of a [`Vit`].
///
/// Built by [`VitConfig::init`].
#[derive(Config, Debug)]
pub struct VitConfig {
    /// Number of classes.
    pub num_classes: usize,
    /// Input channels.
    #[config(default = 3)]
    pub channels: usize,
    /// Side of the square input images (the position embedding is learned for this size).
    #[config(default = 224)]
    pub image_size: usize,
    /// Side of the square patches; divides `image_size`.
    #[config(default = 16)]
    pub patch_size: usize,
    /// Token width.
    #[config(default = 384)]
    pub embed_dim: usize,
    /// Number of encoder blocks.
    #[config(default = 12)]
    pub depth: usize,
    /// Attention heads per block; divides `embed_dim`.
    #[config(default = 6)]
    pub num_heads: usize,
    /// MLP width as a multiple of `embed_dim`.
    #[config(default = 4)]
    pub mlp_ratio: usize,
    /// Whether a learned class token is prepended (timm's and torchvision's ImageNet models
    /// have one, also when the head pools the patches).
    #[config(default = true)]
    pub class_token: bool,
    /// What the head reads.
    #[config(default = "VitPool::PatchMean")]
    pub pool: VitPool,
    /// Epsilon of every layer norm (1e-6 in timm and torchvision).
    #[config(default = 1e-6)]
    pub eps: f64,
}

impl VitConfig {
    /// ViT-S/16 (timm's `vit_small_patch16_224`): 224 px, 16-px patches, width 384, 12
    /// blocks of 6 heads, with a class token and the patch-mean head.
    pub fn vit_small_patch16(num_classes: usize) -> Self {
        Self::new(num_classes)
    }

    /// ViT-B/16 (torchvision's `vit_b_16`, timm's `vit_base_patch16_224`): width 768, 12
    /// blocks of 12 heads, with a class token and the patch-mean head.
    pub fn vit_base_patch16(num_classes: usize) -> Self {
        Self::new(num_classes)
            .with_embed_dim(768)
            .with_num_heads(12)
    }

    /// Patches per side (`image_size / patch_size`): the CAM grid is this squared.
    pub fn grid_size(&self) -> usize {
        self.image_size / self.patch_size
    }

    /// Builds the network with fresh weights on `device`: linear and patch weights as Burn
    /// initialises them, position embedding N(0, 0.02²), class token N(0, 10⁻¹²) (timm's).
    ///
    /// # Panics
    /// If a size is zero, `patch_size` does not divide `image_size`, `num_heads` does not
    /// divide `embed_dim`, or [`VitPool::ClassToken`] is asked for without a class token.
    pub fn init(&self, device: &Device) -> Vit {
        for (name, value) in [
            ("num_classes", self.num_classes),
            ("channels", self.channels),
            ("image_size", self.image_size),
            ("patch_size", self.patch_size),
            ("embed_dim", self.embed_dim),
            ("depth", self.depth),
            ("num_heads", self.num_heads),
            ("mlp_ratio", self.mlp_ratio),
        ] {
            assert!(value > 0, "{name} must be positive, got 0");
        }
        assert!(
            self.image_size.is_multiple_of(self.patch_size),
            "patch_size {} must divide image_size {}",
            self.patch_size,
            self.image_size
        );
        assert!(
            self.embed_dim.is_multiple_of(self.num_heads),
            "num_heads {} must divide embed_dim {}",
            self.num_heads,
            self.embed_dim
        );
        assert!(
            self.class_token || self.pool == VitPool::PatchMean,
            "a class-token head needs class_token = true"
        );
        let dim = self.embed_dim;
        let tokens = self.grid_size().pow(2) + usize::from(self.class_token);
        let normal = |std: f64, shape: [usize; 3]| {
            Initializer::Normal { mean: 0.0, std }.init(shape, device)
        };
        Vit {
            patch_embed: PatchEmbed {
                proj: Conv2dConfig::new([self.channels, dim], [self.patch_size, self.patch_size])
                    .with_stride([self.patch_size, self.patch_size])
                    .init(device),
            },
            cls_token: self.class_token.then(|| normal(1e-6, [1, 1, dim])),
            pos_embed: normal(0.02, [1, tokens, dim]),
            blocks: (0..self.depth)
                .map(|_| VitBlock::new(dim, self.num_heads, dim * self.mlp_ratio, self.eps, device))
                .collect(),
            norm: LayerNormConfig::new(dim)
                .with_epsilon(self.eps)
                .init(device),
            head: LinearConfig::new(dim, self.num_classes).init(device),
            pool: self.pool,
            image_size: self.image_size,
        }
    }
}

/// The patch embedding: a convolution whose kernel and stride are the patch size.
#[derive(Module, Debug)]
pub struct PatchEmbed {
    /// `channels → embed_dim`, kernel = stride = patch size, with bias.
    pub proj: Conv2d,
}

/// A Vision Transformer with its patch tokens exposed on their grid for CAM.
///
/// Built by [`VitConfig::init`]; field names are timm's.
#[derive(Module, Debug)]
pub struct Vit {
    /// Image to patch tokens.
    pub patch_embed: PatchEmbed,
    /// The class token `[1, 1, dim]`, if the model has one.
    pub cls_token: Option<Param<Tensor<3>>>,
    /// Learned position embedding `[1, tokens, dim]` (class token first).
    pub pos_embed: Param<Tensor<3>>,
    /// The encoder blocks.
    pub blocks: Vec<VitBlock>,
    /// The final layer norm.
    pub norm: LayerNorm,
    /// The linear classifier.
    pub head: Linear,
    /// What the head reads.
    #[module(skip)]
    pub pool: VitPool,
    /// The input side the position embedding is learned for.
    pub image_size: usize,
}

impl Vit {
    /// Tokens before the first block: patches embedded, the class token prepended, the
    /// position embedding added.
    ///
    /// # Shapes
    /// - images: `[batch, channels, image_size, image_size]`
    /// - output: `[batch, tokens, dim]`
    ///
    /// # Panics
    /// If the images are not `image_size` square (the position embedding is learned for one
    /// size); [`Vit::input_size`] tells it.
    pub fn embed(&self, images: Tensor<4>) -> Tensor<3> {
        let [batch, _, height, width] = images.dims();
        assert!(
            height == self.image_size && width == self.image_size,
            "this ViT takes {0}×{0} images, got {height}×{width}",
            self.image_size
        );
        let patches = cyborg_ops::conv2d(&self.patch_embed.proj, images); // [batch, dim, gh, gw]
        let [_, dim, gh, gw] = patches.dims();
        let patches = patches.reshape([batch, dim, gh * gw]).swap_dims(1, 2);
        let tokens = match &self.cls_token {
            Some(cls) => Tensor::cat(vec![cls.val().expand([batch, 1, dim]), patches], 1),
            None => patches,
        };
        tokens + self.pos_embed.val()
    }

    /// Tokens before the head (after the final norm), with the output of `norm1` of block
    /// `tap_block` passed through `tap` (no tap when `None`).
    ///
    /// # Shapes
    /// - images: `[batch, channels, image_size, image_size]`
    /// - output: `[batch, tokens, dim]`
    fn tokens(
        &self,
        images: Tensor<4>,
        tap_block: Option<usize>,
        tap: &mut dyn FnMut(Tensor<3>) -> Tensor<3>,
    ) -> Tensor<3> {
        let mut x = self.embed(images);
        for (index, block) in self.blocks.iter().enumerate() {
            x = if tap_block == Some(index) {
                block.forward_tapped(x, tap)
            } else {
                block.forward(x)
            };
        }
        self.norm.forward(x)
    }

    /// The number of tokens before the patches (1 with a class token, else 0).
    fn prefix_tokens(&self) -> usize {
        usize::from(self.cls_token.is_some())
    }

    /// The patch tokens of `tokens` laid out on the patch grid.
    ///
    /// # Shapes
    /// - tokens: `[batch, tokens, dim]`
    /// - output: `[batch, dim, grid, grid]`
    pub fn patch_grid(&self, tokens: Tensor<3>) -> Tensor<4> {
        let [batch, count, dim] = tokens.dims();
        let prefix = self.prefix_tokens();
        let patches = count - prefix;
        let side = self.grid_side();
        assert_eq!(
            patches,
            side * side,
            "{patches} patch tokens do not fill a {side}×{side} grid"
        );
        tokens
            .narrow(1, prefix, patches)
            .swap_dims(1, 2)
            .reshape([batch, dim, side, side])
    }

    /// Patches per side.
    fn grid_side(&self) -> usize {
        let [kernel, _] = self.patch_embed.proj.kernel_size;
        self.image_size / kernel
    }

    /// The logits from the tokens after the final norm.
    fn head_of(&self, tokens: Tensor<3>) -> Classified {
        let features = self.patch_grid(tokens.clone());
        match self.pool {
            VitPool::PatchMean => classify(features, None, &self.head),
            VitPool::ClassToken => {
                let [batch, _, dim] = tokens.dims();
                let class = tokens.narrow(1, 0, 1).reshape([batch, dim]);
                Classified {
                    logits: self.head.forward(class),
                    features,
                }
            }
        }
    }

    /// The patch tokens after the final norm on their grid (the CAM features) and the logits,
    /// from one forward pass.
    ///
    /// # Shapes
    /// - images: `[batch, channels, image_size, image_size]`
    /// - output: features `[batch, dim, grid, grid]`, logits `[batch, num_classes]`
    pub fn forward_classified(&self, images: Tensor<4>) -> Classified {
        self.head_of(self.tokens(images, None, &mut |x| x))
    }

    /// Logits only.
    ///
    /// # Shapes
    /// - images: `[batch, channels, image_size, image_size]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.forward_classified(images).logits
    }

    /// The model explained at `norm1` of block `block` (0-based) by
    /// [`explain_layer`](crate::explain_layer); the model itself is explained at the last
    /// block's `norm1`, pytorch-grad-cam's choice for ViTs.
    ///
    /// # Panics
    /// If the model has no block `block`.
    pub fn at_block(&self, block: usize) -> VitLayer<'_> {
        assert!(
            block < self.blocks.len(),
            "block {block} out of range: the model has {} blocks",
            self.blocks.len()
        );
        VitLayer { model: self, block }
    }
}

impl crate::CamBackbone for Vit {
    fn forward_classified(&self, images: Tensor<4>) -> Classified {
        Vit::forward_classified(self, images)
    }

    fn class_weights(&self) -> Tensor<2> {
        cyborg_cam::linear_class_weights(&self.head)
    }

    fn class_bias(&self) -> Option<Tensor<1>> {
        self.head.bias.as_ref().map(|bias| bias.val())
    }

    fn pools_features(&self) -> bool {
        self.pool == VitPool::PatchMean
    }

    fn input_size(&self) -> Option<[usize; 2]> {
        Some([self.image_size, self.image_size])
    }
}

/// A [`Vit`] explained at `norm1` of one of its blocks: the patch tokens of that layer on
/// their grid (pytorch-grad-cam's `reshape_transform`), with gradients through the rest of
/// the network. Made by [`Vit::at_block`].
#[derive(Debug, Clone, Copy)]
pub struct VitLayer<'a> {
    model: &'a Vit,
    block: usize,
}

impl TargetLayer for VitLayer<'_> {
    fn forward_tapped(
        &self,
        images: Tensor<4>,
        tap: &mut dyn FnMut(Tensor<4>) -> Tensor<4>,
    ) -> Tensor<2> {
        let model = self.model;
        let prefix = model.prefix_tokens();
        let mut on_grid = |tokens: Tensor<3>| {
            let [batch, count, dim] = tokens.dims();
            // Burn's narrow refuses a length of 0: no prefix, no head part.
            let head = (prefix > 0).then(|| tokens.clone().narrow(1, 0, prefix));
            let grid = tap(model.patch_grid(tokens));
            let patches = grid.reshape([batch, dim, count - prefix]).swap_dims(1, 2);
            match head {
                Some(head) => Tensor::cat(vec![head, patches], 1),
                None => patches,
            }
        };
        let tokens = model.tokens(images, Some(self.block), &mut on_grid);
        model.head_of(tokens).logits
    }

    fn input_size(&self) -> Option<[usize; 2]> {
        Some([self.model.image_size; 2])
    }
}

impl TargetLayer for Vit {
    fn forward_tapped(
        &self,
        images: Tensor<4>,
        tap: &mut dyn FnMut(Tensor<4>) -> Tensor<4>,
    ) -> Tensor<2> {
        self.at_block(self.blocks.len() - 1)
            .forward_tapped(images, tap)
    }

    fn input_size(&self) -> Option<[usize; 2]> {
        Some([self.image_size; 2])
    }
}

/// torchvision's `VisionTransformer` names (left) into timm's (right), which this model uses.
const TORCHVISION_REMAPS: [(&str, &str); 12] = [
    (r"^conv_proj\.", "patch_embed.proj."),
    (r"^class_token$", "cls_token"),
    (r"^encoder\.pos_embedding$", "pos_embed"),
    (r"^encoder\.layers\.encoder_layer_(\d+)\.", "blocks.$1."),
    (r"^(blocks\.\d+\.)ln_1\.", "${1}norm1."),
    (r"^(blocks\.\d+\.)ln_2\.", "${1}norm2."),
    (
        r"^(blocks\.\d+\.)self_attention\.in_proj_(weight|bias)$",
        "${1}attn.qkv.$2",
    ),
    (
        r"^(blocks\.\d+\.)self_attention\.out_proj\.",
        "${1}attn.proj.",
    ),
    (r"^(blocks\.\d+\.)mlp\.0\.", "${1}mlp.fc1."),
    (r"^(blocks\.\d+\.)mlp\.3\.", "${1}mlp.fc2."),
    (r"^encoder\.ln\.", "norm."),
    (r"^heads\.head\.", "head."),
];

impl TorchLayout for Vit {
    fn key_remaps(&self) -> Vec<(String, String)> {
        // timm's keys are the model's paths; torchvision's are renamed.
        TORCHVISION_REMAPS
            .iter()
            .map(|(from, to)| (from.to_string(), to.to_string()))
            .collect()
    }
}
