//! The ControlNet in the original lllyasviel layout (`control_model.*`, or the same keys without the
//! prefix as some files have them): a copy of the UNet encoder, a hint block that embeds the control
//! image to the latent size, and zero convolutions that turn each block's output into a residual for
//! the UNet ([`ControlResiduals`]).

use burn::tensor::activation::silu;
use burn::tensor::{DType, Device, Tensor};

use super::layers::Conv2d;
use super::unet::{ControlResiduals, EncoderOutput, UnetEncoder, UnetInputError};
use super::weights::WeightLoader;
use crate::checkpoint::{Checkpoint, Result};

const PREFIXES: [&str; 2] = ["control_model.", ""];

/// cldm's hint block is 8 convolutions at indices 0, 2, …, 14 with SiLU between; those at 4, 8 and 12
/// have stride 2, taking the image to 1/8 (strides are not stored in checkpoints).
const HINT_CONVS: usize = 8;
const HINT_STRIDE_TWO: [usize; 3] = [4, 8, 12];

/// Inputs the ControlNet cannot take.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ControlInputError {
    #[error("the control image is {found:?} pixels; for a {latent:?} latent it must be {expected:?} (8× the latent)")]
    HintSize { found: [usize; 2], latent: [usize; 2], expected: [usize; 2] },
    #[error("the control image has {found} channels; this ControlNet takes {expected}")]
    HintChannels { found: usize, expected: usize },
    #[error(transparent)]
    Unet(#[from] UnetInputError),
}

#[derive(Debug, Clone)]
pub struct ControlNet {
    encoder: UnetEncoder,
    hint_block: Vec<Conv2d>,
    zero_convs: Vec<Conv2d>,
    middle_out: Conv2d,
}

impl ControlNet {
    pub fn load(checkpoint: &Checkpoint, device: &Device, dtype: DType) -> Result<Self> {
        let prefix =
            PREFIXES.into_iter().find(|p| checkpoint.contains(&format!("{p}input_hint_block.0.weight"))).unwrap_or(PREFIXES[0]);
        let weights = WeightLoader::new(checkpoint, prefix, device, dtype);
        if !weights.contains("input_hint_block.0.weight") {
            crate::checkpoint::family::require_controlnet(checkpoint)?;
            return Err(weights.missing("input_hint_block.0.weight"));
        }
        let encoder = UnetEncoder::load(&weights)?;
        let hint_block = (0..HINT_CONVS)
            .map(|i| {
                let stride = if HINT_STRIDE_TWO.contains(&(2 * i)) { 2 } else { 1 };
                Conv2d::load(&weights.sub(format!("input_hint_block.{}", 2 * i)), stride)
            })
            .collect::<Result<Vec<_>>>()?;
        let zero_convs = (0..encoder.input_block_count())
            .map(|i| Conv2d::load(&weights.sub(format!("zero_convs.{i}.0")), 1))
            .collect::<Result<Vec<_>>>()?;
        let middle_out = Conv2d::load(&weights.sub("middle_block_out.0"), 1)?;
        Ok(Self { encoder, hint_block, zero_convs, middle_out })
    }

    /// The hint block alone: the control image embedded to the latent size (`cond_embedding`).
    pub fn embed_hint(&self, hint: Tensor<4>) -> Tensor<4> {
        let last = self.hint_block.len() - 1;
        self.hint_block
            .iter()
            .enumerate()
            .fold(hint, |h, (i, conv)| if i == last { conv.forward(h) } else { silu(conv.forward(h)) })
    }

    /// The unscaled residuals for `sample` at `timesteps` under `context`, guided by `hint`
    /// [b, 3, 8h, 8w] (white lines on black, in [0, 1]).
    pub fn forward(
        &self,
        sample: Tensor<4>,
        timesteps: &[f32],
        context: &Tensor<3>,
        hint: Tensor<4>,
    ) -> std::result::Result<ControlResiduals, ControlInputError> {
        self.encoder.check_inputs(&sample, timesteps, context)?;
        self.check_hint(&sample, &hint)?;
        let hint = self.embed_hint(hint);
        let EncoderOutput { skips, mid, .. } = self.encoder.forward(sample, timesteps, context, Some(hint));
        let down = skips.into_iter().zip(&self.zero_convs).map(|(h, conv)| conv.forward(h)).collect();
        Ok(ControlResiduals { down, mid: self.middle_out.forward(mid) })
    }

    fn check_hint(&self, sample: &Tensor<4>, hint: &Tensor<4>) -> std::result::Result<(), ControlInputError> {
        let [_, _, h, w] = sample.dims();
        let [_, channels, hh, hw] = hint.dims();
        let expected_channels = self.hint_block[0].in_channels();
        if channels != expected_channels {
            return Err(ControlInputError::HintChannels { found: channels, expected: expected_channels });
        }
        if [hh, hw] != [8 * h, 8 * w] {
            return Err(ControlInputError::HintSize { found: [hh, hw], latent: [h, w], expected: [8 * h, 8 * w] });
        }
        Ok(())
    }
}
