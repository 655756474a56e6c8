//! The SD1.x VAE (`AutoencoderKL`) named by the LDM single-file keys (`first_stage_model.*`, or the
//! bare `encoder.*`/`decoder.*` of separate VAE files such as NAI's `animevae.pt`). Depth and widths
//! come from the shapes; the mid-block attention may be stored as 1×1 convolutions or linear layers.

use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{DType, Device, Tensor};

use super::layers::{Conv2d, GroupNorm32, Linear, attention};
use super::profile;
use super::weights::WeightLoader;
use crate::checkpoint::{Checkpoint, Result};

/// Latents in diffusion space are the VAE's posterior scaled by this (SD1.x).
pub const SCALING_FACTOR: f32 = 0.18215;
const NORM_EPS: f64 = 1e-6;
const PREFIXES: [&str; 2] = ["first_stage_model.", ""];

/// Inputs the VAE cannot take.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VaeInputError {
    #[error("the image is {height}×{width} pixels; the VAE needs sides that are multiples of 8")]
    ImageSize { height: usize, width: usize },
    #[error("the input has {found} channels; expected {expected}")]
    Channels { found: usize, expected: usize },
}

/// The posterior of an encoded image (after quant_conv, unscaled).
#[derive(Debug, Clone)]
pub struct Posterior {
    pub mean: Tensor<4>,
    pub logvar: Tensor<4>,
}

#[derive(Debug, Clone)]
pub struct Vae {
    encoder: Encoder,
    quant_conv: Conv2d,
    post_quant_conv: Conv2d,
    decoder: Decoder,
}

impl Vae {
    /// Loads the VAE of a checkpoint, or of a separate VAE file.
    ///
    /// The VAE always computes in f32, whatever `_requested` dtype the rest of the model uses: the SD1.x
    /// VAE overflows in f16 (the black or NaN images A1111 users avoid with `--no-half-vae`), and
    /// diffusers' reference pipeline upcasts it too (`force_upcast`). It is a small part of the work.
    pub fn load(checkpoint: &Checkpoint, device: &Device, _requested: DType) -> Result<Self> {
        let dtype = DType::F32;
        let prefix =
            PREFIXES.into_iter().find(|p| checkpoint.contains(&format!("{p}decoder.conv_in.weight"))).unwrap_or(PREFIXES[0]);
        let weights = WeightLoader::new(checkpoint, prefix, device, dtype);
        if !weights.contains("decoder.conv_in.weight") {
            return Err(crate::checkpoint::CheckpointError::MissingComponent {
                path: checkpoint.path().to_path_buf(),
                component: "VAE",
                key: weights.key("decoder.conv_in.weight"),
                hint: "; load a separate VAE file with --vae",
            });
        }
        Ok(Self {
            encoder: Encoder::load(&weights.sub("encoder"))?,
            quant_conv: Conv2d::load(&weights.sub("quant_conv"), 1)?,
            post_quant_conv: Conv2d::load(&weights.sub("post_quant_conv"), 1)?,
            decoder: Decoder::load(&weights.sub("decoder"))?,
        })
    }

    /// Encodes an image [b, 3, H, W] in [−1, 1] to its posterior (mean and clamped logvar), in f32.
    pub fn encode(&self, image: Tensor<4>) -> std::result::Result<Posterior, VaeInputError> {
        let image = image.cast(DType::F32);
        let [_, channels, height, width] = image.dims();
        if channels != 3 {
            return Err(VaeInputError::Channels { found: channels, expected: 3 });
        }
        if height % 8 != 0 || width % 8 != 0 || height == 0 || width == 0 {
            return Err(VaeInputError::ImageSize { height, width });
        }
        let moments = self.quant_conv.forward(self.encoder.forward(image));
        let [b, c, h, w] = moments.dims();
        let mean = moments.clone().slice([0..b, 0..c / 2, 0..h, 0..w]);
        let logvar = moments.slice([0..b, c / 2..c, 0..h, 0..w]).clamp(-30.0, 20.0);
        Ok(Posterior { mean, logvar })
    }

    /// Decodes diffusion-space latents (already ×0.18215) to the raw image, about [−1, 1], not
    /// clamped, in f32.
    pub fn decode(&self, latents: Tensor<4>) -> std::result::Result<Tensor<4>, VaeInputError> {
        let latents = latents.cast(DType::F32);
        let channels = latents.dims()[1];
        let expected = self.post_quant_conv.in_channels();
        if channels != expected {
            return Err(VaeInputError::Channels { found: channels, expected });
        }
        let z = self.post_quant_conv.forward(latents / SCALING_FACTOR);
        Ok(self.decoder.forward(z))
    }
}

