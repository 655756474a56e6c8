//! The SD1.x denoising UNet (`UNet2DConditionModel` semantics), named by the original LDM single-file
//! keys (`model.diffusion_model.*`) and loaded by structure: channels, depths, context width and input
//! channels (4, or 9 for inpainting) all come from the tensor shapes.
//!
//! The encoder half (time embedding, input blocks, middle block) is [`UnetEncoder`], which the
//! ControlNet reuses; ControlNet residuals enter through [`ControlResiduals`].

mod blocks;
mod reference;
mod resblock;
mod timestep;
mod transformer;

use burn::tensor::activation::silu;
use burn::tensor::{DType, Device, Tensor};

pub use blocks::Block;
pub use reference::{ReferenceBank, ReferenceEffect, ReferencePass};
pub use timestep::timestep_embedding;

use self::reference::{ReferenceCursor, Site};
use super::layers::{Conv2d, GroupNorm32, Linear};
use super::merge::{MergeTarget, MergeTargets};
use super::weights::WeightLoader;
use crate::checkpoint::{Checkpoint, Result};

/// Key prefix of the UNet in SD1.x single-file checkpoints.
pub const UNET_PREFIX: &str = "model.diffusion_model.";

/// Inputs the UNet cannot take.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UnetInputError {
    #[error("the {what} has an empty dimension ({shape:?}): every dimension must be at least 1")]
    Empty { what: &'static str, shape: Vec<usize> },
    #[error("the latent has {found} channels; this UNet takes {expected}")]
    Channels { found: usize, expected: usize },
    #[error("the text context is {found} wide; this UNet's cross-attention takes {expected}")]
    ContextWidth { found: usize, expected: usize },
    #[error("{found} timesteps for a batch of {batch}: give one, or one per image")]
    Timesteps { found: usize, batch: usize },
    #[error("the context batch is {found}, the latent batch {batch}")]
    ContextBatch { found: usize, batch: usize },
    #[error("ControlNet gave {found} down residuals; this UNet has {expected} input blocks")]
    ResidualCount { found: usize, expected: usize },
    #[error("ControlNet residual {index} is {found:?}; the UNet's is {expected:?}")]
    ResidualShape { index: usize, found: [usize; 4], expected: [usize; 4] },
}

/// What a ControlNet adds to the UNet: one residual per input block and one for the middle block,
/// already scaled. Several ControlNets add up with [`ControlResiduals::add`].
#[derive(Debug, Clone)]
pub struct ControlResiduals {
    pub down: Vec<Tensor<4>>,
    pub mid: Tensor<4>,
}

impl ControlResiduals {
    /// Multiplies residual i (0..12 down, then the middle one at index `down.len()`) by `factor(i)`.
    pub fn scaled(self, factor: impl Fn(usize) -> f32) -> ControlResiduals {
        let mid_index = self.down.len();
        ControlResiduals {
            down: self.down.into_iter().enumerate().map(|(i, r)| r * factor(i)).collect(),
            mid: self.mid * factor(mid_index),
        }
    }
}

impl std::ops::Add for ControlResiduals {
    type Output = ControlResiduals;

    /// Two units' residuals summed, residual by residual.
    fn add(self, other: ControlResiduals) -> ControlResiduals {
        ControlResiduals { down: self.down.into_iter().zip(other.down).map(|(a, b)| a + b).collect(), mid: self.mid + other.mid }
    }
}

/// The encoder half shared by the UNet and the ControlNet.
#[derive(Debug, Clone)]
pub struct UnetEncoder {
    model_channels: usize,
    in_channels: usize,
    time_embed: [Linear; 2],
    input_blocks: Vec<Block>,
    middle_block: Block,
}

impl UnetEncoder {
    /// Loads `time_embed`, `input_blocks.*` and `middle_block` under `weights`.
    pub fn load(weights: &WeightLoader) -> Result<Self> {
        let conv_in = weights.shape("input_blocks.0.0.weight")?;
        let [model_channels, in_channels, _, _] = conv_in[..] else {
            let key = weights.key("input_blocks.0.0.weight");
            return Err(weights.wrong_shape(&key, "[out, in, 3, 3]".into(), conv_in));
        };
        let embedding_width = weights.shape("time_embed.0.weight")?.first().copied().unwrap_or(0);
        let time_embed = [
            Linear::load(&weights.sub("time_embed.0"), model_channels, embedding_width)?,
            Linear::load(&weights.sub("time_embed.2"), embedding_width, embedding_width)?,
        ];
        let mut input_blocks = Vec::new();
        let mut channels = in_channels;
        for i in 0.. {
            let block = weights.sub(format!("input_blocks.{i}"));
            if !Block::exists(&block) {
                break;
            }
            let loaded = Block::load(&block, channels, embedding_width)?;
            channels = loaded.out_channels();
            input_blocks.push(loaded);
        }
        let middle_block = Block::load(&weights.sub("middle_block"), channels, embedding_width)?;
        Ok(Self { model_channels, in_channels, time_embed, input_blocks, middle_block })
    }

