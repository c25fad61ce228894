//! The transformer encoder block of a [`Vit`](super::Vit): pre-norm multi-head self-attention
//! and MLP, each with a residual connection, in timm's layout (`norm1 attn norm2 mlp`).

use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{gelu, softmax};

/// Multi-head self-attention with one fused `qkv` projection (timm's `Attention`; torchvision's
/// `nn.MultiheadAttention` `in_proj`/`out_proj` load into it).
#[derive(Module, Debug)]
pub struct Attention {
    /// Queries, keys and values at once: `dim → 3·dim`, in that order.
    pub qkv: Linear,
    /// The output projection `dim → dim`.
    pub proj: Linear,
    /// Number of heads.
    pub num_heads: usize,
}

impl Attention {
    fn new(dim: usize, num_heads: usize, device: &Device) -> Self {
        Self {
            qkv: LinearConfig::new(dim, 3 * dim).init(device),
            proj: LinearConfig::new(dim, dim).init(device),
            num_heads,
        }
    }

    /// `softmax(q·kᵀ / √head_dim) · v` per head, heads concatenated, then projected.
    ///
    /// # Shapes
    /// - x: `[batch, tokens, dim]`
    /// - output: `[batch, tokens, dim]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let [batch, tokens, dim] = x.dims();
        let heads = self.num_heads;
        let head_dim = dim / heads;
        let qkv = self
            .qkv
            .forward(x)
            .reshape([batch, tokens, 3, heads, head_dim]);
        let part = |index: usize| {
            qkv.clone()
                .narrow(2, index, 1)
                .reshape([batch, tokens, heads, head_dim])
                .swap_dims(1, 2) // [batch, heads, tokens, head_dim]
        };
        let (q, k, v) = (part(0), part(1), part(2));
        let scores = q
            .mul_scalar((head_dim as f64).powf(-0.5))
            .matmul(k.swap_dims(2, 3));
        let mixed = softmax(scores, 3).matmul(v); // [batch, heads, tokens, head_dim]
        self.proj
            .forward(mixed.swap_dims(1, 2).reshape([batch, tokens, dim]))
    }
}

/// The two-layer perceptron of a block: `fc2(gelu(fc1(x)))` (exact, erf-based GELU).
#[derive(Module, Debug)]
pub struct Mlp {
    /// `dim → hidden`.
    pub fc1: Linear,
    /// `hidden → dim`.
    pub fc2: Linear,
}

impl Mlp {
    /// `fc2(gelu(fc1(x)))`.
    ///
    /// # Shapes
    /// - x: `[batch, tokens, dim]`
    /// - output: `[batch, tokens, dim]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.fc2.forward(gelu(self.fc1.forward(x)))
    }
}

/// One encoder block: `x + attn(norm1(x))`, then `x + mlp(norm2(x))`.
#[derive(Module, Debug)]
pub struct VitBlock {
    /// Layer norm before the attention (pytorch-grad-cam's usual explained layer is the last
    /// block's `norm1`).
    pub norm1: LayerNorm,
    /// Self-attention.
    pub attn: Attention,
    /// Layer norm before the MLP.
    pub norm2: LayerNorm,
    /// The MLP.
    pub mlp: Mlp,
}

impl VitBlock {
    /// A block of width `dim` with `num_heads` heads, an MLP of `hidden` units and layer norms
    /// of epsilon `eps`.
    pub(crate) fn new(
        dim: usize,
        num_heads: usize,
        hidden: usize,
        eps: f64,
        device: &Device,
    ) -> Self {
        let norm = || LayerNormConfig::new(dim).with_epsilon(eps).init(device);
        Self {
            norm1: norm(),
            attn: Attention::new(dim, num_heads, device),
            norm2: norm(),
            mlp: Mlp {
                fc1: LinearConfig::new(dim, hidden).init(device),
                fc2: LinearConfig::new(hidden, dim).init(device),
            },
        }
    }

    /// The block.
    ///
    /// # Shapes
    /// - x: `[batch, tokens, dim]`
    /// - output: `[batch, tokens, dim]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.forward_tapped(x, &mut |normed| normed)
    }

    /// The block with `norm1`'s output passed through `tap` before the attention reads it.
    ///
    /// # Shapes
    /// - x: `[batch, tokens, dim]`; `tap` gets and returns `[batch, tokens, dim]`
    /// - output: `[batch, tokens, dim]`
    pub(crate) fn forward_tapped(
        &self,
        x: Tensor<3>,
        tap: &mut dyn FnMut(Tensor<3>) -> Tensor<3>,
    ) -> Tensor<3> {
        let x = x.clone() + self.attn.forward(tap(self.norm1.forward(x)));
        x.clone() + self.mlp.forward(self.norm2.forward(x))
    }
}