/// A VAE residual block: no timestep, a 1×1 `nin_shortcut` when the width changes.
#[derive(Debug, Clone)]
struct ResnetBlock {
    norm1: GroupNorm32,
    conv1: Conv2d,
    norm2: GroupNorm32,
    conv2: Conv2d,
    shortcut: Option<Conv2d>,
}

impl ResnetBlock {
    fn load(weights: &WeightLoader, channels: usize) -> Result<Self> {
        let conv1 = Conv2d::load(&weights.sub("conv1"), 1)?;
        let out = conv1.out_channels();
        if conv1.in_channels() != channels {
            let key = weights.key("conv1.weight");
            return Err(weights.wrong_shape(&key, format!("{channels} input channels"), weights.shape("conv1.weight")?));
        }
        let shortcut = Conv2d::load_shortcut(weights, "nin_shortcut", channels, out)?;
        Ok(Self {
            norm1: GroupNorm32::load(&weights.sub("norm1"), channels, NORM_EPS)?,
            conv1,
            norm2: GroupNorm32::load(&weights.sub("norm2"), out, NORM_EPS)?,
            conv2: Conv2d::load_shaped(&weights.sub("conv2"), [out, out, 3, 3], 1)?,
            shortcut,
        })
    }

    fn out_channels(&self) -> usize {
        self.conv1.out_channels()
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let h = self.conv1.forward(self.norm1.forward_silu(x.clone()));
        let h = self.conv2.forward(self.norm2.forward_silu(h));
        match &self.shortcut {
            Some(shortcut) => shortcut.forward(x) + h,
            None => x + h,
        }
    }
}

/// Single-head self-attention over all pixels (the VAE's mid block).
#[derive(Debug, Clone)]
struct AttentionBlock {
    norm: GroupNorm32,
    q: Linear,
    k: Linear,
    v: Linear,
    proj_out: Linear,
}

impl AttentionBlock {
    fn load(weights: &WeightLoader, channels: usize) -> Result<Self> {
        Ok(Self {
            norm: GroupNorm32::load(&weights.sub("norm"), channels, NORM_EPS)?,
            q: Linear::load_pointwise(&weights.sub("q"), channels, channels)?,
            k: Linear::load_pointwise(&weights.sub("k"), channels, channels)?,
            v: Linear::load_pointwise(&weights.sub("v"), channels, channels)?,
            proj_out: Linear::load_pointwise(&weights.sub("proj_out"), channels, channels)?,
        })
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, c, h, w] = x.dims();
        let tokens = self.norm.forward(x.clone()).reshape([b, c, h * w]).swap_dims(1, 2);
        let as_head = |t: Tensor<3>| t.unsqueeze_dim::<4>(1);
        let q = as_head(self.q.forward(tokens.clone()));
        let k = as_head(self.k.forward(tokens.clone()));
        let v = as_head(self.v.forward(tokens));
        let attended = attention(q, k, v, Default::default());
        let out = self.proj_out.forward(attended.squeeze_dim::<3>(1));
        x + out.swap_dims(1, 2).reshape([b, c, h, w])
    }
}

/// The mid block shared by encoder and decoder: ResnetBlock, attention, ResnetBlock.
#[derive(Debug, Clone)]
struct MidBlock {
    block_1: ResnetBlock,
    attention: AttentionBlock,
    block_2: ResnetBlock,
}

impl MidBlock {
    fn load(weights: &WeightLoader, channels: usize) -> Result<Self> {
        Ok(Self {
            block_1: ResnetBlock::load(&weights.sub("block_1"), channels)?,
            attention: AttentionBlock::load(&weights.sub("attn_1"), channels)?,
            block_2: ResnetBlock::load(&weights.sub("block_2"), channels)?,
        })
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.block_2.forward(self.attention.forward(self.block_1.forward(x)))
    }
}

/// One resolution level: residual blocks, then an optional resample convolution.
#[derive(Debug, Clone)]
struct Level {
    blocks: Vec<ResnetBlock>,
    resample: Option<Conv2d>,
}

impl Level {
    /// Loads `block.0, block.1, …` and `{resample_name}.conv` when present.
    fn load(weights: &WeightLoader, channels: usize, resample: Resample) -> Result<(Self, usize)> {
        let mut blocks = Vec::new();
        let mut width = channels;
        for j in (0..).take_while(|j| weights.contains(&format!("block.{j}.conv1.weight"))) {
            let block = ResnetBlock::load(&weights.sub(format!("block.{j}")), width)?;
            width = block.out_channels();
            blocks.push(block);
        }
        if blocks.is_empty() {
            return Err(weights.missing("block.0.conv1.weight"));
        }
        let conv = weights.sub(format!("{}.conv", resample.name()));
        let resample = if conv.contains("weight") { Some(resample.load(&conv, width)?) } else { None };
        Ok((Self { blocks, resample }, width))
    }

