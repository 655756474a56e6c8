//! What can go wrong while making flats: only pictures that do not fit together.

/// Why [`crate::flats::make_flats`] could not segment a drawing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlatsError {
    #[error(
        "the line art is {line_width}x{line_height} px but the colored picture is {color_width}x{color_height} px; resize the line art to the picture first"
    )]
    SizeMismatch { line_width: u32, line_height: u32, color_width: u32, color_height: u32 },

    #[error("the picture has no pixels ({width}x{height})")]
    Empty { width: u32, height: u32 },
}
