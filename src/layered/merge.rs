//! The merged image: the Color layer with the Line art layer multiplied over it, in exact 8-bit
//! integer arithmetic so any reader can check it.
//!
//! A line pixel of color `l` and alpha `a` over a color `c`, Multiply then source-over, gives
//! `c·(1 − a) + c·l·a = c·(255² − 255·a + l·a) / 255²` (values in 0..=255). It is rounded to the nearest
//! integer, halves up: `(c·(65025 − 255·a + l·a) + 32512) / 65025`. For black lines (`l = 0`) that is
//! exactly `round(c·(255 − a) / 255)`. Layers above the color other than the lines (Flats, Hints) are
//! hidden, so they take no part.
//!
//! Where the background is transparent there is no color under the line, and Multiply over nothing is
//! the line itself (W3C compositing: `Cs' = (1 − αb)·Cs + αb·B(Cb, Cs)` with `αb = 0`): the merged
//! pixel is the line layer's pixel, its alpha the line's darkness.

use image::{GrayImage, RgbImage, Rgba, RgbaImage};

/// 255², the scale of a product of two 8-bit fractions.
const FULL: u32 = 255 * 255;

/// `color` with `lines` multiplied over it (all the same size): opaque, but for the lines alone where
/// `background` (255 = transparent) is set.
pub fn multiply_lines(color: &RgbImage, lines: &RgbaImage, background: Option<&GrayImage>) -> RgbaImage {
    RgbaImage::from_fn(color.width(), color.height(), |x, y| {
        let line = lines.get_pixel(x, y).0;
        if background.is_some_and(|mask| mask.get_pixel(x, y).0[0] == 255) {
            return Rgba(line);
        }
        let c = color.get_pixel(x, y).0;
        let a = u32::from(line[3]);
        let channel = |i: usize| multiply_channel(u32::from(c[i]), u32::from(line[i]), a);
        Rgba([channel(0), channel(1), channel(2), 255])
    })
}

/// One channel of the formula in the module doc.
pub fn multiply_channel(color: u32, line: u32, alpha: u32) -> u8 {
    let factor = FULL - 255 * alpha + line * alpha;
    ((color * factor + FULL / 2) / FULL) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_lines_scale_the_color_by_the_paper_left() {
        assert_eq!(multiply_channel(200, 0, 0), 200);
        assert_eq!(multiply_channel(200, 0, 255), 0);
        assert_eq!(multiply_channel(200, 0, 128), 100); // 200 · 127 / 255 = 99.6
    }

    #[test]
    fn over_a_transparent_background_the_lines_stand_alone() {
        let color = RgbImage::from_pixel(2, 1, image::Rgb([200, 100, 50]));
        let lines = RgbaImage::from_pixel(2, 1, Rgba([0, 0, 0, 128]));
        let background = GrayImage::from_raw(2, 1, vec![255, 0]).unwrap();
        let merged = multiply_lines(&color, &lines, Some(&background));
        assert_eq!(merged.as_raw(), &vec![0, 0, 0, 128, 100, 50, 25, 255]);
    }

    #[test]
    fn a_white_line_changes_nothing() {
        for c in [0, 1, 128, 255] {
            assert_eq!(u32::from(multiply_channel(c, 255, 200)), c);
        }
    }
}
