//! `nurie eval --checkpoint FILE --in IN.safetensors --out OUT.safetensors`: the engine's golden-test
//! interface. Named input tensors in, named output tensors out (f32), so any reference implementation
//! can be compared with Nurie tensor by tensor. Each model runs only when its inputs are present.
//!
//! | inputs | outputs |
//! |---|---|
//! | `te.input_ids` [n,77] (int32/int64) | `te.last_hidden_state`, `te.penultimate` [n,77,C] |
//! | `unet.sample` [b,4,h,w], `unet.timestep` [1] or [b], `unet.context` [b,77·k,C] | `unet.eps` |
//! | the UNet inputs + `cn.hint` [b,3,8h,8w], optional `cn.scale` [1], with `--controlnet` | `cn.down.0`…`cn.down.11`, `cn.mid` (scaled), `unet.eps_controlled` |
//! | `vae.latents` [b,4,h,w] (×0.18215 space) | `vae.image` (raw decoder output) |
//! | `vae.input_image` [b,3,H,W] in [−1,1] | `vae.mean` (posterior mean after quant_conv, unscaled) |
//!
//! `--lora FILE[:W]` (repeatable) merges LoRAs into the text encoder and the UNet first, at weight W
//! (default 1) for both, as `<lora:NAME:W>` in a prompt does. `--embeddings-dir DIR` (repeatable) puts
//! the textual-inversion embeddings named in `te.input_ids` in place (see [`super::eval_embeddings`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use burn::tensor::{DType, Device, Tensor, TensorData};

use super::DeviceArgs;
use super::eval_embeddings::{EmbeddedRow, embed_rows};
use super::tensor_file::{NamedTensor, write_f32_tensors};
use crate::checkpoint::Checkpoint;
use crate::model::merge::{MergeTargets, NoLayers};
use crate::model::{ClipTextEncoder, ControlNet, Unet, Vae};
use crate::networks::embedding::EmbeddingLibrary;
use crate::networks::lora::{WeightedLora, merge_loras, weighted_file};
use crate::prompt::tokenizer::CONTEXT_LENGTH;
use crate::runtime::device;

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The SD1.x checkpoint (.safetensors, .ckpt, .pt).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Input tensors (.safetensors).
    #[arg(long = "in")]
    pub input: PathBuf,
    /// Where to write the output tensors (.safetensors).
    #[arg(long = "out")]
    pub output: PathBuf,
    /// A ControlNet in the original layout, for `cn.*` inputs.
    #[arg(long)]
    pub controlnet: Option<PathBuf>,
    /// A separate VAE file that replaces the checkpoint's.
    #[arg(long)]
    pub vae: Option<PathBuf>,
    /// A LoRA file to merge, with its weight for both networks: FILE or FILE:W (repeatable).
    #[arg(long, value_parser = parse_lora_arg)]
    pub lora: Vec<(PathBuf, f32)>,
    /// A folder of textual-inversion embeddings whose names `te.input_ids` may hold (repeatable).
    #[arg(long = "embeddings-dir")]
    pub embeddings_dir: Vec<PathBuf>,
    #[command(flatten)]
    pub device: DeviceArgs,
}

/// `FILE` or `FILE:W`; a path that itself holds `:` (a Windows drive) keeps it when what follows the
/// last `:` is no number.
fn parse_lora_arg(arg: &str) -> Result<(PathBuf, f32), String> {
    match arg.rsplit_once(':') {
        Some((path, weight)) if !path.is_empty() => match weight.parse::<f32>() {
            Ok(weight) if weight.is_finite() => Ok((PathBuf::from(path), weight)),
            Ok(_) => Err(format!("the weight in `{arg}` is not a finite number")),
            Err(_) => Ok((PathBuf::from(arg), 1.0)),
        },
        _ => Ok((PathBuf::from(arg), 1.0)),
    }
}

/// What an evaluation needs: the inputs file, the device, the compute dtype and the LoRAs to merge.
struct Inputs<'a> {
    file: &'a Checkpoint,
    device: Device,
    dtype: DType,
    loras: Vec<WeightedLora>,
    embeddings: Option<EmbeddingLibrary>,
}

