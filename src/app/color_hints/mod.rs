//! Color hints: colors painted over the line art that steer the generation's colors. [`HintLayer`]
//! owns the picture of hints (RGBA at the generation size, transparent where there is no hint), the
//! tools, the palette and the undo history, and draws its own toggle, toolbar and overlay; the
//! line-art panel places them.

mod canvas;
mod eyedropper;
mod layer;
mod palette;
mod texts;
mod tool;
mod toolbar;

pub use layer::{BRUSH_SIZES, DEFAULT_BRUSH_SIZE, HintLayer};
pub use palette::{SWATCHES, hex};
pub use texts::{HINTS_EN, HINTS_JA, HintTexts};
pub use tool::Tool;
