//! Why a mask cannot be used.

use std::path::PathBuf;

use crate::control::ControlError;
use crate::upscale::UpscaleError;

#[derive(Debug, thiserror::Error)]
pub enum InpaintError {
    #[error("the mask {path}: {source}")]
    MaskFile { path: PathBuf, source: ControlError },
    #[error(
        "the mask {path} marks nothing to redraw (it is black, or transparent nowhere): paint the part to redraw \
         white, or leave out --mask for a plain img2img"
    )]
    EmptyMask { path: PathBuf },
    #[error("resizing for inpainting: {0}")]
    Resize(#[from] UpscaleError),
}