impl Inputs<'_> {
    /// Merges the LoRAs into one of the two networks (the other is not loaded here).
    fn merge(&self, text_encoder: Option<&mut ClipTextEncoder>, unet: Option<&mut Unet>) -> anyhow::Result<()> {
        if self.loras.is_empty() {
            return Ok(());
        }
        let (mut no_text_encoder, mut no_unet) = (NoLayers, NoLayers);
        let text_encoder: &mut dyn MergeTargets = match text_encoder {
            Some(encoder) => encoder,
            None => &mut no_text_encoder,
        };
        let unet: &mut dyn MergeTargets = match unet {
            Some(unet) => unet,
            None => &mut no_unet,
        };
        let report = timed("merged the LoRAs", || Ok(merge_loras(text_encoder, unet, &self.loras)?))?;
        errln!("LoRA: {} layers changed, {} modules for the other network", report.layers_changed, report.unmatched.len());
        Ok(())
    }
}

impl Inputs<'_> {
    fn has(&self, name: &str) -> bool {
        self.file.contains(name)
    }

    /// A float input of rank `D` on the device, in the compute dtype.
    fn tensor<const D: usize>(&self, name: &str) -> anyhow::Result<Tensor<D>> {
        let tensor = self.file.read_f32(name)?;
        if tensor.shape.len() != D {
            bail!("{name} in {} must have rank {D}, got {:?}", self.file.path().display(), tensor.shape);
        }
        Ok(Tensor::from_data(TensorData::new(tensor.values, tensor.shape), (&self.device, self.dtype)))
    }

    fn values(&self, name: &str) -> anyhow::Result<Vec<f32>> {
        Ok(self.file.read_f32(name)?.values)
    }
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let file = Checkpoint::open(&args.input).context("reading the eval inputs")?;
    let wants_text = file.contains("te.input_ids");
    let wants_unet = file.contains("unet.sample");
    let wants_vae = file.contains("vae.latents") || file.contains("vae.input_image");
    if !(wants_text || wants_unet || wants_vae) {
        bail!(
            "{} has no input `nurie eval` knows: expected te.input_ids, unet.sample (+ unet.timestep, unet.context), vae.latents or vae.input_image",
            args.input.display()
        );
    }
    let compute = device::open(args.device.device)?;
    errln!("device: {}", compute.description);
    if let Some(note) = &compute.fallback_note {
        errln!("note: {note}");
    }
    let checkpoint = Checkpoint::open(&args.checkpoint).context("opening the checkpoint")?;
    let loras = args.lora.iter().map(|(path, weight)| weighted_file(path, *weight)).collect::<Result<Vec<_>, _>>()?;
    let embeddings = (!args.embeddings_dir.is_empty()).then(|| EmbeddingLibrary::scan(&args.embeddings_dir));
    let inputs =
        Inputs { file: &file, device: compute.device.clone(), dtype: args.device.dtype.dtype_on(&compute)?, loras, embeddings };
    let mut outputs = Vec::new();
    if wants_text {
        outputs.extend(text_encoder_outputs(&inputs, &checkpoint)?);
    }
    if wants_unet {
        outputs.extend(unet_outputs(&inputs, &checkpoint, args.controlnet.as_deref())?);
    }
    if wants_vae {
        outputs.extend(vae_outputs(&inputs, &checkpoint, args.vae.as_deref())?);
    }
    write_f32_tensors(&args.output, &outputs)
}

fn timed<T>(what: &str, work: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    let started = Instant::now();
    let result = work()?;
    errln!("{what} in {:.2} s", started.elapsed().as_secs_f64());
    Ok(result)
}

fn text_encoder_outputs(inputs: &Inputs, checkpoint: &Checkpoint) -> anyhow::Result<Vec<NamedTensor>> {
    let mut encoder = timed("loaded the text encoder", || {
        ClipTextEncoder::load(checkpoint, &inputs.device, inputs.dtype).context("loading the text encoder")
    })?;
    inputs.merge(Some(&mut encoder), None)?;
    let config = encoder.config();
    errln!("text encoder: {} layers, width {}, {}", config.layers, config.width, encoder.layout().description());
    let ids = read_ids(inputs.file).with_context(|| format!("reading {}", inputs.file.path().display()))?;
    let embedded = match &inputs.embeddings {
        Some(library) => embed_rows(&ids, library, config.width)?,
        None => ids.chunks(CONTEXT_LENGTH).map(|row| EmbeddedRow { ids: row.to_vec(), fixes: vec![] }).collect(),
    };
    let rows: Vec<&[u32]> = embedded.iter().map(|row| row.ids.as_slice()).collect();
    let fixes: Vec<_> = embedded.iter().map(EmbeddedRow::token_fixes).collect();
    timed(&format!("encoded {}×{CONTEXT_LENGTH} tokens", rows.len()), || {
        let mut hidden = encoder
            .hidden_states_with_fixes(&rows, &fixes, config.layers)
            .with_context(|| format!("te.input_ids of {}", inputs.file.path().display()))?;
        let last = hidden.pop().context("the text encoder returned no hidden state")?;
        // With one layer, the penultimate state is the embeddings (as transformers' hidden_states[-2]).
        let penultimate = hidden.pop().context("the text encoder returned no penultimate state")?;
        Ok(vec![
            to_output("te.last_hidden_state", encoder.final_norm(last))?,
            to_output("te.penultimate", encoder.final_norm(penultimate))?,
        ])
    })
}

