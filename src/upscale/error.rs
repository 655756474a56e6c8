//! Everything that can go wrong while upscaling, each naming the file or setting involved.

use std::path::PathBuf;

use crate::checkpoint::CheckpointError;

#[derive(Debug, thiserror::Error)]
pub enum UpscaleError {
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),

    #[error(
        "{path} is not an ESRGAN-family upscaler ({reason}). Nurie runs RRDBNet upscalers as A1111 keeps \
         them in models/ESRGAN and models/RealESRGAN and ComfyUI in models/upscale_models (4x-AnimeSharp, \
         RealESRGAN_x4plus_anime_6B, 4x-UltraSharp, …)"
    )]
    NotAnUpscaler { path: PathBuf, reason: String },

    #[error("{path} is {what}, which Nurie does not run yet; choose an RRDBNet (ESRGAN or Real-ESRGAN) upscaler")]
    UnsupportedArchitecture { path: PathBuf, what: String },

    #[error(
        "no upscaler is called {name:?}: use Lanczos, Nearest or None, a model file's path, or the name of a file \
         in the upscaler folders (A1111's models/ESRGAN and models/RealESRGAN, ComfyUI's models/upscale_models, \
         --upscaler-dir): {known}"
    )]
    UnknownUpscaler { name: String, known: String },

    #[error("the upscale factor {0} is not a number between 1 and 16")]
    BadScale(f64),

    #[error("the tile overlap ({overlap} px) must be smaller than the tile ({tile} px)")]
    BadTile { tile: u32, overlap: u32 },

    #[error("the picture would be {width}×{height} pixels, over the {max} px a side Nurie writes")]
    TooLarge { width: u64, height: u64, max: u64 },

    #[error("the upscaler network failed on the device: {message}")]
    Device { message: String },

    #[error("resizing the picture failed: {0}")]
    Resize(String),

    #[error("the upscale was cancelled")]
    Cancelled,
}
