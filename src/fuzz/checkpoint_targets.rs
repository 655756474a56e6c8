//! Fuzz targets for model files: the pickle VM on its own, and whole safetensors and PyTorch zip files
//! through [`Checkpoint::open`] and a read of every tensor, as loading a model does.
//!
//! Properties: no panic; a tensor's decoded size is bounded by the file's size (a file must not make
//! Nurie allocate far more than it holds); the values read match the shape; the heap one execution
//! holds stays within a bound derived from the input's size.

use std::path::Path;

use serde_json::Value;
use zip::CompressionMethod;

use super::checkpoint_seeds::{
    PICKLE_TOKENS, SAFETENSORS_TOKENS, ZIP_TOKENS, pickle_seeds, safetensors_seeds, torch_zip_seeds, zip_archive, zip_entries,
};
use super::harness::{Check, Mutate, Target, run};
use super::json_mutate::mutate_json;
use super::mutate::{ByteContext, mutate_bytes};
use super::rng::Rng;
use crate::checkpoint::Checkpoint;
use crate::checkpoint::pickle::read_tensor_records;

/// Longest mutated model file.
const MAX_FILE_LEN: usize = 64 << 10;

/// How many decoded bytes (as f32 or i64) a file may produce per byte it holds. An f32 read of a u8
/// or bool tensor takes 4×, an i64 read 8×; broadcast views (stride 0) are legitimate but small in
/// real checkpoints. The constant covers the legitimate cases with room to spare.
const DECODE_BYTES_PER_FILE_BYTE: usize = 16;

/// Heap for one execution: the decoded tensors, the inflated pickle and the index, plus a fixed
/// allowance for the readers' own buffers.
fn model_heap_limit(file_len: usize) -> usize {
    (DECODE_BYTES_PER_FILE_BYTE + 8) * file_len + (8 << 20)
}

fn byte_mutator<'a>(dictionary: &'a [&'a [u8]]) -> impl Fn(&mut Rng, &Vec<u8>, &[Vec<u8>]) -> Vec<u8> + 'a {
    move |rng, parent, corpus| {
        let mut input = parent.clone();
        mutate_bytes(rng, &mut input, &ByteContext { dictionary, corpus, max_len: MAX_FILE_LEN });
        input
    }
}

#[test]
fn fuzz_pickle_vm() {
    let check: &Check<Vec<u8>> = &|bytes| {
        let Ok(records) = read_tensor_records(bytes) else { return Ok(()) };
        match records.iter().find(|r| r.shape.len() != r.strides.len()) {
            Some(r) => Err(format!("record `{}` has {} dimensions and {} strides", r.name, r.shape.len(), r.strides.len())),
            None => Ok(()),
        }
    };
    let mutate = byte_mutator(PICKLE_TOKENS);
    let target = Target {
        name: "pickle",
        seeds: pickle_seeds(),
        default_execs: 3000,
        mutate: &mutate,
        check,
        heap_limit: &|len| 64 * len + (4 << 20),
    };
    report(run(&target));
}

#[test]
fn fuzz_safetensors_files() {
    let dir = scratch_dir();
    let path = dir.path().join("model.safetensors");
    let check: &Check<Vec<u8>> = &|bytes| open_and_read_all(&path, bytes);
    let bytes = byte_mutator(SAFETENSORS_TOKENS);
    let mutate: &Mutate<Vec<u8>> =
        &|rng, parent, corpus| if rng.one_in(2) { bytes(rng, parent, corpus) } else { mutate_safetensors_header(rng, parent) };
    let target = Target {
        name: "safetensors",
        seeds: safetensors_seeds(),
        default_execs: 1500,
        mutate,
        check,
        heap_limit: &model_heap_limit,
    };
    report(run(&target));
}

#[test]
fn fuzz_torch_zip_files() {
    let dir = scratch_dir();
    let path = dir.path().join("model.ckpt");
    let check: &Check<Vec<u8>> = &|bytes| open_and_read_all(&path, bytes);
    let bytes = byte_mutator(ZIP_TOKENS);
    let mutate: &Mutate<Vec<u8>> =
        &|rng, parent, corpus| if rng.one_in(2) { bytes(rng, parent, corpus) } else { mutate_zip_entries(rng, parent) };
    let target =
        Target { name: "torch_zip", seeds: torch_zip_seeds(), default_execs: 1500, mutate, check, heap_limit: &model_heap_limit };
    report(run(&target));
}

fn scratch_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn report(report: super::harness::Report) {
    println!("{}", report.summary());
    report.assert_clean();
}

/// Opens `bytes` as a model file at `path` and reads every tensor the way loading does.
fn open_and_read_all(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("writing the scratch file: {e}"))?;
    let Ok(checkpoint) = Checkpoint::open(path) else { return Ok(()) };
    let _ = checkpoint.file_metadata().values().map(String::len).sum::<usize>();
    let keys: Vec<String> = checkpoint.keys().map(str::to_string).collect();
    for key in &keys {
        read_tensor(&checkpoint, key, bytes.len())?;
    }
    Ok(())
}

