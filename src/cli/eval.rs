//! `nurie eval --checkpoint FILE --in IN.safetensors --out OUT.safetensors`: the engine's golden-test
//! interface. Named input tensors in, named output tensors out (f32), so any reference implementation
//! can be compared with Nurie tensor by tensor.
//!
//! | input | outputs |
//! |---|---|
//! | `te.input_ids` [n,77] (int32/int64) | `te.last_hidden_state`, `te.penultimate` [n,77,C] |

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use burn::tensor::{DType, Device, Tensor};
use safetensors::{Dtype, tensor::TensorView};

use super::DeviceArgs;
use crate::checkpoint::Checkpoint;
use crate::model::ClipTextEncoder;
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
    #[command(flatten)]
    pub device: DeviceArgs,
}

/// A named output tensor in f32.
struct Output {
    name: &'static str,
    shape: Vec<usize>,
    values: Vec<f32>,
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let inputs = Checkpoint::open(&args.input).context("reading the eval inputs")?;
    if !inputs.contains("te.input_ids") {
        bail!("{} has no input `nurie eval` knows; expected `te.input_ids` [n,77]", args.input.display());
    }
    let compute = device::open(args.device.device)?;
    eprintln!("device: {}", compute.description);
    if let Some(note) = &compute.fallback_note {
        eprintln!("note: {note}");
    }
    let checkpoint = Checkpoint::open(&args.checkpoint).context("opening the checkpoint")?;
    let outputs = text_encoder_outputs(&inputs, &checkpoint, &compute.device, args.device.dtype.dtype())?;
    write_outputs(&args.output, &outputs)
}

fn text_encoder_outputs(
    inputs: &Checkpoint,
    checkpoint: &Checkpoint,
    device: &Device,
    dtype: DType,
) -> anyhow::Result<Vec<Output>> {
    let started = Instant::now();
    let encoder = ClipTextEncoder::load(checkpoint, device, dtype).context("loading the text encoder")?;
    let config = encoder.config();
    eprintln!(
        "text encoder: {} layers, width {}, {}, loaded in {:.2} s",
        config.layers,
        config.width,
        encoder.layout().description(),
        started.elapsed().as_secs_f64()
    );
    let ids = read_ids(inputs).with_context(|| format!("reading {}", inputs.path().display()))?;
    let rows: Vec<&[u32]> = ids.chunks(CONTEXT_LENGTH).collect();
    let batch = rows.len();
    let started = Instant::now();
    let mut hidden = encoder
        .hidden_states(&rows, config.layers)
        .with_context(|| format!("te.input_ids of {}", inputs.path().display()))?;
    let last = hidden.pop().context("the text encoder returned no hidden state")?;
    // With one layer, the penultimate state is the embeddings (as transformers' hidden_states[-2]).
    let penultimate = hidden.pop().context("the text encoder returned no penultimate state")?;
    let outputs = vec![
        to_output("te.last_hidden_state", encoder.final_norm(last))?,
        to_output("te.penultimate", encoder.final_norm(penultimate))?,
    ];
    eprintln!("encoded {batch}×{CONTEXT_LENGTH} tokens in {:.2} s", started.elapsed().as_secs_f64());
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

fn to_output(name: &'static str, tensor: Tensor<3>) -> anyhow::Result<Output> {
    let shape = tensor.dims().to_vec();
    let values = tensor.try_into_vec_as::<f32>().with_context(|| format!("reading `{name}` back from the device"))?;
    Ok(Output { name, shape, values })
}

fn write_outputs(path: &std::path::Path, outputs: &[Output]) -> anyhow::Result<()> {
    let bytes: Vec<Vec<u8>> = outputs.iter().map(|o| bytemuck::cast_slice(&o.values).to_vec()).collect();
    let views = outputs
        .iter()
        .zip(&bytes)
        .map(|(o, b)| Ok((o.name, TensorView::new(Dtype::F32, o.shape.clone(), b)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let bytes = safetensors::serialize(views, None)?;
    // Written beside the target and renamed into place, so a failure never leaves half a file.
    let partial = path.with_extension("safetensors.partial");
    std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .with_context(|| format!("writing {}", path.display()))
}
