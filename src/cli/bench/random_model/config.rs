//! The architecture a random model is built from: the numbers a diffusers/LDM config gives, from which
//! every tensor name and shape follows. [`Sd15Config::full`] is Stable Diffusion 1.5 itself;
//! [`Sd15Config::dev`] is the repository's tiny parity fixture (`tests/fixtures/parity/arch.json`).

/// The UNet (`model.diffusion_model.*`; the ControlNet copies its encoder half).
#[derive(Debug, Clone, PartialEq)]
pub struct UnetConfig {
    pub in_channels: usize,
    pub out_channels: usize,
    /// Channels of the first level (`model_channels`, 320 in SD1.5).
    pub model_channels: usize,
    /// Each level's channels as multiples of `model_channels`.
    pub channel_mult: Vec<usize>,
    /// ResNet blocks per level on the way down (one more on the way up).
    pub layers_per_block: usize,
    /// Which levels carry a cross-attention transformer after each ResNet block.
    pub attention_levels: Vec<bool>,
    /// Transformer blocks per spatial transformer.
    pub transformer_depth: usize,
    /// Attention heads per transformer (SD1.x: 8 at every level). Not visible in the shapes; checked to
    /// divide every level's width.
    pub heads: usize,
    /// Width of the text encoder's output the transformers attend to.
    pub context_dim: usize,
}

/// The VAE (`first_stage_model.*`).
#[derive(Debug, Clone, PartialEq)]
pub struct VaeConfig {
    pub image_channels: usize,
    pub latent_channels: usize,
    /// Channels of the first level (`ch`, 128 in SD1.5).
    pub base_channels: usize,
    pub channel_mult: Vec<usize>,
    /// ResNet blocks per encoder level (decoder levels have one more).
    pub layers_per_block: usize,
}

/// The CLIP text encoder (`cond_stage_model.transformer.text_model.*`).
#[derive(Debug, Clone, PartialEq)]
pub struct TextConfig {
    pub width: usize,
    pub layers: usize,
    /// Heads per layer; not visible in the shapes (Nurie's loader takes width / 64).
    pub heads: usize,
    pub mlp_width: usize,
    pub vocab: usize,
    pub positions: usize,
}

/// The ControlNet's own parts (`control_model.*`); its encoder follows the [`UnetConfig`].
#[derive(Debug, Clone, PartialEq)]
pub struct ControlConfig {
    pub hint_channels: usize,
    /// Channels of the hint block's four stages (diffusers' `conditioning_embedding_out_channels`).
    pub hint_block_channels: [usize; 4],
}

/// A whole SD1.5-graph model: widths and depths may differ, the blocks and key names do not.
#[derive(Debug, Clone, PartialEq)]
pub struct Sd15Config {
    pub unet: UnetConfig,
    pub vae: VaeConfig,
    pub text: TextConfig,
    pub control: ControlConfig,
}

/// A config whose numbers cannot make a model.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("{what} ({value}) must be a positive multiple of 32: GroupNorm uses 32 groups")]
    GroupNorm { what: &'static str, value: usize },
    #[error("{what} ({value}) must divide into {heads} heads")]
    Heads { what: &'static str, value: usize, heads: usize },
    #[error("the UNet has {levels} levels but {attention} attention flags")]
    AttentionLevels { levels: usize, attention: usize },
    #[error("{what} must be at least 1")]
    Empty { what: &'static str },
}

const CLIP_VOCAB: usize = 49_408;
const CLIP_POSITIONS: usize = 77;

impl Sd15Config {
    /// Stable Diffusion 1.5: UNet 320·(1, 2, 4, 4), VAE 128·(1, 2, 4, 4), CLIP ViT-L/14 text (12 × 768),
    /// the lllyasviel ControlNet hint block (16, 32, 96, 256).
    pub fn full() -> Self {
        Self {
            unet: UnetConfig {
                in_channels: 4,
                out_channels: 4,
                model_channels: 320,
                channel_mult: vec![1, 2, 4, 4],
                layers_per_block: 2,
                attention_levels: vec![true, true, true, false],
                transformer_depth: 1,
                heads: 8,
                context_dim: 768,
            },
            vae: VaeConfig {
                image_channels: 3,
                latent_channels: 4,
                base_channels: 128,
                channel_mult: vec![1, 2, 4, 4],
                layers_per_block: 2,
            },
            text: TextConfig { width: 768, layers: 12, heads: 12, mlp_width: 3072, vocab: CLIP_VOCAB, positions: CLIP_POSITIONS },
            control: ControlConfig { hint_channels: 3, hint_block_channels: [16, 32, 96, 256] },
        }
    }

    /// The parity kit's `dev` architecture, the one the committed fixtures have.
    pub fn dev() -> Self {
        Self {
            unet: UnetConfig { model_channels: 32, channel_mult: vec![1, 1, 2, 2], context_dim: 128, ..Self::full().unet },
            vae: VaeConfig { base_channels: 32, channel_mult: vec![1, 1, 2, 2], ..Self::full().vae },
            text: TextConfig { width: 128, layers: 2, heads: 2, mlp_width: 512, ..Self::full().text },
            control: ControlConfig { hint_channels: 3, hint_block_channels: [16, 32, 64, 128] },
        }
    }

    /// Checks what the shapes alone cannot: GroupNorm's 32 groups and the heads dividing the widths.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let unet = &self.unet;
        for (what, value) in [
            ("UNet levels", unet.channel_mult.len()),
            ("VAE levels", self.vae.channel_mult.len()),
            ("UNet layers per block", unet.layers_per_block),
            ("VAE layers per block", self.vae.layers_per_block),
            ("transformer depth", unet.transformer_depth),
            ("text encoder layers", self.text.layers),
        ] {
            if value == 0 {
                return Err(ConfigError::Empty { what });
            }
        }
        if unet.attention_levels.len() != unet.channel_mult.len() {
            return Err(ConfigError::AttentionLevels { levels: unet.channel_mult.len(), attention: unet.attention_levels.len() });
        }
        for width in unet.channel_mult.iter().map(|m| m * unet.model_channels) {
            group_norm("UNet level width", width)?;
            divides("UNet level width", width, unet.heads)?;
        }
        for width in self.vae.channel_mult.iter().map(|m| m * self.vae.base_channels) {
            group_norm("VAE level width", width)?;
        }
        divides("text encoder width", self.text.width, self.text.heads)
    }
}

fn group_norm(what: &'static str, value: usize) -> Result<(), ConfigError> {
    if value == 0 || !value.is_multiple_of(32) {
        return Err(ConfigError::GroupNorm { what, value });
    }
    Ok(())
}

fn divides(what: &'static str, value: usize, heads: usize) -> Result<(), ConfigError> {
    if heads == 0 || !value.is_multiple_of(heads) {
        return Err(ConfigError::Heads { what, value, heads });
    }
    Ok(())
}
