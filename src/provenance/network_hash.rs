//! Hashes of LoRA and embedding files, as A1111 and Civitai name them, read in one pass:
//!
//! * the whole file's SHA-256 (Civitai's AutoV2 is its first 10 hex digits; A1111's hash of an
//!   embedding, and of a LoRA that is not `.safetensors`, is it too: `modules/hashes.py: sha256`);
//! * for a `.safetensors` file (A1111 decides by the extension), the "addnet" hash: the SHA-256 of
//!   everything after the 8-byte header length and the JSON header, so that editing a LoRA's metadata
//!   keeps its hash (`hashes.py: addnet_hash_safetensors`, from kohya's sd-scripts; Civitai lists it as
//!   AutoV3);
//! * the `sshs_model_hash` a kohya-trained file declares in its `__metadata__`, which A1111 1.10 takes
//!   before computing anything (`extensions-builtin/Lora/network.py: NetworkOnDisk`). Nurie keeps it
//!   apart and uses it only when it is a SHA-256 in hex: A1111 accepts any string there.
//!
//! A1111's short hash, written in `Lora hashes` and `TI hashes`, is the first 12 hex digits.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::hash::{FileIdentity, HashError, autov1, hex};
use crate::metadata::{NetworkKind, NetworkUse};

const BLOCK: usize = 1 << 20;
/// The safetensors format's own limit on the header (the `safetensors` crate's `MAX_HEADER_SIZE`).
const MAX_HEADER_BYTES: u64 = 100_000_000;
/// A1111's short hash: `shorthash = hash[0:12]`.
pub const SHORT_HASH_DIGITS: usize = 12;

/// The hashes of one LoRA or embedding file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NetworkFileHashes {
    /// The whole file's SHA-256 and A1111's legacy AutoV1.
    #[serde(flatten)]
    pub identity: FileIdentity,
    /// `.safetensors` only: SHA-256 of the tensor data after the header, lowercase hex.
    pub addnet_sha256: Option<String>,
    /// `.safetensors` only: the `sshs_model_hash` the file declares, when it is a SHA-256 in hex.
    pub declared_sha256: Option<String>,
}

impl NetworkFileHashes {
    /// The hash A1111 takes for the file used as `kind`: a LoRA's declared hash, else its addnet
    /// hash, else the file's SHA-256; an embedding's SHA-256.
    pub fn a1111_sha256(&self, kind: NetworkKind) -> &str {
        let lora_hash = self.declared_sha256.as_deref().or(self.addnet_sha256.as_deref());
        match kind {
            NetworkKind::Lora => lora_hash.unwrap_or(&self.identity.sha256),
            NetworkKind::Embedding => &self.identity.sha256,
        }
    }

    /// A1111's short hash (`Lora hashes`, `TI hashes`): 12 hex digits of [`Self::a1111_sha256`].
    pub fn short_hash(&self, kind: NetworkKind) -> &str {
        let hash = self.a1111_sha256(kind);
        hash.get(..SHORT_HASH_DIGITS).unwrap_or(hash)
    }

    /// What a record lists for this file used as `kind` under `name` (the name the prompt calls it by).
    pub fn network_use(&self, kind: NetworkKind, name: impl Into<String>) -> NetworkUse {
        NetworkUse {
            short_hash: Some(self.short_hash(kind).to_string()),
            autov2: Some(self.identity.autov2().to_string()),
            sha256: Some(self.identity.sha256.clone()),
            ..NetworkUse::named(kind, name)
        }
    }

    /// Every full hash of the file, to compare a picture's hashes with.
    pub fn all_sha256(&self) -> impl Iterator<Item = &str> {
        [Some(&self.identity.sha256), self.addnet_sha256.as_ref(), self.declared_sha256.as_ref()]
            .into_iter()
            .flatten()
            .map(String::as_str)
    }
}

