//! `.safetensors` files: the header is read and validated (by the `safetensors` crate's own rules), the
//! tensors are read from the file when asked for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Metadata, TensorInfo};
use safetensors::{Dtype, SafeTensorError};

use super::model_file::ModelFile;
use super::storage::{Source, contiguous_strides};
use super::{Checkpoint, CheckpointError, ElementType, FileFormat, Result, TensorEntry};

const LENGTH_PREFIX: usize = 8;
/// The format's own limit on the header (the `safetensors` crate refuses larger ones too).
const MAX_HEADER_BYTES: u64 = 100_000_000;
const FILE_METADATA_KEY: &str = "__metadata__";

pub fn index(file: ModelFile) -> Result<Checkpoint> {
    let path = file.path().to_path_buf();
    let header = read_header(&file)?;
    let (metadata, file_metadata) = parse_header(&path, &header)?;
    let data_start = LENGTH_PREFIX + header.len();
    if data_start.checked_add(metadata.data_len()).is_none_or(|end| end as u64 != file.len()) {
        return Err(truncation(path, &header, file.len().saturating_sub(data_start as u64)));
    }
    let mut tensors = BTreeMap::new();
    for (key, info) in metadata.tensors() {
        let element = element_type(info.dtype).ok_or_else(|| CheckpointError::UnsupportedDtype {
            path: path.clone(),
            key: key.clone(),
            dtype: format!("{:?}", info.dtype),
        })?;
        let entry = TensorEntry {
            element,
            strides: contiguous_strides(&info.shape),
            shape: info.shape.clone(),
            source: 0,
            byte_offset: data_start + info.data_offsets.0,
        };
        tensors.insert(key, entry);
    }
    Ok(Checkpoint::from_parts(file, FileFormat::Safetensors, vec![Source::File], tensors).with_file_metadata(file_metadata))
}

/// The JSON header's bytes, after checking its declared length against the file.
fn read_header(file: &ModelFile) -> Result<Vec<u8>> {
    let path = file.path();
    let prefix = file.head(LENGTH_PREFIX)?;
    let declared = prefix
        .try_into()
        .map(u64::from_le_bytes)
        .map_err(|_| CheckpointError::Truncated { path: path.to_path_buf(), reason: format!("only {} bytes", file.len()) })?;
    let available = file.len() - LENGTH_PREFIX as u64;
    if declared > MAX_HEADER_BYTES {
        return Err(CheckpointError::CorruptHeader {
            path: path.to_path_buf(),
            reason: format!("the header claims {declared} bytes, more than the format allows ({MAX_HEADER_BYTES})"),
        });
    }
    if declared > available {
        return Err(CheckpointError::Truncated {
            path: path.to_path_buf(),
            reason: format!("the header says it is {declared} bytes long but the file has only {} bytes", file.len()),
        });
    }
    file.read_at(LENGTH_PREFIX as u64, declared as usize)
}

/// Parses and validates the header: tensor offsets must be in order, without gaps, and match each
/// tensor's shape and element type.
fn parse_header(path: &Path, header: &[u8]) -> Result<(Metadata, BTreeMap<String, String>)> {
    let corrupt = |reason: String| CheckpointError::CorruptHeader { path: path.to_path_buf(), reason };
    if !header.starts_with(b"{") {
        return Err(corrupt("the header is not a JSON object".into()));
    }
    let mut fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(header).map_err(|e| corrupt(format!("the header is not valid JSON: {e}")))?;
    let file_metadata: BTreeMap<String, String> = match fields.remove(FILE_METADATA_KEY) {
        Some(value) => serde_json::from_value(value).map_err(|e| corrupt(format!("`{FILE_METADATA_KEY}`: {e}")))?,
        None => BTreeMap::new(),
    };
    let mut tensors = fields
        .into_iter()
        .map(|(key, value)| match serde_json::from_value::<TensorInfo>(value) {
            Ok(info) => Ok((key, info)),
            Err(e) => Err(corrupt(format!("tensor `{key}`: {e}"))),
        })
        .collect::<Result<Vec<_>>>()?;
    tensors.sort_by_key(|(_, info)| info.data_offsets);
    let metadata = Metadata::new(None, tensors).map_err(|error| explain(path, error))?;
    Ok((metadata, file_metadata))
}

fn element_type(dtype: Dtype) -> Option<ElementType> {
    Some(match dtype {
        Dtype::F64 => ElementType::F64,
        Dtype::F32 => ElementType::F32,
        Dtype::F16 => ElementType::F16,
        Dtype::BF16 => ElementType::BF16,
        Dtype::I64 => ElementType::I64,
        Dtype::I32 => ElementType::I32,
        Dtype::I16 => ElementType::I16,
        Dtype::I8 => ElementType::I8,
        Dtype::U8 => ElementType::U8,
        Dtype::BOOL => ElementType::Bool,
        _ => return None,
    })
}

/// Turns the crate's validation error into one that names the file and, where it can, the tensor.
fn explain(path: &Path, error: SafeTensorError) -> CheckpointError {
    let path = path.to_path_buf();
    match error {
        SafeTensorError::InvalidOffset(key) => CheckpointError::CorruptHeader {
            path,
            reason: format!("tensor `{key}` has data offsets that overlap or leave a gap"),
        },
        other => CheckpointError::CorruptHeader { path, reason: other.to_string() },
    }
}

/// The header is valid but the data is shorter (or longer) than it describes: find the first tensor
/// that does not fit, so the message names it.
fn truncation(path: PathBuf, header: &[u8], available: u64) -> CheckpointError {
    let available = usize::try_from(available).unwrap_or(usize::MAX);
    let mut first_outside: Option<(String, usize, usize)> = None;
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(header) {
        for (key, info) in map.iter().filter(|(k, _)| k.as_str() != FILE_METADATA_KEY) {
            let offsets = info.get("data_offsets").and_then(|v| v.as_array());
            let range = offsets.and_then(|o| Some((o.first()?.as_u64()?, o.get(1)?.as_u64()?)));
            if let Some((start, end)) = range.map(|(s, e)| (s as usize, e as usize))
                && end > available
                && first_outside.as_ref().is_none_or(|(_, s, _)| start < *s)
            {
                first_outside = Some((key.clone(), start, end));
            }
        }
    }
    match first_outside {
        Some((key, start, end)) => CheckpointError::OutOfBounds { path, key, start, end, available },
        None => CheckpointError::Truncated {
            path,
            reason: "the file's length does not match its header (extra bytes at the end)".into(),
        },
    }
}
