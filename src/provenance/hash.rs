//! File hashes as A1111 and Civitai identify models: SHA-256 of the whole file, AutoV2 = its first 10
//! hex digits.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// SHA-256 of a file's bytes, lowercase hex, read in 1 MiB blocks (never the whole file at once).
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut block)?;
        if read == 0 {
            break;
        }
        hasher.update(&block[..read]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// A model file's name and hashes, as the metadata records it (reads the whole file once).
pub fn model_ref(path: &Path) -> std::io::Result<crate::metadata::ModelRef> {
    Ok(model_ref_with_sha256(path, &file_sha256(path)?))
}

/// The record of a model file whose SHA-256 is already known (e.g. from a cache).
pub fn model_ref_with_sha256(path: &Path, sha256: &str) -> crate::metadata::ModelRef {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    crate::metadata::ModelRef::from_sha256(name, sha256)
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
}