    fn forward_blocks(&self, x: Tensor<4>) -> Tensor<4> {
        self.blocks.iter().fold(x, |h, block| block.forward(h))
    }
}

/// How a level changes resolution.
#[derive(Debug, Clone, Copy)]
enum Resample {
    /// LDM pads (0, 1) on the bottom and right, then convolves with stride 2 and no padding.
    Down,
    /// Nearest-neighbour ×2, then a 3×3 convolution.
    Up,
}

impl Resample {
    fn name(self) -> &'static str {
        match self {
            Resample::Down => "downsample",
            Resample::Up => "upsample",
        }
    }

    fn load(self, weights: &WeightLoader, width: usize) -> Result<Conv2d> {
        match self {
            Resample::Down => Conv2d::load_padded(weights, [width, width, 3, 3], 2, [(0, 1), (0, 1)]),
            Resample::Up => Conv2d::load_shaped(weights, [width, width, 3, 3], 1),
        }
    }
}

#[derive(Debug, Clone)]
struct Encoder {
    conv_in: Conv2d,
    levels: Vec<Level>,
    mid: MidBlock,
    norm_out: GroupNorm32,
    conv_out: Conv2d,
}

impl Encoder {
    fn load(weights: &WeightLoader) -> Result<Self> {
        let conv_in = Conv2d::load(&weights.sub("conv_in"), 1)?;
        let mut channels = conv_in.out_channels();
        let mut levels = Vec::new();
        for i in (0..).take_while(|i| weights.contains(&format!("down.{i}.block.0.conv1.weight"))) {
            let (level, width) = Level::load(&weights.sub(format!("down.{i}")), channels, Resample::Down)?;
            channels = width;
            levels.push(level);
        }
        Ok(Self {
            conv_in,
            levels,
            mid: MidBlock::load(&weights.sub("mid"), channels)?,
            norm_out: GroupNorm32::load(&weights.sub("norm_out"), channels, NORM_EPS)?,
            conv_out: Conv2d::load(&weights.sub("conv_out"), 1)?,
        })
    }

    fn forward(&self, image: Tensor<4>) -> Tensor<4> {
        let mut h = self.conv_in.forward(image);
        for level in &self.levels {
            h = level.forward_blocks(h);
            if let Some(down) = &level.resample {
                h = down.forward(h);
            }
        }
        let h = self.mid.forward(h);
        self.conv_out.forward(self.norm_out.forward_silu(h))
    }
}

#[derive(Debug, Clone)]
struct Decoder {
    conv_in: Conv2d,
    mid: MidBlock,
    /// In the order they run: the highest `up.{i}` first.
    levels: Vec<Level>,
    norm_out: GroupNorm32,
    conv_out: Conv2d,
}

impl Decoder {
    fn load(weights: &WeightLoader) -> Result<Self> {
        let conv_in = Conv2d::load(&weights.sub("conv_in"), 1)?;
        let mut channels = conv_in.out_channels();
        let mid = MidBlock::load(&weights.sub("mid"), channels)?;
        let count = (0..).take_while(|i| weights.contains(&format!("up.{i}.block.0.conv1.weight"))).count();
        let mut levels = Vec::with_capacity(count);
        for i in (0..count).rev() {
            let (level, width) = Level::load(&weights.sub(format!("up.{i}")), channels, Resample::Up)?;
            channels = width;
            levels.push(level);
        }
        Ok(Self {
            conv_in,
            mid,
            levels,
            norm_out: GroupNorm32::load(&weights.sub("norm_out"), channels, NORM_EPS)?,
            conv_out: Conv2d::load(&weights.sub("conv_out"), 1)?,
        })
    }

    fn forward(&self, z: Tensor<4>) -> Tensor<4> {
        let mut h = self.mid.forward(self.conv_in.forward(z));
        for level in &self.levels {
            h = level.forward_blocks(h);
            if let Some(up) = &level.resample {
                let [_, _, height, width] = h.dims();
                let options = InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([2 * height, 2 * width]);
                let probe = profile::start(&h);
                let upsampled =
                    profile::record(probe, "upsample", interpolate(h, options), |y| (profile::image_shape(y.dims()), 0.0));
                h = up.forward(upsampled);
            }
        }
        self.conv_out.forward(self.norm_out.forward_silu(h))
    }
}