    pub fn in_channels(&self) -> usize {
        self.in_channels
    }

    pub fn input_block_count(&self) -> usize {
        self.input_blocks.len()
    }

    /// Width of the text context the cross-attention takes.
    pub fn context_width(&self) -> Option<usize> {
        self.middle_block.context_width()
    }

    /// The timestep embedding after the MLP and SiLU (what every ResBlock projects), [batch, width].
    fn embed_time(&self, timesteps: &[f32], batch: usize, device: &Device, dtype: DType) -> Tensor<2> {
        let timesteps: Vec<f32> = match timesteps.len() {
            1 => vec![timesteps[0]; batch],
            _ => timesteps.to_vec(),
        };
        let t = timestep_embedding(&timesteps, self.model_channels, device, dtype);
        silu(self.time_embed[1].forward(silu(self.time_embed[0].forward(t))))
    }

    /// Runs the input blocks and the middle block: the skip tensors (one per input block) and the
    /// middle block's output, with the timestep embedding for the rest of the network. `hint` (a
    /// ControlNet's embedded condition) is added to the output of the first block, conv_in.
    pub(crate) fn forward(&self, x: Tensor<4>, timesteps: &[f32], context: &Tensor<3>, hint: Option<Tensor<4>>) -> EncoderOutput {
        self.forward_with(x, timesteps, context, hint, &mut ReferenceCursor::new(&mut ReferencePass::Off))
    }

    fn forward_with(
        &self,
        x: Tensor<4>,
        timesteps: &[f32],
        context: &Tensor<3>,
        hint: Option<Tensor<4>>,
        reference: &mut ReferenceCursor,
    ) -> EncoderOutput {
        let [batch, _, _, _] = x.dims();
        let emb = self.embed_time(timesteps, batch, &x.device(), x.dtype());
        let mut skips = Vec::with_capacity(self.input_blocks.len());
        let mut h = x;
        let mut hint = hint;
        let levels = 1 + self.input_blocks.iter().filter(|block| block.downsamples()).count();
        let mut level = 0;
        for block in &self.input_blocks {
            let site = block.has_residual_layers().then_some(Site::Down { level, levels });
            h = block.forward(h, &emb, context, None, reference, site);
            level += usize::from(block.downsamples());
            if let Some(hint) = hint.take() {
                h = h + hint;
            }
            skips.push(h.clone());
        }
        let mid = self.middle_block.forward(h, &emb, context, None, reference, Some(Site::Middle));
        EncoderOutput { skips, mid, emb }
    }

    pub(crate) fn check_inputs(
        &self,
        x: &Tensor<4>,
        timesteps: &[f32],
        context: &Tensor<3>,
    ) -> std::result::Result<(), UnetInputError> {
        if x.dims().contains(&0) {
            return Err(UnetInputError::Empty { what: "latent", shape: x.dims().to_vec() });
        }
        if context.dims().contains(&0) {
            return Err(UnetInputError::Empty { what: "text context", shape: context.dims().to_vec() });
        }
        let [batch, channels, _, _] = x.dims();
        if channels != self.in_channels {
            return Err(UnetInputError::Channels { found: channels, expected: self.in_channels });
        }
        if timesteps.len() != 1 && timesteps.len() != batch {
            return Err(UnetInputError::Timesteps { found: timesteps.len(), batch });
        }
        let [context_batch, _, width] = context.dims();
        if context_batch != batch {
            return Err(UnetInputError::ContextBatch { found: context_batch, batch });
        }
        match self.context_width() {
            Some(expected) if expected != width => Err(UnetInputError::ContextWidth { found: width, expected }),
            _ => Ok(()),
        }
    }
}

impl MergeTargets for UnetEncoder {
    fn for_each_target(&mut self, visit: &mut dyn FnMut(&mut dyn MergeTarget)) {
        self.time_embed.iter_mut().for_each(|linear| visit(linear));
        self.input_blocks.iter_mut().for_each(|block| block.for_each_target(visit));
        self.middle_block.for_each_target(visit);
    }
}

pub(crate) struct EncoderOutput {
    pub(crate) skips: Vec<Tensor<4>>,
    pub(crate) mid: Tensor<4>,
    pub(crate) emb: Tensor<2>,
}

/// The whole UNet: the encoder, the output blocks and the output head.
#[derive(Debug, Clone)]
pub struct Unet {
    encoder: UnetEncoder,
    output_blocks: Vec<Block>,
    out_norm: GroupNorm32,
    out_conv: Conv2d,
}

impl Unet {
    /// Loads the UNet of an SD1.x single-file checkpoint.
    pub fn load(checkpoint: &Checkpoint, device: &Device, dtype: DType) -> Result<Self> {
        crate::checkpoint::family::require_sd1(checkpoint)?;
        let weights = WeightLoader::new(checkpoint, UNET_PREFIX, device, dtype);
        if !weights.contains("input_blocks.0.0.weight") {
            return Err(weights.missing("input_blocks.0.0.weight"));
        }
        Self::load_from(&weights)
    }

