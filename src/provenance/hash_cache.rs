//! Hashes of model files already read, kept per file (path, size, modification time) in
//! `model-hashes.json` under Nurie's home, so a 2 GB checkpoint is read once, not at every start or
//! every inspection; a file that changes is hashed again. LoRAs and embeddings keep their network hashes
//! (addnet, declared) in the same entry.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::UNIX_EPOCH;

use super::hash::{FileIdentity, HashError, identify};
use super::network_hash::{NetworkFileHashes, hash_network_file};

pub const HASH_CACHE_FILE_NAME: &str = "model-hashes.json";

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct CachedIdentity {
    size: u64,
    /// Modification time in nanoseconds since the Unix epoch (0 when the system does not say).
    modified_ns: u128,
    identity: FileIdentity,
    /// The network hashes, once the file was hashed as a LoRA or embedding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    network: Option<NetworkPart>,
}

/// What [`NetworkFileHashes`] holds beyond the [`FileIdentity`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct NetworkPart {
    addnet_sha256: Option<String>,
    declared_sha256: Option<String>,
}

/// Known file identities; kept in a file when made with [`HashCache::in_home`].
#[derive(Debug, Default)]
pub struct HashCache {
    file: Option<PathBuf>,
    entries: BTreeMap<PathBuf, CachedIdentity>,
}

impl HashCache {
    /// A cache for this run only.
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// The cache of Nurie's `home`; a missing or unreadable file starts an empty cache.
    pub fn in_home(home: &Path) -> Self {
        let file = home.join(HASH_CACHE_FILE_NAME);
        let entries = std::fs::read(&file).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default();
        Self { file: Some(file), entries }
    }

    /// The identity of `path` if it was hashed before and has not changed since.
    pub fn cached(&self, path: &Path) -> Option<FileIdentity> {
        self.current_entry(path).map(|entry| entry.identity.clone())
    }

    fn current_entry(&self, path: &Path) -> Option<&CachedIdentity> {
        let (size, modified_ns) = file_stamp(path).ok()?;
        let entry = self.entries.get(&absolute(path))?;
        (entry.size == size && entry.modified_ns == modified_ns).then_some(entry)
    }

    /// The LoRA / embedding hashes of `path` if it was hashed as one before and has not changed since.
    pub fn cached_network(&self, path: &Path) -> Option<NetworkFileHashes> {
        let entry = self.current_entry(path)?;
        let part = entry.network.clone()?;
        Some(NetworkFileHashes {
            identity: entry.identity.clone(),
            addnet_sha256: part.addnet_sha256,
            declared_sha256: part.declared_sha256,
        })
    }

    /// The LoRA / embedding hashes of `path` ([`hash_network_file`]), hashing it unless known. The
    /// entry also answers [`Self::identity`].
    pub fn network_hashes(
        &mut self,
        path: &Path,
        progress: &mut dyn FnMut(u64, u64),
        cancel: &AtomicBool,
    ) -> Result<NetworkFileHashes, HashError> {
        if let Some(known) = self.cached_network(path) {
            return Ok(known);
        }
        let (size, modified_ns) = file_stamp(path).map_err(|source| HashError::Io { path: path.to_path_buf(), source })?;
        let hashes = hash_network_file(path, progress, cancel)?;
        let network =
            Some(NetworkPart { addnet_sha256: hashes.addnet_sha256.clone(), declared_sha256: hashes.declared_sha256.clone() });
        self.entries.insert(absolute(path), CachedIdentity { size, modified_ns, identity: hashes.identity.clone(), network });
        self.save();
        Ok(hashes)
    }

    /// The identity of `path`, hashing it (with `progress`, stopping on `cancel`) unless known. A cache
    /// file that cannot be written only costs a second hashing later.
    pub fn identity(
        &mut self,
        path: &Path,
        progress: &mut dyn FnMut(u64, u64),
        cancel: &AtomicBool,
    ) -> Result<FileIdentity, HashError> {
        if let Some(known) = self.cached(path) {
            return Ok(known);
        }
        let (size, modified_ns) = file_stamp(path).map_err(|source| HashError::Io { path: path.to_path_buf(), source })?;
        let identity = identify(path, progress, cancel)?;
        self.entries.insert(absolute(path), CachedIdentity { size, modified_ns, identity: identity.clone(), network: None });
        self.save();
        Ok(identity)
    }

