//! The "Line art" layer: the artist's own drawing at the picture's size, lines opaque and paper
//! transparent, for a Multiply blend over the colors.
//!
//! Alpha is the drawing's darkness: `255 − luma` for dark lines on light paper, `luma` for light lines
//! on dark paper (the drawing is read inverted), luma being ITU-R BT.601 as PIL and
//! [`crate::control`] compute it. The color is black, so Multiply darkens the colors under a line by
//! exactly the line's darkness: a gray pixel of the drawing comes back as itself over white paper. The
//! only change to the drawing is the resize to the picture's size, with the same resize mode and resampler
//! the ControlNet hint used ([`crate::control::fit_to_size`]), so the lines sit where the model saw them.

use image::{RgbImage, Rgba, RgbaImage};

use crate::control::fit_to_size;
use crate::vocabulary::ResizeMode;

/// The drawing fitted to `width` x `height` as its ControlNet hint was.
pub fn drawing_at_size(drawing: &RgbImage, mode: ResizeMode, width: u32, height: u32) -> RgbImage {
    fit_to_size(drawing, mode, width, height)
}

/// Black lines whose alpha is the drawing's darkness (see the module doc).
pub fn line_layer(drawing_at_size: &RgbImage, black_on_white: bool) -> RgbaImage {
    RgbaImage::from_fn(drawing_at_size.width(), drawing_at_size.height(), |x, y| {
        Rgba([0, 0, 0, darkness(drawing_at_size.get_pixel(x, y).0, black_on_white)])
    })
}

/// How much ink a pixel holds: 0 for paper, 255 for a full line.
pub fn darkness(pixel: [u8; 3], black_on_white: bool) -> u8 {
    let luma = luma(pixel);
    if black_on_white { 255 - luma } else { luma }
}

/// ITU-R BT.601 luma rounded as PIL's "L" conversion (the same as [`crate::control`]'s polarity test).
fn luma([r, g, b]: [u8; 3]) -> u8 {
    let weighted = 299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b);
    ((weighted + 500) / 1000) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_is_transparent_and_ink_opaque_either_way_round() {
        assert_eq!(darkness([255, 255, 255], true), 0);
        assert_eq!(darkness([0, 0, 0], true), 255);
        assert_eq!(darkness([100, 100, 100], true), 155);
        assert_eq!(darkness([0, 0, 0], false), 0);
        assert_eq!(darkness([255, 255, 255], false), 255);
    }

    #[test]
    fn the_layer_is_black_with_the_darkness_as_alpha() {
        let art = RgbImage::from_fn(3, 1, |x, _| image::Rgb([[255, 128, 0][x as usize]; 3]));
        let layer = line_layer(&art, true);
        assert_eq!(layer.as_raw(), &vec![0, 0, 0, 0, 0, 0, 0, 127, 0, 0, 0, 255]);
    }
}