/// Reads one tensor as f32 and as i64, after checking that its declared size is one this file can
/// hold (a read that would allocate gigabytes is reported, not attempted).
fn read_tensor(checkpoint: &Checkpoint, key: &str, file_len: usize) -> Result<(), String> {
    let Some(shape) = checkpoint.entry(key).map(|entry| entry.shape.clone()) else {
        return Err(format!("`{key}` is listed by keys() but has no entry"));
    };
    let numel = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    let decoded = numel.and_then(|n| n.checked_mul(8));
    if decoded.is_none_or(|bytes| bytes > DECODE_BYTES_PER_FILE_BYTE * file_len) {
        return Err(format!(
            "tensor `{key}` of shape {shape:?} would decode to {decoded:?} bytes from a {file_len}-byte file (accepted by open)"
        ));
    }
    let numel = numel.unwrap_or(0);
    if let Ok(tensor) = checkpoint.read_f32(key)
        && (tensor.values.len() != numel || tensor.shape != shape)
    {
        return Err(format!("`{key}`: {} f32 values for shape {:?} (entry {shape:?})", tensor.values.len(), tensor.shape));
    }
    if let Ok((read_shape, values)) = checkpoint.read_i64(key)
        && (values.len() != numel || read_shape != shape)
    {
        return Err(format!("`{key}`: {} i64 values for shape {read_shape:?} (entry {shape:?})", values.len()));
    }
    Ok(())
}

/// Mutates the JSON header of a safetensors file and writes it back with a correct length prefix,
/// so the mutation reaches the checks on dtypes, shapes and offsets rather than the JSON parser.
pub(super) fn mutate_safetensors_header(rng: &mut Rng, file: &[u8]) -> Vec<u8> {
    let Some(header_len) = file.get(..8).map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])) else {
        return file.to_vec();
    };
    let end = usize::try_from(header_len).ok().and_then(|n| n.checked_add(8)).filter(|&end| end <= file.len());
    let Some(end) = end else { return file.to_vec() };
    let Ok(mut header) = serde_json::from_slice::<Value>(&file[8..end]) else { return file.to_vec() };
    mutate_json(rng, &mut header, &[]);
    let text = serde_json::to_vec(&header).unwrap_or_default();
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&text);
    let data = &file[end..];
    match rng.below(4) {
        0 => out.extend_from_slice(&data[..rng.below(data.len() + 1)]),
        1 => out.extend(data.iter().chain(data)),
        _ => out.extend_from_slice(data),
    }
    out
}

/// Rebuilds a zip checkpoint with one entry changed (the pickle byte-mutated, a storage cut or grown,
/// an entry renamed or dropped) and every CRC correct, so the change reaches the pickle VM and the
/// storage bounds checks instead of failing the zip reader's CRC check; stored or deflated.
fn mutate_zip_entries(rng: &mut Rng, archive: &[u8]) -> Vec<u8> {
    let mut entries = zip_entries(archive);
    if entries.is_empty() {
        return archive.to_vec();
    }
    let index = rng.below(entries.len());
    let (name, bytes) = &mut entries[index];
    match rng.below(6) {
        0 | 1 => mutate_bytes(rng, bytes, &ByteContext { dictionary: PICKLE_TOKENS, corpus: &[], max_len: MAX_FILE_LEN }),
        2 => bytes.truncate(rng.below(bytes.len() + 1)),
        3 => bytes.extend(std::iter::repeat_n(0x3c, rng.small_below(4096))),
        4 => name.push_str(["0", "/", "../x", "\0"][rng.below(4)]),
        _ => {
            entries.remove(index);
        }
    }
    let method = if rng.one_in(3) { CompressionMethod::Deflated } else { CompressionMethod::Stored };
    zip_archive(&entries, method)
}