fn unet_outputs(inputs: &Inputs, checkpoint: &Checkpoint, controlnet: Option<&Path>) -> anyhow::Result<Vec<NamedTensor>> {
    let mut unet = timed("loaded the UNet", || Unet::load(checkpoint, &inputs.device, inputs.dtype).context("loading the UNet"))?;
    inputs.merge(None, Some(&mut unet))?;
    let sample = inputs.tensor::<4>("unet.sample")?;
    let timesteps = inputs.values("unet.timestep").context("unet.sample needs unet.timestep")?;
    let context = inputs.tensor::<3>("unet.context").context("unet.sample needs unet.context")?;
    let mut outputs =
        vec![timed("ran the UNet", || to_output("unet.eps", unet.forward(sample.clone(), &timesteps, &context, None)?))?];
    if !inputs.has("cn.hint") {
        return Ok(outputs);
    }
    let path = controlnet.context("cn.hint needs a ControlNet: pass --controlnet FILE")?;
    let file = Checkpoint::open(path).context("opening the ControlNet")?;
    let controlnet = timed("loaded the ControlNet", || {
        ControlNet::load(&file, &inputs.device, inputs.dtype).context("loading the ControlNet")
    })?;
    let hint = inputs.tensor::<4>("cn.hint")?;
    let scale = if inputs.has("cn.scale") { *inputs.values("cn.scale")?.first().context("cn.scale is empty")? } else { 1.0 };
    let residuals =
        timed("ran the ControlNet", || Ok(controlnet.forward(sample.clone(), &timesteps, &context, hint)?))?.scaled(|_| scale);
    for (i, down) in residuals.down.iter().enumerate() {
        outputs.push(to_output(&format!("cn.down.{i}"), down.clone())?);
    }
    outputs.push(to_output("cn.mid", residuals.mid.clone())?);
    let eps = unet.forward(sample, &timesteps, &context, Some(&residuals))?;
    outputs.push(to_output("unet.eps_controlled", eps)?);
    Ok(outputs)
}

fn vae_outputs(inputs: &Inputs, checkpoint: &Checkpoint, separate: Option<&Path>) -> anyhow::Result<Vec<NamedTensor>> {
    let separate = separate.map(Checkpoint::open).transpose().context("opening the VAE file")?;
    let source = separate.as_ref().unwrap_or(checkpoint);
    let vae = timed("loaded the VAE", || Vae::load(source, &inputs.device, inputs.dtype).context("loading the VAE"))?;
    let mut outputs = Vec::new();
    if inputs.has("vae.latents") {
        let latents = inputs.tensor::<4>("vae.latents")?;
        outputs.push(timed("decoded", || to_output("vae.image", vae.decode(latents)?))?);
    }
    if inputs.has("vae.input_image") {
        let image = inputs.tensor::<4>("vae.input_image")?;
        outputs.push(timed("encoded", || to_output("vae.mean", vae.encode(image)?.mean))?);
    }
    Ok(outputs)
}

/// Reads `te.input_ids` (int32/int64) as row-major [n, 77] ids. The encoder checks the vocabulary.
fn read_ids(inputs: &Checkpoint) -> anyhow::Result<Vec<u32>> {
    let (shape, ids) = inputs.read_i64("te.input_ids")?;
    if shape.len() != 2 || shape[1] != CONTEXT_LENGTH || shape[0] == 0 {
        bail!("te.input_ids must be [n, {CONTEXT_LENGTH}] with n ≥ 1, got {shape:?}");
    }
    ids.into_iter()
        .map(|id| u32::try_from(id).map_err(|_| anyhow::anyhow!("te.input_ids holds {id}, which is not a token id")))
        .collect()
}

fn to_output<const D: usize>(name: &str, tensor: Tensor<D>) -> anyhow::Result<NamedTensor> {
    let shape = tensor.dims().to_vec();
    let values = tensor.try_into_vec_as::<f32>().with_context(|| format!("reading `{name}` back from the device"))?;
    if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
        errln!("warning: `{name}` contains {bad}: the weights or inputs overflow in this precision");
    }
    Ok(NamedTensor { name: name.to_string(), shape, values })
}