    /// [`Self::identity`] without progress or cancellation.
    pub fn identity_now(&mut self, path: &Path) -> Result<FileIdentity, HashError> {
        self.identity(path, &mut |_, _| {}, &AtomicBool::new(false))
    }

    fn save(&self) {
        let Some(file) = &self.file else { return };
        // Entries of files that no longer exist are dropped when the cache is written.
        let live: BTreeMap<&PathBuf, &CachedIdentity> = self.entries.iter().filter(|(path, _)| path.exists()).collect();
        if let Ok(bytes) = serde_json::to_vec_pretty(&live) {
            let _ = crate::atomic_write::write_file_atomically(file, &bytes);
        }
    }
}

fn file_stamp(path: &Path) -> std::io::Result<(u64, u128)> {
    let meta = std::fs::metadata(path)?;
    let modified = meta.modified().ok().and_then(|time| time.duration_since(UNIX_EPOCH).ok());
    Ok((meta.len(), modified.map_or(0, |d| d.as_nanos())))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_hashed_once_until_it_changes_and_the_cache_survives_a_restart() {
        let home = tempfile::tempdir().unwrap();
        let model = home.path().join("model.safetensors");
        std::fs::write(&model, b"first version").unwrap();
        let mut hashed = 0;
        let mut cache = HashCache::in_home(home.path());
        let first = cache.identity(&model, &mut |_, _| hashed += 1, &AtomicBool::new(false)).unwrap();
        assert_eq!(hashed, 1);
        let mut restarted = HashCache::in_home(home.path());
        assert_eq!(restarted.cached(&model), Some(first.clone()));
        restarted.identity(&model, &mut |_, _| hashed += 1, &AtomicBool::new(false)).unwrap();
        assert_eq!(hashed, 1, "read from the cache file");

        std::fs::write(&model, b"second, longer version").unwrap();
        assert_eq!(restarted.cached(&model), None, "a changed file is not trusted");
        let second = restarted.identity_now(&model).unwrap();
        assert_ne!(second.sha256, first.sha256);
    }

    #[test]
    fn network_hashes_are_cached_with_the_identity() {
        let home = tempfile::tempdir().unwrap();
        let lora = home.path().join("flat.safetensors");
        let mut bytes = 2u64.to_le_bytes().to_vec();
        bytes.extend(b"{}tensor data");
        std::fs::write(&lora, &bytes).unwrap();
        let mut hashed = 0;
        let mut cache = HashCache::in_home(home.path());
        assert_eq!(cache.identity_now(&lora).unwrap().sha256.len(), 64);
        assert_eq!(cache.cached_network(&lora), None, "hashed as a checkpoint only");
        let first = cache.network_hashes(&lora, &mut |_, _| hashed += 1, &AtomicBool::new(false)).unwrap();
        assert!(first.addnet_sha256.is_some());
        let mut restarted = HashCache::in_home(home.path());
        let again = restarted.network_hashes(&lora, &mut |_, _| hashed += 1, &AtomicBool::new(false)).unwrap();
        assert_eq!((again, hashed), (first.clone(), 1));
        assert_eq!(restarted.cached(&lora), Some(first.identity));
    }

    #[test]
    fn a_damaged_cache_file_is_an_empty_cache() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(HASH_CACHE_FILE_NAME), b"{ not json").unwrap();
        let model = home.path().join("m");
        std::fs::write(&model, b"abc").unwrap();
        let mut cache = HashCache::in_home(home.path());
        assert_eq!(cache.cached(&model), None);
        assert!(cache.identity_now(&model).unwrap().sha256.starts_with("ba7816bf"));
        assert!(HashCache::in_home(home.path()).cached(&model).is_some(), "rewritten whole");
    }
}
