//! What can go wrong with the history: [`HistoryError`] for the library as a whole, [`FileError`] for
//! one image file (imports skip such files and count them; they never stop an import).

use std::io;
use std::path::PathBuf;

use crate::metadata::MetadataError;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot open the history database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error(
        "the history database {path} was written by a newer Nurie (schema version {found}; this Nurie knows \
         up to {supported}); update Nurie, or move the file away to start a new history"
    )]
    NewerSchema { path: PathBuf, found: i64, supported: i64 },

    #[error("the history database {path} is damaged ({reason}) and cannot be moved aside: {source}")]
    MoveAside {
        path: PathBuf,
        reason: String,
        #[source]
        source: io::Error,
    },

    #[error("the history database {path} was replaced because it was damaged, and the new one is damaged too: {reason}")]
    StillDamaged { path: PathBuf, reason: String },

    #[error("history database error: {0}")]
    Database(#[from] rusqlite::Error),

    #[error("cannot write the list of history folders {path}: {reason}")]
    FolderList { path: PathBuf, reason: String },

    #[error("cannot read the folder {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{path}: Nurie's history only keeps paths that are valid UTF-8")]
    NonUtf8Path { path: PathBuf },

    #[error("no image with id {0} in the history")]
    NoSuchImage(i64),

    #[error("the settings stored for image {id} cannot be read: {source}")]
    StoredRecord {
        id: i64,
        #[source]
        source: serde_json::Error,
    },

    #[error("a tag cannot be empty")]
    EmptyTag,

    #[error(transparent)]
    File(#[from] FileError),
}

pub type Result<T, E = HistoryError> = std::result::Result<T, E>;

/// Why one file cannot be indexed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{path} is not a PNG file")]
    NotPng { path: PathBuf },

    #[error("{path} is a damaged PNG: {reason}")]
    BadHeader { path: PathBuf, reason: String },

    #[error("{path} ends before its last chunk (half-written or cut short)")]
    Incomplete { path: PathBuf },

    #[error("{path}: Nurie's history only keeps paths that are valid UTF-8")]
    NonUtf8Path { path: PathBuf },

    #[error(transparent)]
    Metadata(#[from] MetadataError),
}

impl FileError {
    /// The file is gone (deleted behind Nurie's back): not a problem to report, a row to forget.
    pub fn is_missing(&self) -> bool {
        let io_error = match self {
            FileError::Io { source, .. } => source,
            FileError::Metadata(MetadataError::Read { source, .. }) => source,
            _ => return false,
        };
        io_error.kind() == io::ErrorKind::NotFound
    }
}
