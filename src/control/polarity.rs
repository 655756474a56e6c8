//! Which way round the line art is: dark lines on a light background (how artists draw and export it) or
//! light lines on a dark background (what ControlNet line-art models were trained on).
//!
//! Automatic detection looks at the picture's **border ring** (the outer 5% of the short side, at least one
//! pixel) and takes the median luminance there: a light border means a light background. The background is
//! what reaches the edges of a drawing, while thick dark fills (hair, clothes, shadows) sit inside the figure,
//! so they do not sway the decision the way they would sway a whole-picture mean or median. Using the median
//! of a ring rather than the outermost row also ignores a thin frame line drawn around the picture. A picture
//! whose dark fills cover more than half of its border is misread; `Polarity::BlackOnWhite` or
//! `Polarity::WhiteOnBlack` overrides the guess.

use image::RgbImage;

use crate::vocabulary::Polarity;

/// Border luminance at or above this is a light background.
const LIGHT_BACKGROUND_MIN_LUMA: u8 = 128;

/// Thickness of the border ring, as a fraction of the short side.
const BORDER_RING_FRACTION: f64 = 0.05;

impl Polarity {
    /// Resolves `Auto` for this picture; the manual settings are returned as they are.
    pub fn resolve(self, art: &RgbImage) -> Polarity {
        match self {
            Polarity::Auto => detect_polarity(art),
            manual => manual,
        }
    }

    /// Whether this picture, read with this setting, has dark lines on a light background.
    pub fn is_black_on_white(self, art: &RgbImage) -> bool {
        self.resolve(art) == Polarity::BlackOnWhite
    }
}

/// `BlackOnWhite` when the median luminance of the border ring is light, `WhiteOnBlack` otherwise.
pub fn detect_polarity(art: &RgbImage) -> Polarity {
    if border_median_luma(art) >= LIGHT_BACKGROUND_MIN_LUMA { Polarity::BlackOnWhite } else { Polarity::WhiteOnBlack }
}

fn border_median_luma(art: &RgbImage) -> u8 {
    let (width, height) = art.dimensions();
    let ring = border_ring_thickness(width, height);
    let mut histogram = [0u64; 256];
    for (x, y, pixel) in art.enumerate_pixels() {
        let in_ring = x < ring || y < ring || x >= width.saturating_sub(ring) || y >= height.saturating_sub(ring);
        if in_ring {
            histogram[usize::from(luma(pixel.0))] += 1;
        }
    }
    lower_median(&histogram)
}

fn border_ring_thickness(width: u32, height: u32) -> u32 {
    let short_side = f64::from(width.min(height));
    ((short_side * BORDER_RING_FRACTION).round() as u32).max(1)
}

/// ITU-R BT.601 luma, as PIL's "L" mode computes it.
fn luma([r, g, b]: [u8; 3]) -> u8 {
    let weighted = 299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b);
    ((weighted + 500) / 1000) as u8
}

/// The value at rank (n-1)/2 of the counted values (0 for an empty histogram).
fn lower_median(histogram: &[u64; 256]) -> u8 {
    let total: u64 = histogram.iter().sum();
    if total == 0 {
        return 0;
    }
    let rank = (total - 1) / 2;
    let mut seen = 0;
    for (value, &count) in histogram.iter().enumerate() {
        seen += count;
        if seen > rank {
            return value as u8;
        }
    }
    255
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
    const BLACK: Rgb<u8> = Rgb([0, 0, 0]);

    fn canvas(width: u32, height: u32, background: Rgb<u8>) -> RgbImage {
        RgbImage::from_pixel(width, height, background)
    }

    fn draw_rect(image: &mut RgbImage, x0: u32, y0: u32, x1: u32, y1: u32, color: Rgb<u8>) {
        for y in y0..y1 {
            for x in x0..x1 {
                image.put_pixel(x, y, color);
            }
        }
    }

    #[test]
    fn black_lines_on_white_are_detected() {
        let mut art = canvas(100, 80, WHITE);
        draw_rect(&mut art, 10, 40, 90, 42, BLACK);
        draw_rect(&mut art, 50, 5, 52, 75, BLACK);
        assert_eq!(detect_polarity(&art), Polarity::BlackOnWhite);
    }

    #[test]
    fn white_lines_on_black_are_detected() {
        let mut art = canvas(100, 80, BLACK);
        draw_rect(&mut art, 10, 40, 90, 42, WHITE);
        assert_eq!(detect_polarity(&art), Polarity::WhiteOnBlack);
    }

    #[test]
    fn a_thick_dark_fill_inside_the_figure_does_not_flip_the_decision() {
        // 70% of the picture is a dark fill, so the whole-picture median is black; the border is still paper.
        let mut art = canvas(100, 100, WHITE);
        draw_rect(&mut art, 8, 8, 92, 92, Rgb([20, 10, 10]));
        let mut all = [0u64; 256];
        art.pixels().for_each(|p| all[usize::from(luma(p.0))] += 1);
        assert!(lower_median(&all) < 128, "the test picture must fool a whole-picture median");
        assert_eq!(detect_polarity(&art), Polarity::BlackOnWhite);
    }

    #[test]
    fn a_thin_frame_line_around_the_picture_does_not_flip_the_decision() {
        let mut art = canvas(200, 120, WHITE);
        draw_rect(&mut art, 0, 0, 200, 2, BLACK);
        draw_rect(&mut art, 0, 118, 200, 120, BLACK);
        draw_rect(&mut art, 0, 0, 2, 120, BLACK);
        draw_rect(&mut art, 198, 0, 200, 120, BLACK);
        assert_eq!(border_ring_thickness(200, 120), 6);
        assert_eq!(detect_polarity(&art), Polarity::BlackOnWhite);
    }

    #[test]
    fn a_border_mostly_covered_by_fills_reads_as_dark() {
        let mut art = canvas(100, 100, WHITE);
        draw_rect(&mut art, 0, 0, 100, 70, BLACK);
        assert_eq!(detect_polarity(&art), Polarity::WhiteOnBlack);
        assert!(Polarity::BlackOnWhite.is_black_on_white(&art), "a manual setting overrides the guess");
    }

    #[test]
    fn manual_settings_are_kept_and_auto_is_resolved() {
        let white = canvas(16, 16, WHITE);
        let black = canvas(16, 16, BLACK);
        assert_eq!(Polarity::WhiteOnBlack.resolve(&white), Polarity::WhiteOnBlack);
        assert_eq!(Polarity::BlackOnWhite.resolve(&black), Polarity::BlackOnWhite);
        assert_eq!(Polarity::Auto.resolve(&white), Polarity::BlackOnWhite);
        assert_eq!(Polarity::Auto.resolve(&black), Polarity::WhiteOnBlack);
        assert!(!Polarity::WhiteOnBlack.is_black_on_white(&white));
    }

    #[test]
    fn luma_uses_bt601_weights_and_a_one_pixel_image_works() {
        assert_eq!(luma([255, 0, 0]), 76);
        assert_eq!(luma([0, 255, 0]), 150);
        assert_eq!(luma([0, 0, 255]), 29);
        assert_eq!(luma([128, 128, 128]), 128);
        assert_eq!(detect_polarity(&canvas(1, 1, Rgb([128, 128, 128]))), Polarity::BlackOnWhite);
        assert_eq!(detect_polarity(&canvas(1, 1, Rgb([127, 127, 127]))), Polarity::WhiteOnBlack);
    }
}
