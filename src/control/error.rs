//! Everything that can go wrong while turning a user's picture into a ControlNet hint.
//!
//! Every variant about a file names it, so the message shown at the edge of the app tells the user which
//! picture is the problem and what to do about it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("image file not found: {path}")]
    NotFound { path: PathBuf },

    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is not an image Nurie can read ({reason}); use PNG, JPEG, WebP or BMP")]
    UnsupportedFormat { path: PathBuf, reason: String },

    #[error("{path} is damaged or incomplete: {reason}")]
    Corrupt { path: PathBuf, reason: String },

    #[error("{path} has no pixels ({width}x{height})")]
    Empty { path: PathBuf, width: u32, height: u32 },

    #[error("{path} is {width}x{height} px; Nurie reads images up to {max} px on a side")]
    TooLarge { path: PathBuf, width: u32, height: u32, max: u32 },

    #[error("the image is {width}x{height} px; each side must be 1 to {max} px")]
    InvalidImageSize { width: u32, height: u32, max: u32 },

    #[error("the generation size {width}x{height} must be a positive multiple of 8 on each side, at most {max}")]
    InvalidTargetSize { width: u32, height: u32, max: u32 },

    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot encode {path} as PNG: {reason}")]
    Encode { path: PathBuf, reason: String },
}

pub type Result<T, E = ControlError> = std::result::Result<T, E>;
