//! What can go wrong with the history: [`HistoryError`] for the library as a whole, [`FileError`] for
//! one image file (imports skip such files and count them; they never stop an import).
//!
//! SQLite's own errors are never shown raw: a read-only or full disk becomes [`HistoryError::ReadOnly`]
//! or [`HistoryError::DiskFull`] naming the file (see [`storage_error`]), and the SQL text rusqlite
//! attaches to a failed statement (the whole schema, for a failed migration) is left out of every
//! message. No variant keeps a rusqlite error as its `source` (`Open`, `Database`): the message already
//! says it all, so an error printer that walks the chain cannot print the cause twice or dump SQL.

use std::io;
use std::path::{Path, PathBuf};

use crate::metadata::MetadataError;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot open the history database {path}: {}", brief(error))]
    Open { path: PathBuf, error: rusqlite::Error },

    #[error(
        "{path} is read-only: {detail}; make it and its folder writable, or set NURIE_HOME to a folder Nurie \
         may write in (the pictures themselves are safe)"
    )]
    ReadOnly { path: PathBuf, detail: String },

    #[error(
        "the disk holding {path} is full: free space and try again (the pictures already saved are safe, and \
         `nurie history rebuild` indexes any the history missed)"
    )]
    DiskFull { path: PathBuf },

    #[error(
        "the history database {path} was written by a newer Nurie (schema version {found}; this Nurie knows \
         up to {supported}); update Nurie, or move the file away to start a new history"
    )]
    NewerSchema { path: PathBuf, found: i64, supported: i64 },

    #[error("the history database {path} cannot be used ({reason}) and cannot be moved aside: {source}")]
    MoveAside {
        path: PathBuf,
        reason: String,
        #[source]
        source: io::Error,
    },

    #[error("the history database {path} was replaced because it was damaged, and the new one is damaged too: {reason}")]
    StillDamaged { path: PathBuf, reason: String },

    #[error("history database error: {}", brief(.0))]
    Database(rusqlite::Error),

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

/// Not `#[from]`: that would make the rusqlite error the message's `source` (see the module doc).
impl From<rusqlite::Error> for HistoryError {
    fn from(error: rusqlite::Error) -> Self {
        HistoryError::Database(error)
    }
}

impl HistoryError {
    /// Another connection held the database longer than the busy handler waits (worth trying again).
    pub fn is_busy(&self) -> bool {
        let error = match self {
            HistoryError::Database(error) | HistoryError::Open { error, .. } => error,
            _ => return false,
        };
        matches!(error.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
    }

    /// `self`, with a database error that comes from the disk (read-only, full) told as such for the
    /// database at `path`.
    pub(super) fn at(self, path: &Path) -> HistoryError {
        match self {
            HistoryError::Database(error) => storage_error(path, error).unwrap_or_else(HistoryError::Database),
            HistoryError::Open { path: opened, error } => {
                storage_error(path, error).unwrap_or_else(|error| HistoryError::Open { path: opened, error })
            }
            other => other,
        }
    }
}

/// What SQLite's `error` means for the database at `path` when the disk refused a write:
/// [`HistoryError::ReadOnly`] or [`HistoryError::DiskFull`]; any other error is given back.
///
/// SQLite says "unable to open database file" (`SQLITE_CANTOPEN`) or "disk I/O error" without the
/// operating system's reason, so for those the database's folder is tried with a small file of our own
/// to learn it (read-only file system, no permission, disk full).
pub(super) fn storage_error(path: &Path, error: rusqlite::Error) -> std::result::Result<HistoryError, rusqlite::Error> {
    use rusqlite::ErrorCode;
    match error.sqlite_error_code() {
        Some(ErrorCode::ReadOnly) => Ok(HistoryError::ReadOnly { path: path.to_path_buf(), detail: brief(&error) }),
        Some(ErrorCode::DiskFull) => Ok(HistoryError::DiskFull { path: path.to_path_buf() }),
        Some(ErrorCode::CannotOpen | ErrorCode::SystemIoFailure) => {
            let folder = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
            probe_folder(folder).and_then(|probe| io_storage_error(path, folder, &probe)).ok_or(error)
        }
        _ => Err(error),
    }
}

/// [`HistoryError::ReadOnly`] or [`HistoryError::DiskFull`] for `path` when `error` (met while writing
/// in `folder`) is the disk refusing the write; `None` for other errors.
pub(super) fn io_storage_error(path: &Path, folder: &Path, error: &io::Error) -> Option<HistoryError> {
    let path = path.to_path_buf();
    match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Some(HistoryError::DiskFull { path }),
        io::ErrorKind::ReadOnlyFilesystem => {
            Some(HistoryError::ReadOnly { path, detail: format!("{} is on a read-only file system", folder.display()) })
        }
        io::ErrorKind::PermissionDenied => {
            Some(HistoryError::ReadOnly { path, detail: format!("no permission to write in {}", folder.display()) })
        }
        _ => None,
    }
}

/// Why a new file cannot be written in `folder` (`None`: it can, or the folder is not there).
fn probe_folder(folder: &Path) -> Option<io::Error> {
    let probe = folder.join(format!(".nurie-write-check-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|mut file| io::Write::write_all(&mut file, b"x").and_then(|()| file.sync_all()));
    if written.is_ok() || probe.exists() {
        // Best effort: a leftover file of ours is harmless, and the error at hand is what matters.
        let _ = std::fs::remove_file(&probe);
    }
    written.err()
}

/// rusqlite's message without the SQL text it adds for a statement that failed to prepare (for a
/// migration step, the whole schema).
fn brief(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

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
