//! PyTorch `.ckpt`/`.pt` files as written by `torch.save` since 1.6: a zip archive holding
//! `<prefix>/data.pkl` (the object graph) and one `<prefix>/data/<key>` entry per storage.
//!
//! The pickle is walked by [`super::pickle`], which accepts only the tensor-rebuild globals. Storages are
//! read where they are in the file when stored uncompressed (as torch writes them); compressed ones
//! (archives re-zipped by other tools) are inflated only when a tensor in them is read, and only as far
//! as that tensor reaches, so no declared size in a small file can make Nurie allocate gigabytes.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use zip::{CompressionMethod, ZipArchive};

use super::model_file::{FileRange, ModelFile};
use super::pickle::{self, TensorRecord};
use super::storage::{DeflatedEntry, Source};
use super::{Checkpoint, CheckpointError, FileFormat, Result, TensorEntry};

/// Lightning checkpoints nest the weights under this key, next to optimizer state and counters.
const STATE_DICT_PREFIX: &str = "state_dict.";

/// The most bytes deflate can expand to per compressed byte (a 258-byte match costs at least 2 bits,
/// RFC 1951): a storage that declares more than this of its compressed size lies about one of them.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// Bytes of inflated pickle allowed per entry of the archive. The pickle describes the archive's
/// storages (torch writes ~200 bytes per tensor; Lightning's trainer state adds a few KB in all), so
/// its size follows from the archive's entry count; this is 100 times what real files need.
const PICKLE_BYTES_PER_ENTRY: u64 = 64 << 10;

type Archive<'a> = ZipArchive<FileRange<'a>>;

pub fn index(file: ModelFile) -> Result<Checkpoint> {
    let path = file.path().to_path_buf();
    let (records, storages, sources) = {
        let mut archive = ZipArchive::new(file.reader()).map_err(|e| corrupt(&path, e))?;
        let pickle_name = find_pickle(&path, &archive)?;
        let prefix = pickle_name.trim_end_matches("data.pkl").to_string();
        let pickle_bytes = read_pickle(&file, &mut archive, &pickle_name)?;
        let records = pickle::read_tensor_records(&pickle_bytes)
            .map_err(|source| CheckpointError::Pickle { path: path.clone(), source })?;
        let records = select_weights(records);
        let mut sources = vec![Source::File];
        let mut storages: HashMap<String, Storage> = HashMap::new();
        for record in &records {
            if !storages.contains_key(&record.storage_key) {
                let storage = locate_storage(&file, &mut archive, &prefix, record, &mut sources)?;
                storages.insert(record.storage_key.clone(), storage);
            }
        }
        (records, storages, sources)
    };
    let mut tensors = BTreeMap::new();
    for record in records {
        let entry = place(&path, &record, &storages[&record.storage_key])?;
        tensors.insert(record.name, entry);
    }
    Ok(Checkpoint::from_parts(file, FileFormat::TorchZip, sources, tensors))
}

/// Where one storage's bytes are: a byte range of a source.
struct Storage {
    source: usize,
    start: usize,
    len: usize,
    /// The most bytes a view into it may span (deflated storages: what their compressed size allows).
    max_extent: usize,
}

fn find_pickle(path: &Path, archive: &Archive) -> Result<String> {
    let mut names = archive.file_names().filter(|n| n.ends_with("data.pkl"));
    let name = names.next().ok_or_else(|| CheckpointError::UnsupportedFormat {
        path: path.to_path_buf(),
        reason: "it is a zip archive without data.pkl, so not a PyTorch checkpoint".into(),
    })?;
    Ok(name.to_string())
}

