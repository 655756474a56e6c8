//! A picture's LoRAs and embeddings looked up among the user's files: by the name its prompt calls
//! them, then by the hash its metadata carries (files are hashed once, then kept in Nurie's hash cache).

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::embedding::EmbeddingLibrary;
use super::lora::LoraLibrary;
use crate::metadata::NetworkKind;
use crate::provenance::network_check::file_matches;
use crate::provenance::{HashCache, LocalNetwork, NetworkLookup};

/// The LoRA and embedding folders of this computer, with the hash cache to identify their files.
pub struct FolderLookup<'a> {
    loras: &'a LoraLibrary,
    embeddings: &'a EmbeddingLibrary,
    hashes: RefCell<&'a mut HashCache>,
}

impl<'a> FolderLookup<'a> {
    pub fn new(loras: &'a LoraLibrary, embeddings: &'a EmbeddingLibrary, hashes: &'a mut HashCache) -> Self {
        Self { loras, embeddings, hashes: RefCell::new(hashes) }
    }

    /// Every file of `kind`, as (name, path).
    fn files(&self, kind: NetworkKind) -> Vec<(String, PathBuf)> {
        match kind {
            NetworkKind::Lora => self.loras.found().iter().map(|lora| (lora.name.clone(), lora.path.clone())).collect(),
            NetworkKind::Embedding => self
                .embeddings
                .names()
                .filter_map(|name| Some((name.to_string(), self.embeddings.path(name)?.to_path_buf())))
                .collect(),
        }
    }

    /// The file as a local network, hashed; `None` when it cannot be read.
    fn local(&self, kind: NetworkKind, name: String, path: &std::path::Path) -> Option<LocalNetwork> {
        let hashes = self.hashes.borrow_mut().network_hashes(path, &mut |_, _| {}, &AtomicBool::new(false)).ok()?;
        Some(LocalNetwork { kind, name, hashes })
    }
}

impl NetworkLookup for FolderLookup<'_> {
    fn by_name(&self, kind: NetworkKind, name: &str) -> Option<LocalNetwork> {
        let path = match kind {
            NetworkKind::Lora => self.loras.listed(name)?,
            NetworkKind::Embedding => self.embeddings.path(self.embeddings.resolve_name(name)?)?.to_path_buf(),
        };
        self.local(kind, name.to_string(), &path)
    }

    fn by_hash(&self, kind: NetworkKind, hash: &str) -> Option<LocalNetwork> {
        self.files(kind)
            .into_iter()
            .filter_map(|(name, path)| self.local(kind, name, &path))
            .find(|local| file_matches(&local.hashes, hash))
    }
}