/// Hashes a LoRA or embedding file in one pass of 1 MiB blocks, calling `progress(done, size)` after
/// each and stopping when `cancel` is set. A `.safetensors` file whose header cannot be read is an error
/// naming the file.
pub fn hash_network_file(
    path: &Path,
    progress: &mut dyn FnMut(u64, u64),
    cancel: &AtomicBool,
) -> Result<NetworkFileHashes, HashError> {
    let io_error = |source| HashError::Io { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    if meta.is_dir() {
        return Err(HashError::Folder { path: path.to_path_buf() });
    }
    let header = if is_safetensors(path) { Some(read_header(&mut file, meta.len(), path)?) } else { None };
    let payload_start = header.as_ref().map(|h| h.payload_start);
    let (sha256, addnet) = stream_hashes(&mut file, meta.len(), payload_start, progress, cancel, path)?;
    let identity = FileIdentity { sha256, autov1: autov1(&mut file).map_err(io_error)? };
    let declared_sha256 = header.and_then(|h| h.declared_sha256);
    Ok(NetworkFileHashes { identity, addnet_sha256: addnet, declared_sha256 })
}

fn is_safetensors(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("safetensors"))
}

/// What the hashes need from a safetensors header.
struct Header {
    /// Where the tensor data starts: 8 + the header's length.
    payload_start: u64,
    declared_sha256: Option<String>,
}

fn read_header(file: &mut std::fs::File, size: u64, path: &Path) -> Result<Header, HashError> {
    let corrupt = |reason: String| HashError::CorruptSafetensorsHeader { path: path.to_path_buf(), reason };
    let io_error = |source| HashError::Io { path: path.to_path_buf(), source };
    let mut length = [0u8; 8];
    file.read_exact(&mut length)
        .map_err(|_| corrupt(format!("the file has {size} bytes, fewer than the 8 of the header's length")))?;
    let length = u64::from_le_bytes(length);
    if length > MAX_HEADER_BYTES || length > size.saturating_sub(8) {
        return Err(corrupt(format!("the header claims {length} bytes in a file of {size}")));
    }
    let mut bytes = vec![0u8; length as usize];
    file.read_exact(&mut bytes).map_err(io_error)?;
    let header: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|e| corrupt(format!("the header is not a JSON object: {e}")))?;
    file.seek(SeekFrom::Start(0)).map_err(io_error)?;
    Ok(Header { payload_start: 8 + length, declared_sha256: declared_sha256(&header) })
}

/// `__metadata__.sshs_model_hash`, when it is 64 hex digits.
fn declared_sha256(header: &Map<String, Value>) -> Option<String> {
    let declared = header.get("__metadata__")?.get("sshs_model_hash")?.as_str()?.trim();
    (declared.len() == 64 && declared.chars().all(|c| c.is_ascii_hexdigit())).then(|| declared.to_ascii_lowercase())
}

