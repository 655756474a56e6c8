//! `nurie bench random-model --out DIR [--controlnet] [--fp32]`: a full-size SD1.5 checkpoint (and a
//! line-art ControlNet) with seeded random weights, written by Nurie itself, so a benchmark machine
//! with no internet and no Python can time real-size networks. The files have the original layouts a
//! downloaded model has (`model.diffusion_model.*`, `first_stage_model.*`,
//! `cond_stage_model.transformer.text_model.*`, and lllyasviel's `control_model.*`), as the parity
//! kit's `make_fullsize.py` writes them; every key and shape follows from an architecture config.
//! The pictures such a model makes are noise, but finite noise: the weights are scaled so activations
//! keep their size through the networks, in f16 too.

mod config;
mod controlnet;
mod files;
mod random;
mod schedule;
mod spec;
mod text_encoder;
mod unet;
mod vae;
mod writer;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;

use config::Sd15Config;
use writer::Precision;

#[derive(Debug, clap::Args)]
pub struct RandomModelArgs {
    /// The folder to write into (made when missing): `sd15-random-fp16.safetensors`, and with
    /// `--controlnet` `controlnet-lineart-random-fp16.safetensors` (`fp32` with `--fp32`).
    #[arg(long)]
    out: PathBuf,
    /// Also write a ControlNet for the checkpoint (lllyasviel's layout, about 361 M parameters).
    #[arg(long)]
    controlnet: bool,
    /// Store the weights as fp32 instead of fp16 (twice the size).
    #[arg(long)]
    fp32: bool,
    /// Seed of the random weights: the same seed writes the same bytes.
    #[arg(long, default_value_t = 1234)]
    seed: u64,
    /// The architecture: SD1.5 itself, or the parity kit's tiny `dev` one (the test fixtures' shapes).
    #[arg(long, value_enum, default_value_t = Arch::Full)]
    arch: Arch,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Arch {
    Full,
    Dev,
}

/// A written file.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
    pub seconds: f64,
}

pub fn run(args: RandomModelArgs) -> anyhow::Result<()> {
    let precision = if args.fp32 { Precision::F32 } else { Precision::F16 };
    std::fs::create_dir_all(&args.out).with_context(|| format!("making {}", args.out.display()))?;
    let config = match args.arch {
        Arch::Full => Sd15Config::full(),
        Arch::Dev => Sd15Config::dev(),
    };
    let written = write_model(&args.out, &config, precision, args.seed, args.controlnet)?;
    for file in &written {
        outln!("{}", file.path.display());
        errln!("{}: {:.1} MB in {:.1} s", file.path.display(), file.bytes as f64 / 1e6, file.seconds);
    }
    Ok(())
}

/// Writes the checkpoint (and the ControlNet) of `config` into `folder`.
pub fn write_model(
    folder: &Path,
    config: &Sd15Config,
    precision: Precision,
    seed: u64,
    controlnet: bool,
) -> anyhow::Result<Vec<Written>> {
    config.validate()?;
    let label = precision.label();
    let mut parts = vec![(format!("sd15-random-{label}.safetensors"), files::checkpoint(config))];
    if controlnet {
        parts.push((format!("controlnet-lineart-random-{label}.safetensors"), files::controlnet(config)));
    }
    let mut written = Vec::new();
    for (name, tensors) in parts {
        let path = folder.join(name);
        let size = writer::file_size(&tensors, precision);
        errln!("writing {} ({} tensors, {:.1} MB)…", path.display(), tensors.len(), size as f64 / 1e6);
        let started = Instant::now();
        let bytes = writer::write(&path, &tensors, precision, seed).with_context(|| format!("writing {}", path.display()))?;
        written.push(Written { path, bytes, seconds: started.elapsed().as_secs_f64() });
    }
    Ok(written)
}
