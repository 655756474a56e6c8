//! `nurie eval --checkpoint FILE --in IN.safetensors --out OUT.safetensors`: the engine's golden-test
//! interface. Named input tensors in, named output tensors out (f32), so any reference implementation
//! can be compared with Nurie tensor by tensor.
//!
//! | input | outputs |
//! |---|---|
//! | `te.input_ids` [n,77] (int32/int64) | `te.last_hidden_state`, `te.penultimate` [n,77,C] |

use std::path::PathBuf;

use anyhow::{Context, bail};
use burn::tensor::{Int, Tensor, TensorData};
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
    let checkpoint = Checkpoint::open(&args.checkpoint).context("opening the checkpoint")?;
    let outputs = text_encoder_outputs(&inputs, &checkpoint, &compute.device, args.device.dtype.dtype())?;
    write_outputs(&args.output, &outputs)
}

fn text_encoder_outputs(
    inputs: &Checkpoint,
    checkpoint: &Checkpoint,
    device: &burn::tensor::Device,
    dtype: burn::tensor::DType,
) -> anyhow::Result<Vec<Output>> {
    let encoder = ClipTextEncoder::load(checkpoint, device, dtype).context("loading the text encoder")?;
    let ids = read_ids(inputs, encoder.config().vocab_size, device)?;
    let layers = encoder.config().layers;
    let mut hidden = encoder.hidden_states(ids, layers);
    let last = hidden.pop().context("the text encoder returned no hidden state")?;
    let penultimate = hidden.pop().context("the text encoder has a single layer: no penultimate state")?;
    Ok(vec![
        to_output("te.last_hidden_state", encoder.final_norm(last))?,
        to_output("te.penultimate", encoder.final_norm(penultimate))?,
    ])
}

/// Reads `te.input_ids`, checking shape and that every id is in the vocabulary (an id outside it
/// would index past the embedding table).
fn read_ids(inputs: &Checkpoint, vocab_size: usize, device: &burn::tensor::Device) -> anyhow::Result<Tensor<2, Int>> {
    let tensor = inputs.read_f32("te.input_ids")?;
    let [n, tokens] = tensor.shape[..] else {
        bail!("te.input_ids must be [n, {CONTEXT_LENGTH}], got {:?}", tensor.shape);
    };
    if tokens != CONTEXT_LENGTH {
        bail!("te.input_ids must be [n, {CONTEXT_LENGTH}], got {:?}", tensor.shape);
    }
    if let Some(bad) = tensor.values.iter().find(|&&id| id < 0.0 || id >= vocab_size as f32 || id.fract() != 0.0) {
        bail!("te.input_ids holds {bad}, outside the vocabulary of {vocab_size} tokens");
    }
    let ids: Vec<i64> = tensor.values.iter().map(|&id| id as i64).collect();
    Ok(Tensor::from_data(TensorData::new(ids, [n, tokens]), device))
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
    safetensors::serialize_to_file(views, None, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
