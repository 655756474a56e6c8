//! Color hints: dabs of color the artist paints over the line art to say which color goes where (as in
//! PaintsChainer and Style2Paints), instead of wording it in an English prompt.
//!
//! How the hints steer a generation:
//! 1. [`spread_hints`] cuts the line art into the areas its lines enclose (the trapped-ball fill of
//!    [`crate::flats`], small gaps closed) and fills every area a hint touches with that hint's color,
//!    the lines multiplied over it: the [`ColorGuide`]. A stroke that slips a few pixels over a line
//!    does not color the area beyond it ([`hinted_enough`]).
//! 2. The generation runs from pure noise as txt2img does, but during the first steps (the "hint
//!    strength" fraction of them) the hinted areas are held to the guide noised to each step's level,
//!    as diffusers' inpainting holds the unmasked part (`crate::generate`'s `hold`). The early steps
//!    decide an area's colors, so the hinted areas come out in the hint colors; the later, free steps
//!    let the model shade them and blend their edges, and the unhinted areas follow the prompt
//!    throughout. A plain img2img of the guide would also pull every unhinted area toward the paper.
//! 3. The line ControlNet keeps the lines where they are in both.

mod error;
mod guide;
mod spread;

pub use error::HintsError;
pub use guide::ColorGuide;
pub use spread::{hinted_enough, spread_hints};

#[cfg(test)]
mod tests;
