//! The UNet's spatial transformer (LDM `SpatialTransformer`): GroupNorm, a projection in (1×1 conv in
//! SD1.x files, linear in SD2-style ones), transformer blocks with self-attention, cross-attention to
//! the text context and a GEGLU feed-forward, a projection out, and the residual.

use burn::tensor::Tensor;
use burn::tensor::activation::gelu;

use super::reference::{ReferenceCursor, Site};
use crate::checkpoint::Result;
use crate::model::layers::{Conv2d, GroupNorm32, LayerNorm, Linear, attention};
use crate::model::merge::{MergeTarget, MergeTargets};
use crate::model::profile;
use crate::model::weights::WeightLoader;
use crate::runtime::cpu;

/// SD1.x uses 8 heads in every transformer; the count is not stored in checkpoints.
pub const HEADS: usize = 8;
const GROUP_NORM_EPS: f64 = 1e-6;
const LAYER_NORM_EPS: f64 = 1e-5;

#[derive(Debug, Clone)]
pub struct SpatialTransformer {
    norm: GroupNorm32,
    proj_in: Projection,
    blocks: Vec<TransformerBlock>,
    proj_out: Projection,
}

/// 1×1 convolution (SD1.x) or linear (SD2-style) projection between the image and the token layout.
#[derive(Debug, Clone)]
enum Projection {
    Conv(Conv2d),
    Linear(Linear),
}

impl Projection {
    fn load(weights: &WeightLoader, inputs: usize, outputs: usize) -> Result<Self> {
        match weights.shape("weight")?.len() {
            4 => Ok(Self::Conv(Conv2d::load_shaped(weights, [outputs, inputs, 1, 1], 1)?)),
            _ => Ok(Self::Linear(Linear::load(weights, inputs, outputs)?)),
        }
    }
}

impl Projection {
    fn target(&mut self) -> &mut dyn MergeTarget {
        match self {
            Self::Conv(conv) => conv,
            Self::Linear(linear) => linear,
        }
    }
}

impl MergeTargets for SpatialTransformer {
    fn for_each_target(&mut self, visit: &mut dyn FnMut(&mut dyn MergeTarget)) {
        visit(self.proj_in.target());
        for block in &mut self.blocks {
            let attention = [&mut block.self_attention, &mut block.cross_attention];
            for Attention { q, k, v, out, .. } in attention {
                [q, k, v, out].into_iter().for_each(|linear| visit(linear));
            }
            visit(&mut block.feed_forward.proj);
            visit(&mut block.feed_forward.out);
        }
        visit(self.proj_out.target());
    }
}

impl SpatialTransformer {
    pub fn load(weights: &WeightLoader, channels: usize) -> Result<Self> {
        let inner = weights.shape("proj_in.weight")?.first().copied().unwrap_or(0);
        let count = (0..).take_while(|j| weights.contains(&format!("transformer_blocks.{j}.norm1.weight"))).count();
        if count == 0 {
            return Err(weights.missing("transformer_blocks.0.norm1.weight"));
        }
        let blocks = (0..count)
            .map(|j| TransformerBlock::load(&weights.sub(format!("transformer_blocks.{j}")), inner))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            norm: GroupNorm32::load(&weights.sub("norm"), channels, GROUP_NORM_EPS)?,
            proj_in: Projection::load(&weights.sub("proj_in"), channels, inner)?,
            blocks,
            proj_out: Projection::load(&weights.sub("proj_out"), inner, channels)?,
        })
    }

    /// Width of the text context the cross-attention expects.
    pub fn context_width(&self) -> usize {
        self.blocks[0].cross_attention.context_width
    }

    /// The transformer on `x`; `reference` and `site` say what reference units do to its self-attention.
    pub fn forward(&self, x: Tensor<4>, context: &Tensor<3>, reference: &mut ReferenceCursor, site: Site) -> Tensor<4> {
        let [batch, channels, height, width] = x.dims();
        let to_tokens = |t: Tensor<4>| {
            let c = t.dims()[1];
            t.reshape([batch, c, height * width]).swap_dims(1, 2)
        };
        let h = self.norm.forward(x.clone());
        let mut tokens = match &self.proj_in {
            Projection::Conv(conv) => to_tokens(conv.forward(h)),
            Projection::Linear(linear) => linear.forward(to_tokens(h)),
        };
        for block in &self.blocks {
            tokens = block.forward(tokens, context, reference, site);
        }
        let to_image = |t: Tensor<3>| {
            let c = t.dims()[2];
            t.swap_dims(1, 2).reshape([batch, c, height, width])
        };
        let h = match &self.proj_out {
            Projection::Conv(conv) => conv.forward(to_image(tokens)),
            Projection::Linear(linear) => to_image(linear.forward(tokens)),
        };
        debug_assert_eq!(h.dims()[1], channels);
        x + h
    }
}

