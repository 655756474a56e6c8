//! Writing tensors as a `.safetensors` file, streamed: the header (8-byte little-endian length, then
//! JSON naming each tensor's dtype, shape and byte range, padded with spaces to a multiple of 8 as the
//! `safetensors` crate does), then the data, made a few megabytes at a time in parallel. At most one
//! chunk of values is held, so a 2 GB model needs tens of megabytes of memory.

use std::io::{self, Write};
use std::path::Path;

use rayon::prelude::*;

use super::random::{BLOCK, fill_block};
use super::spec::{Element, TensorSpec};

/// Blocks made per chunk (4 Mi values).
const CHUNK_BLOCKS: usize = 64;

/// The precision float tensors are stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F16,
    F32,
}

impl Precision {
    /// As in the file names: `fp16`, `fp32`.
    pub fn label(self) -> &'static str {
        match self {
            Precision::F16 => "fp16",
            Precision::F32 => "fp32",
        }
    }
}

/// The tensors in the order they are stored: by name, as `safetensors` writes them.
fn ordered(tensors: &[TensorSpec]) -> Vec<&TensorSpec> {
    let mut ordered: Vec<&TensorSpec> = tensors.iter().collect();
    ordered.sort_by(|a, b| a.name.cmp(&b.name));
    ordered
}

/// The safetensors dtype and bytes per value of `spec` stored at `precision`.
fn stored(spec: &TensorSpec, precision: Precision) -> (&'static str, usize) {
    match (spec.element, precision) {
        (Element::Float, Precision::F16) => ("F16", 2),
        (Element::Float, Precision::F32) => ("F32", 4),
        (Element::I64, _) => ("I64", 8),
        (Element::I32, _) => ("I32", 4),
    }
}

/// The header's bytes, length prefix included.
pub fn header(tensors: &[TensorSpec], precision: Precision) -> Vec<u8> {
    let mut map = serde_json::Map::new();
    map.insert("__metadata__".into(), serde_json::json!({ "format": "pt" }));
    let mut offset = 0usize;
    for spec in ordered(tensors) {
        let (dtype, size) = stored(spec, precision);
        let end = offset + spec.len() * size;
        map.insert(spec.name.clone(), serde_json::json!({ "dtype": dtype, "shape": spec.shape, "data_offsets": [offset, end] }));
        offset = end;
    }
    let mut json = serde_json::Value::Object(map).to_string().into_bytes();
    json.resize(json.len().next_multiple_of(8), b' ');
    let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
    bytes.extend(json);
    bytes
}

/// The file's size in bytes: header plus every tensor's data.
pub fn file_size(tensors: &[TensorSpec], precision: Precision) -> u64 {
    let data: usize = tensors.iter().map(|spec| spec.len() * stored(spec, precision).1).sum();
    (header(tensors, precision).len() + data) as u64
}

/// Writes the tensors with values from `seed` to `path` atomically; returns the bytes written.
pub fn write(path: &Path, tensors: &[TensorSpec], precision: Precision, seed: u64) -> io::Result<u64> {
    let mut written = 0u64;
    crate::atomic_write::write_file_atomically_with(path, |out| {
        let header = header(tensors, precision);
        out.write_all(&header)?;
        written = header.len() as u64;
        let mut buffer = Vec::new();
        for spec in ordered(tensors) {
            written += write_tensor(out, spec, precision, seed, &mut buffer)?;
        }
        Ok(())
    })?;
    Ok(written)
}

/// One tensor's data, a chunk at a time through `buffer`.
fn write_tensor(
    out: &mut dyn Write,
    spec: &TensorSpec,
    precision: Precision,
    seed: u64,
    buffer: &mut Vec<u8>,
) -> io::Result<u64> {
    let size = stored(spec, precision).1;
    let blocks = spec.len().div_ceil(BLOCK);
    let mut written = 0u64;
    for first in (0..blocks).step_by(CHUNK_BLOCKS) {
        let values = (spec.len() - first * BLOCK).min(CHUNK_BLOCKS * BLOCK);
        buffer.resize(values * size, 0);
        buffer.par_chunks_mut(BLOCK * size).enumerate().for_each(|(i, bytes)| {
            let mut block = vec![0f32; bytes.len() / size];
            fill_block(spec, seed, first + i, &mut block);
            encode(&block, spec.element, precision, bytes);
        });
        out.write_all(buffer)?;
        written += buffer.len() as u64;
    }
    Ok(written)
}

/// `values` as stored, little-endian, into `bytes` (exactly their size).
fn encode(values: &[f32], element: Element, precision: Precision, bytes: &mut [u8]) {
    match (element, precision) {
        (Element::Float, Precision::F16) => put(values, bytes, |v| half::f16::from_f32(v).to_le_bytes()),
        (Element::Float, Precision::F32) => put(values, bytes, f32::to_le_bytes),
        (Element::I64, _) => put(values, bytes, |v| (v as i64).to_le_bytes()),
        (Element::I32, _) => put(values, bytes, |v| (v as i32).to_le_bytes()),
    }
}

fn put<const N: usize>(values: &[f32], bytes: &mut [u8], to_bytes: impl Fn(f32) -> [u8; N]) {
    for (value, slot) in values.iter().zip(bytes.chunks_exact_mut(N)) {
        slot.copy_from_slice(&to_bytes(*value));
    }
}
