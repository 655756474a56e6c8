//! ControlNet conditioning from an illustrator's line art, the way A1111 + sd-webui-controlnet prepare it.
//!
//! [`prepare_hint`] loads the picture ([`load_rgb8`]: PNG, JPEG, WebP, BMP; transparency over contrasting paper),
//! decides whether it is black on white ([`Polarity`]), runs a model-free [`Preprocessor`] (`none`,
//! `invert`, `threshold` as `Binarize`, `lineart_standard`), fits it to the generation size with one of the
//! extension's [`ResizeMode`]s and returns a [`Hint`]: RGB, white lines on black, `[3, H, W]` floats in [0, 1].
//! [`load_rgb8`] is also the loader for img2img init images.

mod declared_size;
mod error;
mod gaussian;
mod hint;
mod image_input;
mod lineart_standard;
mod pipeline;
mod polarity;
mod preprocess;
mod resample;
mod resize;

pub use error::{ControlError, Result};
pub use hint::Hint;
pub use image_input::{MAX_IMAGE_SIDE, check_image_dimensions, flatten_onto_paper, load_rgb8, load_rgba8};
pub use lineart_standard::lineart_standard;
pub use pipeline::{LineArtSettings, LineArtSource, PreparedLineArt, prepare_hint, prepare_line_art};
pub use polarity::detect_polarity;
pub use preprocess::{binarize, invert};
pub use resize::{fit_rgba_nearest, fit_to_size};