/// The pickle's bytes: read where they are when stored, inflated up to a bound that follows from the
/// archive's entry count when compressed.
fn read_pickle(file: &ModelFile, archive: &mut Archive, name: &str) -> Result<Vec<u8>> {
    let path = file.path();
    let limit = (archive.len() as u64 + 1).saturating_mul(PICKLE_BYTES_PER_ENTRY);
    let entry = archive.by_name(name).map_err(|e| corrupt(path, e))?;
    if entry.compression() == CompressionMethod::Stored {
        let (start, len) = (entry.data_start(), entry.size());
        if start.checked_add(len).is_none_or(|end| end > file.len()) {
            return Err(truncated(path, format!("`{name}` claims {len} bytes at byte {start}, past the end of the file")));
        }
        return file.read_at(start, len as usize);
    }
    let mut bytes = Vec::new();
    entry.take(limit + 1).read_to_end(&mut bytes).map_err(|e| corrupt(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(CheckpointError::CorruptHeader {
            path: path.to_path_buf(),
            reason: format!(
                "`{name}` inflates to more than {limit} bytes, far more than a pickle describing {} archive entries needs                  (a zip bomb?)",
                archive.len()
            ),
        });
    }
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
    file: &ModelFile,
    archive: &mut Archive,
    prefix: &str,
    record: &TensorRecord,
    sources: &mut Vec<Source>,
) -> Result<Storage> {
    let path = file.path();
    let name = format!("{prefix}data/{}", record.storage_key);
    let entry = archive
        .by_name(&name)
        .map_err(|_| truncated(path, format!("storage `{name}` of tensor `{}` is missing from the archive", record.name)))?;
    // The sizes come from the archive's directory: check them against the file itself.
    let (start, size, compressed_len) = (entry.data_start(), entry.size(), entry.compressed_size());
    let past_the_end = || {
        truncated(
            path,
            format!(
                "storage `{name}` of tensor `{}` claims {compressed_len} bytes at byte {start}, past the end of the {}-byte file",
                record.name,
                file.len()
            ),
        )
    };
    if start.checked_add(compressed_len).is_none_or(|end| end > file.len()) {
        return Err(past_the_end());
    }
    let start_in_memory = usize::try_from(start).map_err(|_| past_the_end())?;
    let len = usize::try_from(size).map_err(|_| past_the_end())?;
    match entry.compression() {
        CompressionMethod::Stored if size == compressed_len => {
            Ok(Storage { source: 0, start: start_in_memory, len, max_extent: len })
        }
        CompressionMethod::Stored => Err(past_the_end()),
        CompressionMethod::Deflated => {
            sources.push(Source::Deflated(DeflatedEntry { name, data_start: start, compressed_len }));
            let max_extent = usize::try_from(compressed_len.saturating_mul(MAX_DEFLATE_RATIO)).unwrap_or(usize::MAX);
            Ok(Storage { source: sources.len() - 1, start: 0, len, max_extent })
        }
        other => Err(CheckpointError::UnsupportedFormat {
            path: path.to_path_buf(),
            reason: format!("storage `{name}` is compressed with {other}; Nurie reads stored and deflated entries"),
        }),
    }
}

/// Turns a pickle record into a bounds-checked entry inside its storage.
fn place(path: &Path, record: &TensorRecord, storage: &Storage) -> Result<TensorEntry> {
    let element = record.dtype;
    let size = element.size_bytes();
    let mut entry = TensorEntry {
        element,
        shape: record.shape.clone(),
        strides: record.strides.clone(),
        source: storage.source,
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
    if end > storage.max_extent {
        return Err(CheckpointError::CorruptHeader {
            path: path.to_path_buf(),
            reason: format!(
                "tensor `{}` needs {end} bytes of a compressed storage too small to hold them (a zip bomb?)",
                record.name
            ),
        });
    }
    // A view with more elements than its storage repeats elements (a stride of 0, or overlapping strides):
    // a 1-element storage could otherwise decode to gigabytes. Saved model weights never repeat elements.
    let numel = entry.shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    if numel.is_none_or(|numel| numel > record.storage_numel) {
        return Err(CheckpointError::CorruptHeader {
            path: path.to_path_buf(),
            reason: format!(
                "tensor `{}` of shape {:?} has more elements than its storage holds ({}): a repeating view, which \
                 saved weights never are",
                record.name, entry.shape, record.storage_numel
            ),
        });
    }
    entry.byte_offset = storage.start + start;
    Ok(entry)
}

fn truncated(path: &Path, reason: String) -> CheckpointError {
    CheckpointError::Truncated { path: path.to_path_buf(), reason }
}

fn corrupt(path: &Path, error: impl std::fmt::Display) -> CheckpointError {
    CheckpointError::CorruptHeader { path: path.to_path_buf(), reason: format!("broken zip archive: {error}") }
}
