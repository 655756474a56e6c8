//! `nurie bench lora --checkpoint FILE`: what applying and changing LoRAs costs. Two random LoRAs of
//! the checkpoint's own shapes (every text-encoder and transformer layer, kohya layout, fp16, rank
//! `--rank`; with `--locon` the ResNet convolutions too) are written to a scratch folder, then each
//! change a user makes is timed: the first LoRA (read + merge), a new weight, another LoRA, both,
//! none. A UNet step is timed with and without a LoRA merged: merged weights cost nothing per step.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use burn::tensor::{Device, Tensor, TensorData};
use half::f16;

use crate::cli::DeviceArgs;
use crate::generate::{ModelFiles, Models, encode_prompts};
use crate::model::ClipSkip;
use crate::model::merge::{MergeTarget, MergeTargets};
use crate::networks::lora::{LoraLibrary, LoraUse, WeightedLora};
use crate::runtime::device;

#[derive(Debug, clap::Args)]
pub struct LoraBenchArgs {
    /// The SD1.5 checkpoint (random full-size weights do).
    #[arg(long)]
    checkpoint: PathBuf,
    /// Rank of the generated LoRAs (kohya's network_dim).
    #[arg(long, default_value_t = 32)]
    rank: usize,
    /// Include the ResNets' convolutions (LoCon), as many Civitai files do.
    #[arg(long)]
    locon: bool,
    /// Picture size of the timed UNet steps (square, a multiple of 8).
    #[arg(long, default_value_t = 512)]
    size: usize,
    #[command(flatten)]
    device: DeviceArgs,
    /// One JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, serde::Serialize)]
struct Timing {
    change: &'static str,
    seconds: f64,
    layers_changed: usize,
}

pub fn run(args: LoraBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.size.is_multiple_of(8) && args.size > 0, "--size must be a positive multiple of 8");
    let compute = device::open(args.device.device)?;
    let files = ModelFiles { checkpoint: args.checkpoint.clone(), vae: None, controlnets: vec![] };
    let started = Instant::now();
    let mut models =
        Models::load(&files, &compute.device, args.device.dtype.dtype_on(&compute)?, |part| errln!("loading the {part}…"))?;
    let load_seconds = started.elapsed().as_secs_f64();
    let scratch = tempfile::tempdir().context("making a scratch folder")?;
    for (name, seed) in [("bench_a", 1u64), ("bench_b", 2)] {
        write_random_lora(&mut models, &scratch.path().join(format!("{name}.safetensors")), args.rank, args.locon, seed)?;
    }
    let mut library = LoraLibrary::new(vec![scratch.path().to_path_buf()]);
    let step = |models: &Models| time_unet_step(models, &compute.device, args.size);
    let plain_step = step(&models)?;
    let changes: [(&'static str, Vec<(&str, f32)>); 5] = [
        ("first LoRA (read + merge)", vec![("bench_a", 0.7)]),
        ("new weight", vec![("bench_a", 0.4)]),
        ("another LoRA (read + merge)", vec![("bench_b", 1.0)]),
        ("both LoRAs", vec![("bench_a", 0.4), ("bench_b", 1.0)]),
        ("none (loaded weights back)", vec![]),
    ];
    let mut timings = Vec::new();
    let mut merged_step = None;
    for (change, uses) in changes {
        let uses: Vec<LoraUse> =
            uses.iter().map(|&(name, w)| LoraUse { name: name.into(), text_encoder: w, unet: w, dyn_dim: None }).collect();
        let started = Instant::now();
        let loras: Vec<WeightedLora> = library.weighted(&uses)?;
        let report = models.apply_loras(&loras)?;
        timings.push(Timing { change, seconds: started.elapsed().as_secs_f64(), layers_changed: report.layers_changed });
        if merged_step.is_none() {
            merged_step = Some(step(&models)?);
        }
    }
    let dtype = crate::runtime::dtype_name(models.dtype);
    let report = serde_json::json!({
        "device": compute.description,
        "dtype": dtype,
        "rank": args.rank,
        "locon": args.locon,
        "load_seconds": load_seconds,
        "changes": timings,
        "unet_step_seconds": { "without_lora": plain_step, "with_lora": merged_step, "size": args.size },
    });
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        outln!("{} ({dtype}), checkpoint loaded in {load_seconds:.1} s", compute.description);
        outln!("LoRAs of rank {}{}", args.rank, if args.locon { " with LoCon convolutions" } else { "" });
        for timing in &timings {
            outln!("  {:<30} {:>7.2} s  ({} layers)", timing.change, timing.seconds, timing.layers_changed);
        }
        let merged = merged_step.unwrap_or_default();
        outln!("UNet step at {0}×{0}, batch 2: {plain_step:.2} s without a LoRA, {merged:.2} s with one merged", args.size);
    }
    Ok(())
}

