//! File hashes as A1111 and Civitai identify models: SHA-256 of the whole file, AutoV2 = its first 10
//! hex digits, and A1111's legacy AutoV1 = the first 8 hex digits of the SHA-256 of the 64 KiB at
//! offset 1 MiB (`modules/sd_models.py: model_hash`; still what old infotexts and sd-webui-controlnet's
//! `[hash]` show).

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

const BLOCK: usize = 1 << 20;
const AUTOV1_OFFSET: u64 = 0x10_0000;
const AUTOV1_LENGTH: u64 = 0x1_0000;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is a folder, not a file: choose the file inside it")]
    Folder { path: PathBuf },
    #[error("hashing {path} was cancelled")]
    Cancelled { path: PathBuf },
    #[error("{path} is not a readable safetensors file: {reason}")]
    CorruptSafetensorsHeader { path: PathBuf, reason: String },
}

/// The hashes that name a model file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileIdentity {
    /// Lowercase hex.
    pub sha256: String,
    /// A1111's legacy hash, 8 lowercase hex digits.
    pub autov1: String,
}

impl FileIdentity {
    /// The first 10 hex digits of the SHA-256 (A1111's and Civitai's "AutoV2").
    pub fn autov2(&self) -> &str {
        self.sha256.get(..10).unwrap_or(&self.sha256)
    }

    /// The record the metadata keeps for a model file named `file_name`.
    pub fn model_ref(&self, file_name: impl Into<String>) -> crate::metadata::ModelRef {
        let mut model = crate::metadata::ModelRef::from_sha256(file_name, &self.sha256);
        model.autov1 = Some(self.autov1.clone());
        model
    }
}

/// Hashes `path`: the whole file once, in 1 MiB blocks, calling `progress(bytes done, file size)`
/// after each block and stopping when `cancel` is set.
pub fn identify(path: &Path, progress: &mut dyn FnMut(u64, u64), cancel: &AtomicBool) -> Result<FileIdentity, HashError> {
    let io_error = |source| HashError::Io { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    if meta.is_dir() {
        return Err(HashError::Folder { path: path.to_path_buf() });
    }
    let total = meta.len();
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; BLOCK];
    let mut done = 0u64;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(HashError::Cancelled { path: path.to_path_buf() });
        }
        let read = file.read(&mut block).map_err(io_error)?;
        if read == 0 {
            break;
        }
        hasher.update(&block[..read]);
        done += read as u64;
        progress(done, total);
    }
    let autov1 = autov1(&mut file).map_err(io_error)?;
    Ok(FileIdentity { sha256: hex(&hasher.finalize()), autov1 })
}

/// A1111's AutoV1 of an open file. A file shorter than 1 MiB hashes to the empty input's digest
/// (`e3b0c442`), as A1111's does.
pub(super) fn autov1(file: &mut std::fs::File) -> std::io::Result<String> {
    file.seek(SeekFrom::Start(AUTOV1_OFFSET))?;
    let mut window = Vec::with_capacity(AUTOV1_LENGTH as usize);
    file.take(AUTOV1_LENGTH).read_to_end(&mut window)?;
    let digest = hex(&Sha256::digest(&window));
    Ok(digest[..8].to_string())
}

/// Bytes as lowercase hex (a digest as the metadata and kept files name it).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file's bytes, lowercase hex, read in 1 MiB blocks (never the whole file at once).
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    match identify(path, &mut |_, _| {}, &AtomicBool::new(false)) {
        Ok(identity) => Ok(identity.sha256),
        Err(HashError::Io { source, .. }) => Err(source),
        Err(error @ (HashError::Folder { .. } | HashError::CorruptSafetensorsHeader { .. })) => {
            Err(std::io::Error::other(error.to_string()))
        }
        Err(HashError::Cancelled { .. }) => Err(std::io::Error::other("cancelled")),
    }
}

/// The file name of `path` as the metadata shows it.
pub fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_known_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(file_sha256(&path).unwrap(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(file_sha256(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn autov1_hashes_the_64_kib_at_one_mib() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.bin");
        let mut bytes = vec![7u8; 0x10_0000];
        bytes.extend(vec![b'a'; 0x1_0000]);
        bytes.extend(b"tail that AutoV1 never reads");
        std::fs::write(&path, &bytes).unwrap();
        let identity = identify(&path, &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
        let window = hex(&Sha256::digest(vec![b'a'; 0x1_0000]));
        assert_eq!(identity.autov1, window[..8]);
        assert_eq!(identity.sha256, hex(&Sha256::digest(&bytes)));
        assert_eq!(identity.autov2(), &identity.sha256[..10]);
        let small = dir.path().join("small");
        std::fs::write(&small, b"abc").unwrap();
        assert_eq!(identify(&small, &mut |_, _| {}, &AtomicBool::new(false)).unwrap().autov1, "e3b0c442");
    }

    #[test]
    fn progress_is_reported_and_cancel_stops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.bin");
        std::fs::write(&path, vec![1u8; 3 * BLOCK + 5]).unwrap();
        let mut seen = Vec::new();
        identify(&path, &mut |done, total| seen.push((done, total)), &AtomicBool::new(false)).unwrap();
        assert_eq!(seen.last(), Some(&((3 * BLOCK + 5) as u64, (3 * BLOCK + 5) as u64)));
        assert_eq!(seen.len(), 4);
        let cancelled = identify(&path, &mut |_, _| {}, &AtomicBool::new(true));
        assert!(matches!(cancelled, Err(HashError::Cancelled { .. })));
    }
}
