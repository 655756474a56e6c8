//! `.safetensors` files: header parsed and validated by the `safetensors` crate, data memory-mapped.

use std::collections::BTreeMap;
use std::path::PathBuf;

use safetensors::{Dtype, SafeTensorError, SafeTensors};

use super::storage::contiguous_strides;
use super::{Buffer, Checkpoint, CheckpointError, ElementType, FileFormat, Result, TensorEntry};

const LENGTH_PREFIX: usize = 8;

pub fn index(path: PathBuf, mmap: memmap2::Mmap) -> Result<Checkpoint> {
    let (header_len, metadata) = match SafeTensors::read_metadata(&mmap) {
        Ok(parsed) => parsed,
        Err(error) => return Err(explain(&path, &mmap, error)),
    };
    let data_start = LENGTH_PREFIX + header_len;
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
            buffer: 0,
            byte_offset: data_start + info.data_offsets.0,
        };
        tensors.insert(key, entry);
    }
    let file_metadata: BTreeMap<String, String> =
        metadata.metadata().as_ref().map(|fields| fields.clone().into_iter().collect()).unwrap_or_default();
    Ok(Checkpoint::from_parts(path, FileFormat::Safetensors, vec![Buffer::Mapped(mmap)], tensors)
        .with_file_metadata(file_metadata))
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

/// Turns the crate's error into one that names the file and, where it can, the tensor.
fn explain(path: &std::path::Path, bytes: &[u8], error: SafeTensorError) -> CheckpointError {
    let path = path.to_path_buf();
    match error {
        SafeTensorError::MetadataIncompleteBuffer => truncation(path, bytes),
        SafeTensorError::InvalidHeaderLength => {
            let declared = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
            CheckpointError::Truncated {
                path,
                reason: format!(
                    "the header says it is {} bytes long but the file has only {} bytes",
                    declared.unwrap_or(0),
                    bytes.len()
                ),
            }
        }
        SafeTensorError::InvalidOffset(key) => CheckpointError::CorruptHeader {
            path,
            reason: format!("tensor `{key}` has data offsets that overlap or leave a gap"),
        },
        other => CheckpointError::CorruptHeader { path, reason: other.to_string() },
    }
}

/// The header is valid but the data is shorter (or longer) than it describes: find the first tensor
/// that does not fit, so the message names it.
fn truncation(path: PathBuf, bytes: &[u8]) -> CheckpointError {
    let header = header_json(bytes);
    let header_len = header.as_ref().map_or(0, |(len, _)| *len);
    let available = bytes.len().saturating_sub(LENGTH_PREFIX + header_len);
    let mut first_outside: Option<(String, usize, usize)> = None;
    if let Some((_, serde_json::Value::Object(map))) = header {
        for (key, info) in map.iter().filter(|(k, _)| k.as_str() != "__metadata__") {
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

fn header_json(bytes: &[u8]) -> Option<(usize, serde_json::Value)> {
    let len = u64::from_le_bytes(bytes.get(..LENGTH_PREFIX)?.try_into().ok()?) as usize;
    let text = bytes.get(LENGTH_PREFIX..LENGTH_PREFIX.checked_add(len)?)?;
    Some((len, serde_json::from_slice(text).ok()?))
}
