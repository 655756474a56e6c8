//! What a press on the line art does.

/// The hint layer's tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tool {
    /// Paints the current color.
    #[default]
    Brush,
    /// Makes the hints transparent again: no hint there.
    Eraser,
    /// Takes the color under the pointer from the result, then goes back to the brush.
    Eyedropper,
}
