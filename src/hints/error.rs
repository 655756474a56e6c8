//! Why color hints cannot be used.

use crate::flats::FlatsError;

#[derive(Debug, thiserror::Error)]
pub enum HintsError {
    #[error("the color hints are {hints_width}×{hints_height} but the line art is {line_width}×{line_height}")]
    SizeMismatch { hints_width: u32, hints_height: u32, line_width: u32, line_height: u32 },
    #[error("nothing is painted on the color hints (every pixel is transparent); paint a hint or leave them out")]
    NothingPainted,
    #[error("the line art could not be cut into areas: {0}")]
    Areas(#[from] FlatsError),
}