/// One UNet step (batch 2, as guidance runs it), read back; the faster of two runs after a warm-up.
fn time_unet_step(models: &Models, device: &Device, size: usize) -> anyhow::Result<f64> {
    let latent = size / 8;
    let values: Vec<f32> = (0..2 * 4 * latent * latent).map(|i| (i as f32 * std::f32::consts::FRAC_1_SQRT_2).sin()).collect();
    let sample = Tensor::<4>::from_data(TensorData::new(values, [2, 4, latent, latent]), (device, models.dtype));
    let context = encode_prompts(models, "1girl, flat color", "lowres", ClipSkip::default(), true)?;
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let started = Instant::now();
        models
            .unet
            .forward(sample.clone(), &[500.0], &context, None)?
            .try_into_vec_as::<f32>()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        best = best.min(started.elapsed().as_secs_f64());
    }
    Ok(best)
}

/// A kohya-layout LoRA over every linear layer of `models` (and the convolutions with `locon`), with
/// seeded random fp16 factors.
fn write_random_lora(models: &mut Models, path: &Path, rank: usize, locon: bool, seed: u64) -> anyhow::Result<()> {
    let mut layers: Vec<(String, Vec<usize>)> = Vec::new();
    models.text_encoder.for_each_target(&mut |target| layers.extend(lora_layer("lora_te_text_model_", locon, target)));
    models.unet.for_each_target(&mut |target| layers.extend(lora_layer("lora_unet_", locon, target)));
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        f16::from_f32(((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.02)
    };
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, shape) in layers {
        let rank = rank.min(shape[0]).max(1);
        let kernel: Vec<usize> = shape[2..].to_vec();
        let down_shape: Vec<usize> = [vec![rank, shape[1]], kernel].concat();
        let up_shape: Vec<usize> = if shape.len() == 4 { vec![shape[0], rank, 1, 1] } else { vec![shape[0], rank] };
        let mut bytes =
            |shape: &[usize]| -> Vec<u8> { (0..shape.iter().product::<usize>()).flat_map(|_| random().to_le_bytes()).collect() };
        tensors.push((format!("{name}.lora_down.weight"), down_shape.clone(), bytes(&down_shape)));
        tensors.push((format!("{name}.lora_up.weight"), up_shape.clone(), bytes(&up_shape)));
        tensors.push((format!("{name}.alpha"), vec![], f16::from_f32(rank as f32 / 2.0).to_le_bytes().to_vec()));
    }
    let views = tensors
        .iter()
        .map(|(name, shape, bytes)| {
            Ok((name.clone(), safetensors::tensor::TensorView::new(safetensors::Dtype::F16, shape.clone(), bytes)?))
        })
        .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()?;
    safetensors::serialize_to_file(views, None, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The kohya module name and weight shape of a layer a typical LoRA trains: every text-encoder layer
/// and every transformer layer; with `locon` also the ResNets' convolutions and embeddings.
fn lora_layer(prefix: &str, locon: bool, target: &mut dyn MergeTarget) -> Option<(String, Vec<usize>)> {
    let (path, shape) = (target.module_path(), target.torch_shape());
    let in_transformer = path.contains("transformer_blocks") || path.contains("proj_in") || path.contains("proj_out");
    let in_resnet = path.contains("in_layers") || path.contains("out_layers") || path.contains("emb_layers");
    let wanted = prefix.starts_with("lora_te") || in_transformer || (locon && in_resnet);
    wanted.then(|| (format!("{prefix}{}", path.replace('.', "_")), shape))
}
