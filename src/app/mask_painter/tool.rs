//! What a dab does to the mask.

use image::Luma;

/// The mask painter's tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaskTool {
    /// Marks pixels to redraw (whiter, never darker: a soft edge does not eat what is painted).
    #[default]
    Brush,
    /// Unmarks them (darker, never whiter).
    Eraser,
}

impl MaskTool {
    /// Puts the tool down on `pixel`, covered by the dab as much as `coverage` (0–1).
    pub fn apply(self, pixel: &mut Luma<u8>, coverage: f32) {
        let level = (coverage.clamp(0.0, 1.0) * 255.0).round() as u8;
        pixel.0[0] = match self {
            MaskTool::Brush => pixel.0[0].max(level),
            MaskTool::Eraser => pixel.0[0].min(255 - level),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brush_only_whitens_and_the_eraser_only_darkens() {
        let mut pixel = Luma([200]);
        MaskTool::Brush.apply(&mut pixel, 0.5);
        assert_eq!(pixel.0[0], 200, "a soft edge keeps what is painted");
        MaskTool::Brush.apply(&mut pixel, 1.0);
        assert_eq!(pixel.0[0], 255);
        MaskTool::Eraser.apply(&mut pixel, 0.5);
        assert_eq!(pixel.0[0], 127);
        MaskTool::Eraser.apply(&mut pixel, 0.1);
        assert_eq!(pixel.0[0], 127, "a light touch of the eraser does not whiten");
    }
}