#[derive(Debug, Clone)]
struct TransformerBlock {
    norm1: LayerNorm,
    self_attention: Attention,
    norm2: LayerNorm,
    cross_attention: Attention,
    norm3: LayerNorm,
    feed_forward: GegluFeedForward,
}

impl TransformerBlock {
    fn load(weights: &WeightLoader, width: usize) -> Result<Self> {
        let context_width = weights.shape("attn2.to_k.weight")?.get(1).copied().unwrap_or(0);
        Ok(Self {
            norm1: LayerNorm::load(&weights.sub("norm1"), width, LAYER_NORM_EPS)?,
            self_attention: Attention::load(&weights.sub("attn1"), width, width, Linear::load)?,
            norm2: LayerNorm::load(&weights.sub("norm2"), width, LAYER_NORM_EPS)?,
            cross_attention: Attention::load(&weights.sub("attn2"), width, context_width, Linear::load_for_few_rows)?,
            norm3: LayerNorm::load(&weights.sub("norm3"), width, LAYER_NORM_EPS)?,
            feed_forward: GegluFeedForward::load(&weights.sub("ff.net"), width)?,
        })
    }

    fn forward(&self, x: Tensor<3>, context: &Tensor<3>, reference: &mut ReferenceCursor, site: Site) -> Tensor<3> {
        let h = self.norm1.forward(x.clone());
        let x = x + reference.self_attention(site, h, |queries, keys| self.self_attention.forward(queries, keys));
        let x = x.clone() + self.cross_attention.forward(self.norm2.forward(x), context.clone());
        x.clone() + self.feed_forward.forward(self.norm3.forward(x))
    }
}

type LinearLoader = fn(&WeightLoader, usize, usize) -> Result<Linear>;

/// Multi-head attention with bias-free q/k/v projections and a biased output projection.
#[derive(Debug, Clone)]
struct Attention {
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    context_width: usize,
}

impl Attention {
    /// `load_key_value` loads the key and value projections: the cross-attention's multiply the prompt's
    /// 77 tokens, the few rows [`Linear::load_for_few_rows`] is for.
    fn load(weights: &WeightLoader, width: usize, context_width: usize, load_key_value: LinearLoader) -> Result<Self> {
        if context_width == 0 || !width.is_multiple_of(HEADS) {
            let key = weights.key("to_k.weight");
            return Err(weights.wrong_shape(
                &key,
                format!("[{width}, context width] with {width} divisible by 8"),
                weights.shape("to_k.weight")?,
            ));
        }
        Ok(Self {
            q: Linear::load(&weights.sub("to_q"), width, width)?,
            k: load_key_value(&weights.sub("to_k"), context_width, width)?,
            v: load_key_value(&weights.sub("to_v"), context_width, width)?,
            out: Linear::load(&weights.sub("to_out.0"), width, width)?,
            context_width,
        })
    }

    /// Attends from `x` [b, n, width] to `context` [b, m, context_width] through burn's fused attention,
    /// in f32 whatever the model's dtype: an f16 softmax drifts the whole pipeline on wgpu.
    fn forward(&self, x: Tensor<3>, context: Tensor<3>) -> Tensor<3> {
        let [batch, tokens, width] = x.dims();
        let split = |t: Tensor<3>| {
            let n = t.dims()[1];
            t.reshape([batch, n, HEADS, width / HEADS]).swap_dims(1, 2)
        };
        let q = split(self.q.forward(x));
        let k = split(self.k.forward(context.clone()));
        let v = split(self.v.forward(context));
        let dtype = q.dtype();
        let f32 = |t: Tensor<4>| t.cast(burn::tensor::DType::F32);
        let attended = attention(f32(q), f32(k), f32(v), Default::default()).cast(dtype);
        self.out.forward(attended.swap_dims(1, 2).reshape([batch, tokens, width]))
    }
}

/// GEGLU feed-forward: proj to 2·inner, value × GELU(gate), back to width.
#[derive(Debug, Clone)]
struct GegluFeedForward {
    proj: Linear,
    out: Linear,
    inner: usize,
}

impl GegluFeedForward {
    fn load(weights: &WeightLoader, width: usize) -> Result<Self> {
        let inner = weights.shape("0.proj.weight")?.first().copied().unwrap_or(0) / 2;
        Ok(Self {
            proj: Linear::load(&weights.sub("0.proj"), width, 2 * inner)?,
            out: Linear::load(&weights.sub("2"), inner, width)?,
            inner,
        })
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let h = self.proj.forward(x);
        let [batch, tokens, _] = h.dims();
        let probe = profile::start(&h);
        let gated = if cpu::applies(&h) {
            cpu::geglu(h)
        } else {
            let value = h.clone().slice([0..batch, 0..tokens, 0..self.inner]);
            value * gelu(h.slice([0..batch, 0..tokens, self.inner..2 * self.inner]))
        };
        let gated =
            profile::record(probe, "GEGLU", gated, |_| (format!("{} wide, {tokens} tokens, batch {batch}", self.inner), 0.0));
        self.out.forward(gated)
    }
}
