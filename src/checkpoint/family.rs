//! What kind of model a file holds, from which keys exist and their shapes. Nurie runs SD1.x-family
//! checkpoints; everything else users commonly pick by mistake is named so the error can say so.

use super::{Checkpoint, CheckpointError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelFamily {
    /// SD 1.x (1.4, 1.5 and their fine-tunes and merges), including 9-channel inpainting models.
    Sd1,
    /// SD 2.x: OpenCLIP text encoder, context width 1024 (often v-prediction).
    Sd2,
    Sdxl,
    Sd3,
    Flux,
    Lora,
    ControlNet,
    Vae,
    Unknown,
}

const UNET_CROSS_ATTENTION: &str = "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight";

impl ModelFamily {
    pub fn detect(checkpoint: &Checkpoint) -> Self {
        let any = |prefix: &str| checkpoint.keys().any(|k| k.starts_with(prefix));
        let contains = |part: &str| checkpoint.keys().any(|k| k.contains(part));
        if any("lora_unet_") || any("lora_te") || contains(".lora_down.") || contains(".lora_A.") {
            Self::Lora
        } else if any("conditioner.embedders.") || checkpoint.contains("model.diffusion_model.label_emb.0.0.weight") {
            Self::Sdxl
        } else if contains("joint_blocks.") {
            Self::Sd3
        } else if contains("double_blocks.") {
            Self::Flux
        } else if any("cond_stage_model.model.") || checkpoint.shape(UNET_CROSS_ATTENTION).is_ok_and(|s| s.get(1) == Some(&1024))
        {
            Self::Sd2
        } else if any("model.diffusion_model.input_blocks.") {
            Self::Sd1
        } else if contains("input_hint_block.") {
            Self::ControlNet
        } else if contains("decoder.conv_in.") && contains("encoder.conv_in.") {
            Self::Vae
        } else {
            Self::Unknown
        }
    }

    /// What the file is, in words for an error message.
    pub fn description(self) -> &'static str {
        match self {
            Self::Sd1 => "an SD1.x checkpoint",
            Self::Sd2 => "an SD2.x checkpoint (OpenCLIP text encoder, 1024-wide context)",
            Self::Sdxl => "an SDXL checkpoint",
            Self::Sd3 => "an SD3 model",
            Self::Flux => "a Flux model",
            Self::Lora => "a LoRA, not a checkpoint",
            Self::ControlNet => "a ControlNet, not a checkpoint",
            Self::Vae => "a VAE, not a checkpoint",
            Self::Unknown => "not a Stable Diffusion model Nurie recognises",
        }
    }

    /// What the file is, as a noun phrase ("a LoRA"), for messages about a file given in the wrong place.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Sd1 => "an SD1.x checkpoint",
            Self::Sd2 => "an SD2.x checkpoint",
            Self::Sdxl => "an SDXL checkpoint",
            Self::Sd3 => "an SD3 model",
            Self::Flux => "a Flux model",
            Self::Lora => "a LoRA",
            Self::ControlNet => "a ControlNet",
            Self::Vae => "a VAE",
            Self::Unknown => "a file Nurie does not recognise",
        }
    }

    /// A clause to append to a missing-component message ("; this looks like …"), empty for SD1.x.
    pub fn hint(self) -> &'static str {
        match self {
            Self::Sd1 | Self::Unknown => "",
            Self::Sd2 => "; this looks like an SD2.x checkpoint, and Nurie runs SD1.x-family models",
            Self::Sdxl => "; this looks like an SDXL checkpoint, and Nurie runs SD1.x-family models",
            Self::Sd3 => "; this looks like an SD3 model, and Nurie runs SD1.x-family models",
            Self::Flux => "; this looks like a Flux model, and Nurie runs SD1.x-family models",
            Self::Lora => "; this looks like a LoRA, not a checkpoint",
            Self::ControlNet => "; this looks like a ControlNet, not a checkpoint",
            Self::Vae => "; this looks like a VAE, not a checkpoint",
        }
    }
}

/// Fails with an error naming what the file is, unless it holds a ControlNet.
pub fn require_controlnet(checkpoint: &Checkpoint) -> Result<()> {
    match ModelFamily::detect(checkpoint) {
        ModelFamily::ControlNet => Ok(()),
        other => Err(CheckpointError::NotAControlNet { path: checkpoint.path().to_path_buf(), found: other.noun() }),
    }
}

/// Fails with a clear error unless the file is an SD1.x-family checkpoint.
pub fn require_sd1(checkpoint: &Checkpoint) -> Result<()> {
    match ModelFamily::detect(checkpoint) {
        ModelFamily::Sd1 => Ok(()),
        other => Err(CheckpointError::WrongFamily { path: checkpoint.path().to_path_buf(), found: other.description() }),
    }
}
