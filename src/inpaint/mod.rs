//! Inpainting's picture work, as A1111's img2img "Inpaint" tab does it (`modules/processing.py`,
//! `modules/masking.py`): the mask read from a file, blurred, the part to redraw cut out and enlarged
//! ("Only masked"), the masked part filled, the latent masks the sampler blends with and an inpainting
//! checkpoint is conditioned on, and the original pixels pasted back over the result. The sampling
//! itself is in `generate`.

mod blur;
mod color_correction;
mod error;
mod fill;
mod latent_mask;
mod mask;
mod overlay;
mod pillow;
mod prepare;
mod region;

pub use blur::blur_mask;
pub use color_correction::correct_colors;
pub use error::InpaintError;
pub use fill::fill_masked;
pub use latent_mask::{conditioning_mask, latent_blend_mask, masked_planes};
pub use mask::{invert, load_mask, mask_from_rgba};
pub use overlay::Overlay;
pub use prepare::{PreparedInpaint, prepare_inpaint};
pub use region::{CropRegion, crop_and_resize, resize_and_fill};
