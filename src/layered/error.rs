//! What can go wrong writing or building a layered file, naming the file concerned.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LayeredError {
    #[error("{path}: a PSD page is at most {max} px a side; this picture is {width}×{height}")]
    TooLargeForPsd { path: PathBuf, width: u32, height: u32, max: u32 },
    #[error("{path}: the layers do not fit a PSD file's 4 GiB sections")]
    PsdSectionTooLong { path: PathBuf },
    #[error("{path}: layer \"{layer}\" ({got_w}×{got_h} where it is placed) does not fit in the {width}×{height} picture")]
    LayerSize { path: PathBuf, layer: String, got_w: u32, got_h: u32, width: u32, height: u32 },
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error("{picture}: {message}")]
    Picture { picture: PathBuf, message: String },
    #[error("{picture} has no line art recorded in its metadata (it was not made from a drawing with Nurie)")]
    NoLineArt { picture: PathBuf },
    #[error("{picture} was made from line art {sha256}, but Nurie no longer keeps that file in {folder}")]
    LineArtGone { picture: PathBuf, sha256: String, folder: PathBuf },
    #[error("cannot make the flats: {0}")]
    Flats(String),
    #[error("cannot read the line art {path}: {message}")]
    LineArt { path: PathBuf, message: String },
}

pub type Result<T> = std::result::Result<T, LayeredError>;
