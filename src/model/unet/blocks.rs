//! The UNet's blocks as LDM stores them: `input_blocks.{i}`, `middle_block` and `output_blocks.{i}` are
//! sequences of layers whose kinds are recognised from which keys exist, so any SD1.x-family layout
//! (channel multipliers, depths, inpainting inputs) loads without a table of names.

use burn::tensor::Tensor;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};

use super::reference::{ReferenceCursor, Site};
use super::resblock::ResBlock;
use super::transformer::SpatialTransformer;
use crate::checkpoint::Result;
use crate::model::layers::Conv2d;
use crate::model::merge::{MergeTarget, MergeTargets};
use crate::model::weights::WeightLoader;

/// One layer of a block.
#[derive(Debug, Clone)]
enum Layer {
    /// A bare convolution: `input_blocks.0.0`, the UNet's conv_in.
    Conv(Conv2d),
    /// Boxed, as the transformer: each is several times the size of a convolution.
    Res(Box<ResBlock>),
    Attention(Box<SpatialTransformer>),
    /// 3×3 convolution with stride 2 (`op`).
    Downsample(Conv2d),
    /// Nearest-neighbour resize to the next skip's size, then a 3×3 convolution (`conv`).
    Upsample(Conv2d),
}

/// A sequence of layers sharing the timestep embedding and the context (LDM `TimestepEmbedSequential`).
#[derive(Debug, Clone)]
pub struct Block {
    layers: Vec<Layer>,
    out_channels: usize,
}

impl Block {
    /// Whether `weights` holds a block at all.
    pub fn exists(weights: &WeightLoader) -> bool {
        ["0.in_layers.0.weight", "0.op.weight", "0.conv.weight", "0.weight"].iter().any(|k| weights.contains(k))
    }

    /// Loads the layers `0, 1, …` of a block that receives `channels` channels.
    pub fn load(weights: &WeightLoader, channels: usize, embedding_width: usize) -> Result<Self> {
        let mut layers = Vec::new();
        let mut width = channels;
        for j in 0.. {
            let layer = weights.sub(j);
            let loaded = if layer.contains("weight") {
                let conv = Conv2d::load(&layer, 1)?;
                width = conv.out_channels();
                Layer::Conv(conv)
            } else if layer.contains("in_layers.0.weight") {
                let res = ResBlock::load(&layer, width, embedding_width)?;
                width = res.out_channels();
                Layer::Res(Box::new(res))
            } else if layer.contains("proj_in.weight") {
                Layer::Attention(Box::new(SpatialTransformer::load(&layer, width)?))
            } else if layer.contains("op.weight") {
                Layer::Downsample(Conv2d::load_shaped(&layer.sub("op"), [width, width, 3, 3], 2)?)
            } else if layer.contains("conv.weight") {
                Layer::Upsample(Conv2d::load_shaped(&layer.sub("conv"), [width, width, 3, 3], 1)?)
            } else {
                break;
            };
            layers.push(loaded);
        }
        if layers.is_empty() {
            return Err(weights.missing("0.in_layers.0.weight"));
        }
        Ok(Self { layers, out_channels: width })
    }

    pub fn out_channels(&self) -> usize {
        self.out_channels
    }

    /// Context width of the block's cross-attention, if it has one.
    pub fn context_width(&self) -> Option<usize> {
        self.layers.iter().find_map(|layer| match layer {
            Layer::Attention(attention) => Some(attention.context_width()),
            _ => None,
        })
    }

    /// Whether the block has residual layers: the blocks reference units' AdaIN acts on (not conv_in,
    /// not a lone downsampling convolution).
    pub fn has_residual_layers(&self) -> bool {
        self.layers.iter().any(|layer| matches!(layer, Layer::Res(_)))
    }

    /// Whether the block ends in a downsampling convolution.
    pub fn downsamples(&self) -> bool {
        self.layers.iter().any(|layer| matches!(layer, Layer::Downsample(_)))
    }

    /// Whether the block ends in an upsampling layer.
    pub fn upsamples(&self) -> bool {
        self.layers.iter().any(|layer| matches!(layer, Layer::Upsample(_)))
    }

    /// Runs the block. `upsample_to` is the spatial size an upsampling layer must reach: the size of
    /// the skip tensor the next output block concatenates, which is not always twice the input (a
    /// latent of odd size went 3 → 2 on the way down, so comes back 2 → 3). With a `site`, the
    /// reference units see the block's output before any resampling.
    pub(crate) fn forward(
        &self,
        mut x: Tensor<4>,
        emb: &Tensor<2>,
        context: &Tensor<3>,
        upsample_to: Option<[usize; 2]>,
        reference: &mut ReferenceCursor,
        site: Option<Site>,
    ) -> Tensor<4> {
        let mut site = site;
        for layer in &self.layers {
            let resamples = matches!(layer, Layer::Downsample(_) | Layer::Upsample(_));
            if let Some(site) = site.take_if(|_| resamples) {
                x = reference.block_output(site, x);
            }
            x = match layer {
                Layer::Conv(conv) => conv.forward(x),
                Layer::Res(res) => res.forward(x, emb),
                Layer::Attention(attention) => attention.forward(x, context, reference, site_or_middle(site)),
                Layer::Downsample(conv) => conv.forward(x),
                Layer::Upsample(conv) => {
                    let [_, _, h, w] = x.dims();
                    let size = upsample_to.unwrap_or([2 * h, 2 * w]);
                    let options = InterpolateOptions::new(InterpolateMode::Nearest).with_output_size(size);
                    conv.forward(interpolate(x, options))
                }
            };
        }
        match site {
            Some(site) => reference.block_output(site, x),
            None => x,
        }
    }
}

/// A transformer outside any sited block (the ControlNet's) reads nothing; its site only orders it.
fn site_or_middle(site: Option<Site>) -> Site {
    site.unwrap_or(Site::Middle)
}

impl MergeTargets for Block {
    fn for_each_target(&mut self, visit: &mut dyn FnMut(&mut dyn MergeTarget)) {
        for layer in &mut self.layers {
            match layer {
                Layer::Conv(conv) | Layer::Downsample(conv) | Layer::Upsample(conv) => visit(conv),
                Layer::Res(res) => res.for_each_target(visit),
                Layer::Attention(attention) => attention.for_each_target(visit),
            }
        }
    }
}
