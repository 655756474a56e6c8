//! Named f32 tensors in and out of `.safetensors` files, for the commands that exchange exact numbers
//! (`eval`, `noise`, `generate --save-latents`, `--init-noise`).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use safetensors::{Dtype, tensor::TensorView};

use crate::checkpoint::Checkpoint;

/// One tensor: its name, shape and row-major values.
#[derive(Debug, Clone)]
pub struct NamedTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// Writes `tensors` as f32 to `path`, atomically: beside the target, synced, then renamed into place,
/// so a failure never leaves half a file.
pub fn write_f32_tensors(path: &Path, tensors: &[NamedTensor]) -> anyhow::Result<()> {
    let bytes: Vec<Vec<u8>> = tensors.iter().map(|t| bytemuck::cast_slice(&t.values).to_vec()).collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|(t, b)| Ok((t.name.as_str(), TensorView::new(Dtype::F32, t.shape.clone(), b)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let bytes = safetensors::serialize(views, None)?;
    let partial = path.with_extension("safetensors.partial");
    let written = std::fs::File::create(&partial)
        .and_then(|mut file| file.write_all(&bytes).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&partial, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written.with_context(|| format!("writing {}", path.display()))
}

/// Reads tensor `name` of `path` as f32, checking its shape against `expected` (`None` = any).
pub fn read_f32_tensor(path: &Path, name: &str, expected: Option<&[usize]>) -> anyhow::Result<NamedTensor> {
    let file = Checkpoint::open(path).with_context(|| format!("opening {}", path.display()))?;
    let tensor = file.read_f32(name).with_context(|| format!("{} must hold a tensor `{name}`", path.display()))?;
    if let Some(expected) = expected
        && tensor.shape != expected
    {
        bail!("`{name}` in {} is {:?}; {:?} is needed here", path.display(), tensor.shape, expected);
    }
    Ok(NamedTensor { name: name.to_string(), shape: tensor.shape, values: tensor.values })
}
