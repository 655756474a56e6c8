//! Why a generation stopped.

use crate::model::{ControlInputError, EncodeError, UnetInputError, VaeInputError};
use crate::prompt::tokenizer::TokenizerError;
use crate::sampling::SamplerError;

use super::request::RequestError;

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Sampler(#[from] SamplerError),
    #[error("the tokenizer: {0}")]
    Tokenizer(#[from] TokenizerError),
    #[error("encoding the prompt: {0}")]
    Encode(#[from] EncodeError),
    #[error("the UNet: {0}")]
    Unet(#[from] UnetInputError),
    #[error("the ControlNet: {0}")]
    Control(#[from] ControlInputError),
    #[error("the VAE: {0}")]
    Vae(#[from] VaeInputError),
    /// The device failed to run or return a result (out of memory, lost device).
    #[error("the device failed while {during}: {message}")]
    Device { during: &'static str, message: String },
    #[error(
        "the latents became NaN or infinite at step {step}: the model or the settings overflow in this precision (try --dtype f32)"
    )]
    NonFinite { step: usize },
    /// Saving a finished image failed; the images saved before it are kept.
    #[error("saving image {index}: {message}")]
    Output { index: usize, message: String },
}
