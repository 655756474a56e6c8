//! Turning checkpoint tensors into device tensors, one at a time, with shape checks that name the key.

use burn::tensor::{DType, Device, Tensor, TensorData};

use crate::checkpoint::{Checkpoint, CheckpointError, Result};

/// Reads tensors under one key prefix of a checkpoint onto a device, in the compute dtype.
///
/// Each tensor is decoded to f32 on the host and converted by burn while uploading, so the host
/// never holds more than one tensor's copy at a time.
#[derive(Clone)]
pub struct WeightLoader<'a> {
    checkpoint: &'a Checkpoint,
    prefix: String,
    /// Length of the prefix `new` was given: what [`WeightLoader::module_path`] leaves out.
    root: usize,
    device: Device,
    dtype: DType,
}

impl<'a> WeightLoader<'a> {
    pub fn new(checkpoint: &'a Checkpoint, prefix: &str, device: &Device, dtype: DType) -> Self {
        Self { checkpoint, prefix: prefix.to_string(), root: prefix.len(), device: device.clone(), dtype }
    }

    /// The module this loader reads, named from the network's root whatever the file's key layout
    /// (`input_blocks.1.1.proj_in`, `encoder.layers.0.self_attn.q_proj`): the name LoRAs are matched by.
    pub fn module_path(&self) -> std::sync::Arc<str> {
        self.prefix.get(self.root..).unwrap_or_default().trim_end_matches('.').into()
    }

    /// A loader for the sub-module `name` (keys `prefix + name + "."`).
    pub fn sub(&self, name: impl std::fmt::Display) -> Self {
        Self { prefix: format!("{}{name}.", self.prefix), ..self.clone() }
    }

    /// The same loader, converting to `dtype` instead (e.g. f32 parameters of f16 models' norms).
    pub fn with_dtype(&self, dtype: DType) -> Self {
        Self { dtype, ..self.clone() }
    }

    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.checkpoint.contains(&self.key(name))
    }

    pub fn shape(&self, name: &str) -> Result<Vec<usize>> {
        Ok(self.checkpoint.shape(&self.key(name))?.to_vec())
    }

    /// Loads a tensor whose shape must equal `expected`.
    pub fn tensor_shaped<const D: usize>(&self, name: &str, expected: [usize; D]) -> Result<Tensor<D>> {
        let tensor = self.checkpoint.read_f32_shaped(&self.key(name), &expected)?;
        let data = TensorData::new(tensor.values, tensor.shape);
        Ok(Tensor::from_data(data, (&self.device, self.dtype)))
    }

    /// Loads a tensor stored with one of the `stored` shapes (same element count) as shape `view`: e.g. a
    /// 1×1 convolution kernel [o, i, 1, 1] used as a linear weight [o, i].
    pub fn tensor_as<const D: usize>(&self, name: &str, stored: &[&[usize]], view: [usize; D]) -> Result<Tensor<D>> {
        let key = self.key(name);
        let shape = self.checkpoint.shape(&key)?;
        if !stored.contains(&shape) {
            return Err(self.wrong_shape(&key, format!("one of {stored:?}"), shape.to_vec()));
        }
        let tensor = self.checkpoint.read_f32_finite(&key)?;
        Ok(Tensor::from_data(TensorData::new(tensor.values, view), (&self.device, self.dtype)))
    }

    /// Decodes a tensor of shape `expected` to f32 in host memory, for data that never goes to the device.
    pub fn host_tensor(&self, name: &str, expected: &[usize]) -> Result<Vec<f32>> {
        Ok(self.checkpoint.read_f32_shaped(&self.key(name), expected)?.values)
    }

    pub fn missing(&self, name: &str) -> CheckpointError {
        CheckpointError::MissingKey { path: self.checkpoint.path().to_path_buf(), key: self.key(name) }
    }

    pub fn wrong_shape(&self, key: &str, expected: String, found: Vec<usize>) -> CheckpointError {
        CheckpointError::WrongShape { path: self.checkpoint.path().to_path_buf(), key: key.to_string(), expected, found }
    }
}