    fn load_from(weights: &WeightLoader) -> Result<Self> {
        let encoder = UnetEncoder::load(weights)?;
        let embedding_width = encoder.time_embed[1].outputs();
        let mut skip_channels: Vec<usize> = encoder.input_blocks.iter().map(Block::out_channels).collect();
        let mut channels = encoder.middle_block.out_channels();
        let mut output_blocks = Vec::new();
        for i in 0.. {
            let block = weights.sub(format!("output_blocks.{i}"));
            if !Block::exists(&block) {
                break;
            }
            let Some(skip) = skip_channels.pop() else {
                return Err(weights.wrong_shape(
                    &block.key("0.in_layers.0.weight"),
                    "no more output blocks than input blocks".into(),
                    vec![i],
                ));
            };
            let loaded = Block::load(&block, channels + skip, embedding_width)?;
            channels = loaded.out_channels();
            output_blocks.push(loaded);
        }
        if !skip_channels.is_empty() {
            return Err(weights.missing(&format!("output_blocks.{}.0.in_layers.0.weight", output_blocks.len())));
        }
        Ok(Self {
            encoder,
            output_blocks,
            out_norm: GroupNorm32::load(&weights.sub("out.0"), channels, 1e-5)?,
            out_conv: Conv2d::load(&weights.sub("out.2"), 1)?,
        })
    }

    pub fn in_channels(&self) -> usize {
        self.encoder.in_channels()
    }

    pub fn context_width(&self) -> Option<usize> {
        self.encoder.context_width()
    }

    /// Number of input blocks, which is the number of down residuals a ControlNet must give (12 in SD1.x).
    pub fn input_block_count(&self) -> usize {
        self.encoder.input_block_count()
    }

    /// Predicts the noise in `sample` [b, in, h, w] at `timesteps` (one, or one per image), attending to
    /// `context` [b, 77·k, width], with optional ControlNet residuals.
    pub fn forward(
        &self,
        sample: Tensor<4>,
        timesteps: &[f32],
        context: &Tensor<3>,
        control: Option<&ControlResiduals>,
    ) -> std::result::Result<Tensor<4>, UnetInputError> {
        self.forward_with_reference(sample, timesteps, context, control, &mut ReferencePass::Off)
    }

    /// [`Unet::forward`] with reference units: keeping what a reference's pass gives, or reading it
    /// (see [`ReferencePass`]).
    pub fn forward_with_reference(
        &self,
        sample: Tensor<4>,
        timesteps: &[f32],
        context: &Tensor<3>,
        control: Option<&ControlResiduals>,
        reference: &mut ReferencePass,
    ) -> std::result::Result<Tensor<4>, UnetInputError> {
        self.encoder.check_inputs(&sample, timesteps, context)?;
        let reference = &mut ReferenceCursor::new(reference);
        let EncoderOutput { mut skips, mut mid, emb } = self.encoder.forward_with(sample, timesteps, context, None, reference);
        if let Some(control) = control {
            add_residuals(&mut skips, &mut mid, control)?;
        }
        let mut h = mid;
        let levels = 1 + self.output_blocks.iter().filter(|block| block.upsamples()).count();
        let mut level = 0;
        // The skips are taken last first, one per output block (`load` checked the counts match).
        let mut skips = skips.into_iter().rev().peekable();
        for block in &self.output_blocks {
            let Some(skip) = skips.next() else { break };
            h = Tensor::cat(vec![h, skip], 1);
            let next = skips.peek().map(|next| {
                let [_, _, height, width] = next.dims();
                [height, width]
            });
            h = block.forward(h, &emb, context, next, reference, Some(Site::Up { level, levels }));
            level += usize::from(block.upsamples());
        }
        Ok(self.out_conv.forward(self.out_norm.forward_silu(h)))
    }
}

impl MergeTargets for Unet {
    fn for_each_target(&mut self, visit: &mut dyn FnMut(&mut dyn MergeTarget)) {
        self.encoder.for_each_target(visit);
        self.output_blocks.iter_mut().for_each(|block| block.for_each_target(visit));
        visit(&mut self.out_conv);
    }
}

fn add_residuals(
    skips: &mut [Tensor<4>],
    mid: &mut Tensor<4>,
    control: &ControlResiduals,
) -> std::result::Result<(), UnetInputError> {
    if control.down.len() != skips.len() {
        return Err(UnetInputError::ResidualCount { found: control.down.len(), expected: skips.len() });
    }
    let pairs = skips.iter_mut().chain(std::iter::once(mid)).zip(control.down.iter().chain(std::iter::once(&control.mid)));
    for (index, (skip, residual)) in pairs.enumerate() {
        if skip.dims() != residual.dims() {
            return Err(UnetInputError::ResidualShape { index, found: residual.dims(), expected: skip.dims() });
        }
        *skip = skip.clone() + residual.clone();
    }
    Ok(())
}
