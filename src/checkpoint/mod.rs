//! Reading users' model files: `.safetensors` and PyTorch `.ckpt`/`.pt` zip archives (read through a
//! restricted unpickler that never executes anything).
//!
//! A [`Checkpoint`] is a flat map from tensor key to where the tensor's bytes are; nothing is decoded
//! until a tensor is asked for, and then only that tensor, so loading a model never holds a second full
//! copy of the file in memory.

mod element;
mod error;
pub mod family;
pub mod layout;
mod model_file;
pub mod pickle;
mod safetensors_file;
mod storage;
mod torch_zip;

pub use element::ElementType;
pub use error::{CheckpointError, Result};
pub use storage::TensorEntry;

use std::collections::BTreeMap;
use std::path::Path;

use model_file::ModelFile;
use storage::Source;

use rayon::prelude::*;

/// The container format of a model file, found from its first bytes (not its extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Safetensors,
    TorchZip,
}

/// An opened model file: tensor keys and lazily-decoded tensor data.
pub struct Checkpoint {
    file: ModelFile,
    format: FileFormat,
    /// Where tensors' bytes are; [`TensorEntry::source`] indexes it.
    sources: Vec<Source>,
    tensors: BTreeMap<String, TensorEntry>,
    /// The safetensors header's `__metadata__` (modelspec fields, license, training notes); empty
    /// for PyTorch files.
    file_metadata: BTreeMap<String, String>,
}

/// A tensor decoded to f32, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct F32Tensor {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

impl Checkpoint {
    /// Opens a model file and indexes its tensors. Fails with a typed error naming the file on anything
    /// missing, truncated, corrupt or unsafe.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let file = ModelFile::open(path.as_ref())?;
        match sniff_format(file.path(), &file.head(16)?)? {
            FileFormat::Safetensors => safetensors_file::index(file),
            FileFormat::TorchZip => torch_zip::index(file),
        }
    }

    pub(crate) fn from_parts(
        file: ModelFile,
        format: FileFormat,
        sources: Vec<Source>,
        tensors: BTreeMap<String, TensorEntry>,
    ) -> Self {
        Self { file, format, sources, tensors, file_metadata: BTreeMap::new() }
    }

    pub(crate) fn with_file_metadata(mut self, file_metadata: BTreeMap<String, String>) -> Self {
        self.file_metadata = file_metadata;
        self
    }

    /// The text fields a safetensors file carries in its header (`__metadata__`), sorted by name.
    pub fn file_metadata(&self) -> &BTreeMap<String, String> {
        &self.file_metadata
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    pub fn format(&self) -> FileFormat {
        self.format
    }

    /// All tensor keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.tensors.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.tensors.contains_key(key)
    }

    /// Element type and shape of a tensor, without reading it.
    pub fn entry(&self, key: &str) -> Option<&TensorEntry> {
        self.tensors.get(key)
    }

    /// Shape of a tensor, or a `MissingKey` error naming the file and key.
    pub fn shape(&self, key: &str) -> Result<&[usize]> {
        Ok(&self.require(key)?.shape)
    }

    /// Decodes one tensor to f32 (fp16/bf16/f64/int elements are converted; strided views gathered).
    pub fn read_f32(&self, key: &str) -> Result<F32Tensor> {
        let entry = self.require(key)?;
        let values = entry.decode_f32(&self.tensor_bytes(key, entry)?);
        Ok(F32Tensor { shape: entry.shape.clone(), values })
    }

    /// Decodes an integer tensor exactly (ids, counters), with its shape; an `UnsupportedDtype` error
    /// when the tensor holds floats.
    pub fn read_i64(&self, key: &str) -> Result<(Vec<usize>, Vec<i64>)> {
        let entry = self.require(key)?;
        let values = entry.decode_i64(&self.tensor_bytes(key, entry)?).ok_or_else(|| CheckpointError::UnsupportedDtype {
            path: self.path().to_path_buf(),
            key: key.to_string(),
            dtype: format!("{} (an integer type is needed here)", entry.element),
        })?;
        Ok((entry.shape.clone(), values))
    }

    /// Like [`Self::read_f32`], but refuses tensors with NaN or infinite values (which would turn every
    /// image black), naming the key.
    pub fn read_f32_finite(&self, key: &str) -> Result<F32Tensor> {
        let tensor = self.read_f32(key)?;
        let count = tensor.values.par_iter().filter(|v| !v.is_finite()).count();
        if count > 0 {
            return Err(CheckpointError::NonFinite { path: self.path().to_path_buf(), key: key.to_string(), count });
        }
        Ok(tensor)
    }

    /// Like [`Self::read_f32_finite`], but first checks the shape against `expected`.
    pub fn read_f32_shaped(&self, key: &str, expected: &[usize]) -> Result<F32Tensor> {
        let shape = self.shape(key)?;
        if shape != expected {
            return Err(CheckpointError::WrongShape {
                path: self.path().to_path_buf(),
                key: key.to_string(),
                expected: format!("{expected:?}"),
                found: shape.to_vec(),
            });
        }
        self.read_f32_finite(key)
    }

    fn require(&self, key: &str) -> Result<&TensorEntry> {
        self.tensors.get(key).ok_or_else(|| CheckpointError::MissingKey { path: self.path().to_path_buf(), key: key.to_string() })
    }

    /// The bytes a tensor's view spans, read from where they are (ranges were checked when indexing).
    fn tensor_bytes(&self, key: &str, entry: &TensorEntry) -> Result<Vec<u8>> {
        let extent = entry.byte_extent().ok_or_else(|| CheckpointError::CorruptHeader {
            path: self.path().to_path_buf(),
            reason: format!("tensor `{key}` spans more bytes than a computer can address"),
        })?;
        match &self.sources[entry.source] {
            Source::File => self.file.read_at(entry.byte_offset as u64, extent),
            Source::Deflated(deflated) => deflated.inflate_range(&self.file, entry.byte_offset, extent),
        }
    }
}

/// Tells the container format from the first bytes, with a useful message for the formats users
/// commonly mistake for a checkpoint.
fn sniff_format(path: &Path, bytes: &[u8]) -> Result<FileFormat> {
    let unsupported = |reason: &str| CheckpointError::UnsupportedFormat { path: path.to_path_buf(), reason: reason.to_string() };
    if bytes.is_empty() {
        return Err(CheckpointError::Truncated { path: path.to_path_buf(), reason: "the file is empty".into() });
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Ok(FileFormat::TorchZip);
    }
    if bytes.len() >= 9 && bytes[8] == b'{' {
        return Ok(FileFormat::Safetensors);
    }
    if bytes.len() >= 2 && bytes[0] == 0x80 && bytes[1] <= 5 {
        return Err(unsupported(
            "it is a PyTorch file in the legacy (pre-1.6) format; re-save it with a recent PyTorch \
             or convert it to .safetensors",
        ));
    }
    if bytes.starts_with(b"GGUF") {
        return Err(unsupported("it is a GGUF file; Nurie reads .safetensors and .ckpt/.pt"));
    }
    if bytes.len() < 9 {
        return Err(CheckpointError::Truncated { path: path.to_path_buf(), reason: format!("only {} bytes", bytes.len()) });
    }
    Err(unsupported("expected a .safetensors file or a PyTorch .ckpt/.pt zip archive"))
}
