//! Everything that can go wrong while reading a user's model file.
//!
//! Every variant names the file, and the tensor key where one is involved, so that the message shown
//! at the edge of the app tells the user exactly which file is broken and how.

use std::path::PathBuf;

use super::pickle::PickleError;

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("model file not found: {path}")]
    NotFound { path: PathBuf },

    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is a folder, not a model file: choose the .safetensors or .ckpt file inside it")]
    Folder { path: PathBuf },

    #[error(
        "{path} changed while Nurie was reading it (another program replaced or truncated it): wait until \
         the copy or download has finished, then load it again"
    )]
    ChangedWhileReading { path: PathBuf },

    #[error("{path} is not a model file Nurie can read: {reason}")]
    UnsupportedFormat { path: PathBuf, reason: String },

    #[error("{path} has a corrupt header: {reason}")]
    CorruptHeader { path: PathBuf, reason: String },

    #[error("{path} is truncated (incomplete download?): {reason}")]
    Truncated { path: PathBuf, reason: String },

    #[error("{path}: tensor `{key}` points at bytes {start}..{end}, outside its data ({available} bytes)")]
    OutOfBounds { path: PathBuf, key: String, start: usize, end: usize, available: usize },

    #[error("{path}: tensor `{key}` has element type {dtype}, which Nurie does not read")]
    UnsupportedDtype { path: PathBuf, key: String, dtype: String },

    #[error("{path}: tensor `{key}` is missing")]
    MissingKey { path: PathBuf, key: String },

    #[error("{path} is {found}; Nurie runs SD1.x-family models (SD 1.4/1.5, their fine-tunes and merges)")]
    WrongFamily { path: PathBuf, found: &'static str },

    #[error("{path} is {found}, not a ControlNet: choose a ControlNet model here (e.g. control_v11p_sd15_lineart)")]
    NotAControlNet { path: PathBuf, found: &'static str },

    #[error("{path}: tensor `{key}` holds {count} NaN or infinite values (a broken merge or download?)")]
    NonFinite { path: PathBuf, key: String, count: usize },

    #[error("{path} has no {component} (looked for `{key}`){hint}")]
    MissingComponent { path: PathBuf, component: &'static str, key: String, hint: &'static str },

    #[error("{path}: tensor `{key}` has shape {found:?}, expected {expected}")]
    WrongShape { path: PathBuf, key: String, expected: String, found: Vec<usize> },

    #[error("{path}: {source}")]
    Pickle {
        path: PathBuf,
        #[source]
        source: PickleError,
    },
}

pub type Result<T, E = CheckpointError> = std::result::Result<T, E>;
