//! The networks of Stable Diffusion 1.x in burn, loaded by structure from single-file checkpoints.

pub mod attention_heads;
pub mod clip;
pub mod controlnet;
pub mod layers;
pub mod merge;
pub mod profile;
pub mod unet;
pub mod vae;
pub mod weights;

pub use clip::{ClipSkip, ClipTextEncoder, EncodeError};
pub use controlnet::{ControlInputError, ControlNet};
pub use unet::{ControlResiduals, ReferenceBank, ReferenceEffect, ReferencePass, Unet, UnetInputError};
pub use vae::{Posterior, Vae, VaeInputError};
