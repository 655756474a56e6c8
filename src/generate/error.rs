//! Why a generation stopped.

use crate::model::{ControlInputError, EncodeError, UnetInputError, VaeInputError};
use crate::networks::embedding::EmbeddingError;
use crate::prompt::editing::ScheduleError;
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
    #[error("a textual-inversion embedding of the prompt: {0}")]
    Embedding(#[from] EmbeddingError),
    #[error("the prompt's editing: {0}")]
    Schedule(#[from] ScheduleError),
    /// A prompt schedule always has an entry; this would be a bug in the scheduler.
    #[error("the prompt schedule came out empty")]
    EmptySchedule,
    #[error("the UNet: {0}")]
    Unet(#[from] UnetInputError),
    #[error("the ControlNet: {0}")]
    Control(#[from] ControlInputError),
    #[error("the VAE: {0}")]
    Vae(#[from] VaeInputError),
    #[error("hires fix's upscaler: {0}")]
    Upscale(#[from] crate::upscale::UpscaleError),
    #[error("{0}")]
    Inpaint(#[from] crate::inpaint::InpaintError),
    /// The device failed to run or return a result (out of memory, lost device).
    #[error("the device failed while {during}: {message}")]
    Device { during: &'static str, message: String },
    #[error("the latents became NaN or infinite at step {step}: {}", non_finite_cause(*half_precision))]
    NonFinite { step: usize, half_precision: bool },
    /// Saving a finished image failed; the images saved before it are kept.
    #[error("saving image {index}: {message}")]
    Output { index: usize, message: String },
}

/// What makes a run overflow, by precision. Prompt weights beyond a float are refused before the run,
/// and loaded weights are checked to be finite, so in f32 only very large (finite) weights remain.
fn non_finite_cause(half_precision: bool) -> &'static str {
    if half_precision {
        "a value overflowed half precision (f16 holds at most 65,504): run in f32 precision (--dtype f32)"
    } else {
        "in f32, so the model's weights or a prompt's emphasis are too large for the arithmetic: lower the \
                  emphasis weights, or check the model (`nurie inspect`; a broken merge?)"
    }
}
