//! The inpainting mask, painted over the img2img picture. [`MaskPainter`] owns everything it needs
//! (egui demo style): the mask (a grey picture at the picture's size, white where the generation
//! redraws), the picture it is painted on, loaded off the UI thread, the tools, the undo history and its
//! own zoom; it draws its toolbar and canvas, and hands the mask to a job. Brush, strokes and history
//! are the ones the color hints paint with ([`crate::app::paint`]).

mod canvas;
mod painter;
mod source;
mod texts;
mod tool;
mod toolbar;

pub use painter::{BRUSH_SIZES, DEFAULT_BRUSH_SIZE, MAX_SIDE, MaskPainter};
pub use texts::{MASK_EN, MASK_JA, MaskTexts};
pub use tool::MaskTool;