/// The whole file's SHA-256 and, from `payload_start` on, the addnet SHA-256.
fn stream_hashes(
    file: &mut std::fs::File,
    total: u64,
    payload_start: Option<u64>,
    progress: &mut dyn FnMut(u64, u64),
    cancel: &AtomicBool,
    path: &Path,
) -> Result<(String, Option<String>), HashError> {
    let (mut whole, mut payload) = (Sha256::new(), payload_start.map(|_| Sha256::new()));
    let mut block = vec![0u8; BLOCK];
    let mut done = 0u64;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(HashError::Cancelled { path: path.to_path_buf() });
        }
        let read = file.read(&mut block).map_err(|source| HashError::Io { path: path.to_path_buf(), source })?;
        if read == 0 {
            break;
        }
        whole.update(&block[..read]);
        if let (Some(hasher), Some(start)) = (payload.as_mut(), payload_start) {
            let skip = start.saturating_sub(done).min(read as u64) as usize;
            hasher.update(&block[skip..read]);
        }
        done += read as u64;
        progress(done, total);
    }
    Ok((hex(&whole.finalize()), payload.map(|hasher| hex(&hasher.finalize()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safetensors(header: &str, payload: &[u8]) -> Vec<u8> {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header.as_bytes());
        bytes.extend(payload);
        bytes
    }

    fn hash(path: &Path) -> Result<NetworkFileHashes, HashError> {
        hash_network_file(path, &mut |_, _| {}, &AtomicBool::new(false))
    }

    /// The addnet hash is the SHA-256 of the bytes after the header, whatever the header says, and it
    /// spans blocks: a payload of 2.5 MiB behind a header that ends inside the first block.
    #[test]
    fn addnet_hash_skips_the_header_across_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let payload: Vec<u8> = (0..(5 * BLOCK / 2)).map(|i| (i % 251) as u8).collect();
        let (first, second) = (dir.path().join("a.safetensors"), dir.path().join("b.SafeTensors"));
        std::fs::write(&first, safetensors(r#"{"__metadata__":{"ss_output_name":"a"}}"#, &payload)).unwrap();
        std::fs::write(&second, safetensors(r#"{"__metadata__":{"ss_output_name":"a longer name"}}  "#, &payload)).unwrap();
        let (a, b) = (hash(&first).unwrap(), hash(&second).unwrap());
        let expected = hex(&Sha256::digest(&payload));
        assert_eq!((a.addnet_sha256.as_deref(), b.addnet_sha256.as_deref()), (Some(&*expected), Some(&*expected)));
        assert_ne!(a.identity.sha256, b.identity.sha256);
        assert_eq!(a.identity.sha256, hex(&Sha256::digest(std::fs::read(&first).unwrap())));
        assert_eq!(a.short_hash(NetworkKind::Lora), &expected[..12]);
        assert_eq!(a.short_hash(NetworkKind::Embedding), &a.identity.sha256[..12]);
    }

    /// A1111 takes a LoRA's declared `sshs_model_hash` first; Nurie only when it is a SHA-256.
    #[test]
    fn declared_hash_comes_first_when_it_is_a_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let declared = "AB".repeat(32);
        let path = dir.path().join("kohya.safetensors");
        std::fs::write(&path, safetensors(&format!(r#"{{"__metadata__":{{"sshs_model_hash":"{declared}"}}}}"#), b"x")).unwrap();
        let hashes = hash(&path).unwrap();
        assert_eq!(hashes.a1111_sha256(NetworkKind::Lora), declared.to_ascii_lowercase());
        assert_eq!(hashes.all_sha256().count(), 3);
        std::fs::write(&path, safetensors(r#"{"__metadata__":{"sshs_model_hash":"not a hash"}}"#, b"x")).unwrap();
        assert_eq!(hash(&path).unwrap().declared_sha256, None);
    }

    #[test]
    fn other_files_hash_whole_and_list_their_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("easynegative.pt");
        std::fs::write(&path, b"abc").unwrap();
        let hashes = hash(&path).unwrap();
        assert_eq!(hashes.addnet_sha256, None);
        let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(hashes.a1111_sha256(NetworkKind::Lora), sha);
        let used = hashes.network_use(NetworkKind::Embedding, "easynegative");
        assert_eq!((used.short_hash.as_deref(), used.autov2.as_deref()), (Some("ba7816bf8f01"), Some("ba7816bf8f")));
        assert_eq!(used.sha256.as_deref(), Some(sha));
    }

    #[test]
    fn corrupt_headers_are_typed_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, Vec<u8>); 4] = [
            ("short.safetensors", vec![1, 2, 3]),
            ("too_long.safetensors", vec![0xff; 8]),
            ("past_end.safetensors", [&50u64.to_le_bytes()[..], b"{}"].concat()),
            ("not_json.safetensors", safetensors("{nope", b"data")),
        ];
        for (name, bytes) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            match hash(&path) {
                Err(error @ HashError::CorruptSafetensorsHeader { .. }) => assert!(error.to_string().contains(name), "{error}"),
                other => panic!("{name}: {other:?}"),
            }
        }
        let folder = dir.path().join("dir.safetensors");
        std::fs::create_dir(&folder).unwrap();
        assert!(matches!(hash(&folder), Err(HashError::Folder { .. })));
    }

    #[test]
    fn progress_and_cancel() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.safetensors");
        std::fs::write(&path, safetensors("{}", &vec![0u8; 2 * BLOCK])).unwrap();
        let mut calls = 0;
        hash_network_file(&path, &mut |_, _| calls += 1, &AtomicBool::new(false)).unwrap();
        assert_eq!(calls, 3);
        assert!(matches!(hash_network_file(&path, &mut |_, _| {}, &AtomicBool::new(true)), Err(HashError::Cancelled { .. })));
    }
}
