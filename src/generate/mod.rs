//! Generation: a [`Plan`] (settings and file paths) resolved once into a [`Request`] (settings, hints,
//! init image) and its [`Provenance`], then turned into pictures by the loaded [`Models`], with
//! per-step progress, live previews and cancellation.
//!
//! Each image is handed to the [`Observer`] as soon as it is decoded, so it can be written before the
//! next ones start; on a GPU with the memory, several images take their steps together in one UNet
//! batch ([`batching`]).

pub mod batching;
mod conditioning;
mod control_mode;
mod control_step;
mod denoise;
mod error;
mod hires_pass;
mod hold;
mod inpaint_step;
mod models;
mod pipeline;
mod plan;
mod posterior;
mod preview;
mod progress;
mod prompt_check;
mod record;
mod reference_step;
mod request;
pub mod tiled_decode;
mod tiled_upscale;

pub use conditioning::{StepContexts, encode_prompt_schedule, encode_prompts};
pub use error::GenerateError;
pub use models::{LoadError, ModelFiles, Models};
pub use pipeline::{generate, generate_together, rgb_from_planes};
pub use plan::{Plan, ReferencePlan, ResolveError, Resolved, Resolver, UnitPlan};
pub use preview::{RgbPreview, latent_preview};
pub use progress::{FinishedImage, Flow, Observer, Outcome, StepProgress};
pub use prompt_check::{MAX_PROMPT_CHARS, MAX_PROMPT_CHUNKS, WhichPrompt};
pub use record::{Provenance, UnitProvenance, record_for};
pub use request::{
    ControlUnit, HiresPass, HiresUpscale, InitImage, InpaintMask, MAX_CLIP_SKIP, MAX_SIDE, NoiseOverride, ReferenceNoise,
    ReferenceUnit, Request, RequestError, nearest_multiple_of_8, validate_settings,
};
pub use tiled_upscale::{TileLineArt, TileProgress, TiledUpscale};
