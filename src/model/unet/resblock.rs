//! The UNet's residual block (LDM `ResBlock`): GroupNorm+SiLU+conv, plus the projected timestep
//! embedding, twice; a 1×1 `skip_connection` only when the channel count changes.

use burn::tensor::Tensor;

use crate::checkpoint::Result;
use crate::model::layers::{Conv2d, GroupNorm32, Linear};
use crate::model::merge::{MergeTarget, MergeTargets};
use crate::model::weights::WeightLoader;

const NORM_EPS: f64 = 1e-5;

#[derive(Debug, Clone)]
pub struct ResBlock {
    in_norm: GroupNorm32,
    in_conv: Conv2d,
    embedding: Linear,
    out_norm: GroupNorm32,
    out_conv: Conv2d,
    skip: Option<Conv2d>,
}

impl ResBlock {
    /// Loads the block; `channels` is what flows in, and the output width is read from the weights.
    pub fn load(weights: &WeightLoader, channels: usize, embedding_width: usize) -> Result<Self> {
        let in_conv = Conv2d::load(&weights.sub("in_layers.2"), 1)?;
        let out_channels = in_conv.out_channels();
        if in_conv.in_channels() != channels {
            let key = weights.key("in_layers.2.weight");
            return Err(weights.wrong_shape(&key, format!("{channels} input channels"), weights.shape("in_layers.2.weight")?));
        }
        let skip = Conv2d::load_shortcut(weights, "skip_connection", channels, out_channels)?;
        Ok(Self {
            in_norm: GroupNorm32::load(&weights.sub("in_layers.0"), channels, NORM_EPS)?,
            in_conv,
            embedding: Linear::load(&weights.sub("emb_layers.1"), embedding_width, out_channels)?,
            out_norm: GroupNorm32::load(&weights.sub("out_layers.0"), out_channels, NORM_EPS)?,
            out_conv: Conv2d::load_shaped(&weights.sub("out_layers.3"), [out_channels, out_channels, 3, 3], 1)?,
            skip,
        })
    }

    pub fn out_channels(&self) -> usize {
        self.in_conv.out_channels()
    }

    /// `emb` is the timestep embedding after SiLU, [batch, embedding_width].
    pub fn forward(&self, x: Tensor<4>, emb: &Tensor<2>) -> Tensor<4> {
        let h = self.in_conv.forward(self.in_norm.forward_silu(x.clone()));
        let h = h + self.embedding.forward(emb.clone()).unsqueeze_dims::<4>(&[2, 3]);
        let h = self.out_conv.forward(self.out_norm.forward_silu(h));
        match &self.skip {
            Some(skip) => skip.forward(x) + h,
            None => x + h,
        }
    }
}

impl MergeTargets for ResBlock {
    fn for_each_target(&mut self, visit: &mut dyn FnMut(&mut dyn MergeTarget)) {
        visit(&mut self.in_conv);
        visit(&mut self.embedding);
        visit(&mut self.out_conv);
        if let Some(skip) = &mut self.skip {
            visit(skip);
        }
    }
}
