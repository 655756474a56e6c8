//! The names of a generation's choices, declared once: each enum with its short id (command line,
//! settings files), the label A1111 and sd-webui-controlnet show and write, and the other spellings
//! they accept. Sampling, control, generation, the metadata and the window all use these types; this
//! module imports nothing else of Nurie's.

mod choice;
mod control_mode;
mod inpaint;
mod polarity;
mod preprocessor;
mod reference_mode;
mod resize_mode;
mod rng_source;
mod sampler;

pub use choice::{Choice, UnknownChoice};
pub use control_mode::ControlMode;
pub use inpaint::{InpaintArea, MaskedContent};
pub use polarity::Polarity;
pub use preprocessor::Preprocessor;
pub use reference_mode::ReferenceMode;
pub use resize_mode::ResizeMode;
pub use rng_source::RngSource;
pub use sampler::{RecordedSampler, SamplerKind};
