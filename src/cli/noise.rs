//! `nurie noise`: the initial noise a generation draws from a seed, written to a file.

use std::path::PathBuf;

use anyhow::{Context, bail};

use super::tensor_file::{NamedTensor, write_f32_tensors};
use crate::generate::MAX_SIDE;
use crate::sampling::noise::{ImageNoise, LATENT_CHANNELS};
use crate::vocabulary::RngSource;

#[derive(Debug, clap::Args)]
pub struct NoiseArgs {
    /// Seed of the first image; image i of the batch uses seed + i, as in `generate`.
    #[arg(long)]
    pub seed: u64,
    /// Random number source: `cpu` (torch's CPU generator) or `nv` (A1111's imitation of CUDA's).
    #[arg(long, default_value = "cpu")]
    pub rng: RngSource,
    /// Shape `b,4,h,w` of the latents (h, w = image size / 8).
    #[arg(long, value_parser = parse_shape)]
    pub shape: [usize; 4],
    /// Output `.safetensors` file with one f32 tensor `noise`.
    #[arg(long = "out")]
    pub output: PathBuf,
}

/// The largest latent side: that of the largest picture Nurie generates.
const MAX_LATENT_SIDE: usize = MAX_SIDE / 8;
/// The most values written: the file is made whole in memory, and 1 GiB of f32 is far more noise than
/// any comparison needs (a 512² batch of 64 is 4 M values).
const MAX_VALUES: usize = 1 << 28;

pub fn run(args: NoiseArgs) -> anyhow::Result<()> {
    let [batch, channels, height, width] = args.shape;
    if channels != LATENT_CHANNELS || batch == 0 || height == 0 || width == 0 {
        bail!("--shape {batch},{channels},{height},{width}: expected b,{LATENT_CHANNELS},h,w with b, h and w at least 1");
    }
    if height > MAX_LATENT_SIDE || width > MAX_LATENT_SIDE {
        bail!("--shape {batch},{channels},{height},{width}: h and w are at most {MAX_LATENT_SIDE} (a {MAX_SIDE}-pixel picture)");
    }
    if batch.checked_mul(channels * height * width).is_none_or(|values| values > MAX_VALUES) {
        bail!("--shape {batch},{channels},{height},{width}: more than {MAX_VALUES} values; use a smaller batch");
    }
    let seeds = ImageNoise::consecutive_seeds(args.seed, batch);
    let values = ImageNoise::new(args.rng, seeds, height, width, 0).first();
    let tensor = NamedTensor { name: "noise".into(), shape: args.shape.to_vec(), values };
    write_f32_tensors(&args.output, &[tensor]).context("writing the noise")
}

/// `b,4,h,w` → four numbers.
fn parse_shape(text: &str) -> Result<[usize; 4], String> {
    let numbers: Vec<usize> = text
        .split(',')
        .map(|part| part.trim().parse::<usize>().map_err(|_| format!("`{part}` is not a whole number")))
        .collect::<Result<_, _>>()?;
    <[usize; 4]>::try_from(numbers).map_err(|found| format!("expected four numbers b,4,h,w; found {}", found.len()))
}
