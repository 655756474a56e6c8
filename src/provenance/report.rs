//! Everything Nurie can say about one model file without references: identity, architecture summary,
//! the registry's entry, and the license that follows from them (the registry's word first, then what
//! the file declares about itself, else nothing).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::checkpoint::Checkpoint;

use super::hash::{FileIdentity, HashError};
use super::hash_cache::HashCache;
use super::registry::{CommercialUse, KnownModel, MatchedBy, Registry};
use super::summary::ArchitectureSummary;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Checkpoint(#[from] crate::checkpoint::CheckpointError),
}

/// Where the license shown comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenseSource {
    /// The known-models registry, by the file's hash.
    Registry,
    /// The file's own header; anyone can write anything there.
    FileMetadata,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct License {
    pub name: String,
    pub commercial_use: CommercialUse,
    pub from: LicenseSource,
}

/// The license: the registry's entry's, else the file's own claim (whose commercial terms Nurie does
/// not interpret), else `None`.
pub fn license_from(known: Option<&KnownModel>, declared: Option<&str>) -> Option<License> {
    if let Some(entry) = known {
        return Some(License {
            name: entry.license.clone(),
            commercial_use: entry.commercial_use,
            from: LicenseSource::Registry,
        });
    }
    let declared = declared.filter(|text| !text.trim().is_empty())?;
    Some(License { name: declared.to_string(), commercial_use: CommercialUse::Unknown, from: LicenseSource::FileMetadata })
}

/// The license of the model file at `path` whose identity is known: the registry by hash, else the
/// file's header (read, not the tensors).
pub fn license_of(path: &Path, identity: &FileIdentity, registry: &Registry) -> Option<License> {
    let known = registry.lookup(identity).map(|(entry, _)| entry);
    if known.is_some() {
        return license_from(known, None);
    }
    let checkpoint = Checkpoint::open(path).ok()?;
    license_from(None, ArchitectureSummary::of(&checkpoint).declared.license.as_deref())
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelReport {
    pub path: PathBuf,
    pub size: u64,
    pub identity: FileIdentity,
    pub summary: ArchitectureSummary,
    pub known: Option<(KnownModel, MatchedBy)>,
}

impl ModelReport {
    /// Hashes (through `hashes`, with `progress`) and reads the header of `path`.
    pub fn build(
        path: &Path,
        hashes: &mut HashCache,
        registry: &Registry,
        progress: &mut dyn FnMut(u64, u64),
        cancel: &AtomicBool,
    ) -> Result<ModelReport, ReportError> {
        let checkpoint = Checkpoint::open(path)?;
        let summary = ArchitectureSummary::of(&checkpoint);
        drop(checkpoint);
        let identity = hashes.identity(path, progress, cancel)?;
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let known = registry.lookup(&identity).map(|(entry, matched)| (entry.clone(), matched));
        Ok(ModelReport { path: path.to_path_buf(), size, identity, summary, known })
    }

    /// The license as far as it is known (see [`license_from`]).
    pub fn license(&self) -> Option<License> {
        license_from(self.known.as_ref().map(|(entry, _)| entry), self.summary.declared.license.as_deref())
    }

    pub fn commercial_use(&self) -> CommercialUse {
        self.license().map_or(CommercialUse::Unknown, |license| license.commercial_use)
    }
}
