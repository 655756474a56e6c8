//! PyTorch `.ckpt`/`.pt` files as written by `torch.save` since 1.6: a zip archive holding
//! `<prefix>/data.pkl` (the object graph) and one `<prefix>/data/<key>` entry per storage.
//!
//! The pickle is walked by [`super::pickle`], which accepts only the tensor-rebuild globals; the
//! storages are used in place inside the memory map when stored uncompressed (as torch writes them).

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use zip::ZipArchive;

use super::pickle::{self, TensorRecord};
use super::{Buffer, Checkpoint, CheckpointError, FileFormat, Result, TensorEntry};

/// Lightning checkpoints nest the weights under this key, next to optimizer state and counters.
const STATE_DICT_PREFIX: &str = "state_dict.";

pub fn index(path: PathBuf, mmap: memmap2::Mmap) -> Result<Checkpoint> {
    let file_len = mmap.len();
    let mut archive = ZipArchive::new(Cursor::new(&mmap[..])).map_err(|e| corrupt(&path, e))?;
    let pickle_name = find_pickle(&path, &archive)?;
    let prefix = pickle_name.trim_end_matches("data.pkl").to_string();
    let pickle_bytes = read_entry(&path, &mut archive, &pickle_name)?;
    let records =
        pickle::read_tensor_records(&pickle_bytes).map_err(|source| CheckpointError::Pickle { path: path.clone(), source })?;
    let records = select_weights(records);

    let mut owned = vec![];
    let mut storages: HashMap<String, Storage> = HashMap::new();
    let mut tensors = BTreeMap::new();
    for record in records {
        if !storages.contains_key(&record.storage_key) {
            let storage = locate_storage(&path, &mut archive, &prefix, &record, file_len, &mut owned)?;
            storages.insert(record.storage_key.clone(), storage);
        }
        let storage = &storages[&record.storage_key];
        let entry = place(&path, &record, storage)?;
        tensors.insert(record.name, entry);
    }
    drop(archive);
    let mut buffers = vec![Buffer::Mapped(mmap)];
    buffers.extend(owned);
    Ok(Checkpoint::from_parts(path, FileFormat::TorchZip, buffers, tensors))
}

/// Buffer 0 is the memory map; decompressed storages follow it.
const MAPPED: usize = 0;

/// Where one storage's bytes are: a byte range of a buffer.
struct Storage {
    buffer: usize,
    start: usize,
    len: usize,
}

fn find_pickle(path: &Path, archive: &ZipArchive<Cursor<&[u8]>>) -> Result<String> {
    let mut names = archive.file_names().filter(|n| n.ends_with("data.pkl"));
    let name = names.next().ok_or_else(|| CheckpointError::UnsupportedFormat {
        path: path.to_path_buf(),
        reason: "it is a zip archive without data.pkl, so not a PyTorch checkpoint".into(),
    })?;
    Ok(name.to_string())
}

/// Largest entry read into memory (the pickle, or a compressed storage): far above any real SD1.x
/// checkpoint's, and it keeps a forged size in a tiny file from reserving gigabytes.
const MAX_ENTRY_BYTES: u64 = 4 << 30;

fn read_entry(path: &Path, archive: &mut ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Vec<u8>> {
    let file = archive.by_name(name).map_err(|e| corrupt(path, e))?;
    if file.size() > MAX_ENTRY_BYTES {
        return Err(corrupt(path, format!("entry `{name}` claims {} bytes", file.size())));
    }
    let mut bytes = Vec::new();
    file.take(MAX_ENTRY_BYTES).read_to_end(&mut bytes).map_err(|e| corrupt(path, e))?;
    Ok(bytes)
}

/// Keeps only the model weights of a training checkpoint (dropping optimizer state, EMA copies
/// saved as separate dicts and the like) and strips the `state_dict.` prefix.
fn select_weights(records: Vec<TensorRecord>) -> Vec<TensorRecord> {
    if !records.iter().any(|r| r.name.starts_with(STATE_DICT_PREFIX)) {
        return records;
    }
    records
        .into_iter()
        .filter_map(|mut r| {
            let stripped = r.name.strip_prefix(STATE_DICT_PREFIX)?.to_string();
            r.name = stripped;
            Some(r)
        })
        .collect()
}

fn locate_storage(
    path: &Path,
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    prefix: &str,
    record: &TensorRecord,
    file_len: usize,
    owned: &mut Vec<Buffer>,
) -> Result<Storage> {
    let name = format!("{prefix}data/{}", record.storage_key);
    let missing = || CheckpointError::Truncated {
        path: path.to_path_buf(),
        reason: format!("storage `{name}` of tensor `{}` is missing from the archive", record.name),
    };
    let file = archive.by_name(&name).map_err(|_| missing())?;
    if file.compression() == zip::CompressionMethod::Stored {
        // The sizes come from the archive's directory: check them against the file itself, so that a
        // lying directory cannot make a view reach past the memory map.
        let start = usize::try_from(file.data_start()).map_err(|_| missing())?;
        let len = usize::try_from(file.size()).map_err(|_| missing())?;
        let end = start.checked_add(len).filter(|&end| end <= file_len && file.compressed_size() == file.size());
        if end.is_none() {
            return Err(CheckpointError::Truncated {
                path: path.to_path_buf(),
                reason: format!(
                    "storage `{name}` of tensor `{}` claims {len} bytes at byte {start}, past the end of the {file_len}-byte file",
                    record.name
                ),
            });
        }
        return Ok(Storage { buffer: MAPPED, start, len });
    }
    drop(file);
    let bytes = read_entry(path, archive, &name)?;
    let len = bytes.len();
    owned.push(Buffer::Owned(bytes));
    Ok(Storage { buffer: owned.len(), start: 0, len })
}

/// Turns a pickle record into a bounds-checked entry inside its storage.
fn place(path: &Path, record: &TensorRecord, storage: &Storage) -> Result<TensorEntry> {
    let element = record.dtype;
    let size = element.size_bytes();
    let mut entry = TensorEntry {
        element,
        shape: record.shape.clone(),
        strides: record.strides.clone(),
        buffer: storage.buffer,
        byte_offset: 0,
    };
    let out_of_bounds = |start: usize, end: usize| CheckpointError::OutOfBounds {
        path: path.to_path_buf(),
        key: record.name.clone(),
        start,
        end,
        available: storage.len.min(record.storage_numel.saturating_mul(size)),
    };
    if entry.shape.len() != entry.strides.len() {
        return Err(CheckpointError::CorruptHeader {
            path: path.to_path_buf(),
            reason: format!("tensor `{}` has {} sizes but {} strides", record.name, entry.shape.len(), entry.strides.len()),
        });
    }
    let start = record.storage_offset.checked_mul(size).ok_or_else(|| out_of_bounds(usize::MAX, usize::MAX))?;
    let extent = entry.byte_extent().ok_or_else(|| out_of_bounds(start, usize::MAX))?;
    let end = start.checked_add(extent).ok_or_else(|| out_of_bounds(start, usize::MAX))?;
    let declared = record.storage_numel.saturating_mul(size);
    if end > storage.len.min(declared) {
        return Err(out_of_bounds(start, end));
    }
    entry.byte_offset = storage.start + start;
    Ok(entry)
}

fn corrupt(path: &Path, error: impl std::fmt::Display) -> CheckpointError {
    CheckpointError::CorruptHeader { path: path.to_path_buf(), reason: format!("broken zip archive: {error}") }
}
