//! 色トレス (color trace): the lines take the colors beside them, darkened, the way illustrators
//! recolor their line art so it melts into the painting.
//!
//! A line pixel's new color is the mean of the Color layer over the 9×9 pixels around it, each weighted
//! by how much paper it is (`255 − alpha` of the line layer), so the colors of the areas beside the line
//! count and the model's own rendering of the line does not; a pixel deep inside a line thicker than
//! 9 px, with no paper in reach, takes the Color layer's own pixel. The mean is then darkened to
//! [`DARKEN_NUMERATOR`]/[`DARKEN_DENOMINATOR`] (one half) of its value, rounded half up: dark enough to
//! read as a line on its own color. Alpha, the line pixels' darkness, is never changed.

use image::{RgbImage, RgbaImage};

/// How far (px) the colors beside a line are looked for.
const RADIUS: i64 = 4;
/// The traced color is the colors beside the line times this fraction.
pub const DARKEN_NUMERATOR: u64 = 1;
pub const DARKEN_DENOMINATOR: u64 = 2;

/// Recolors the line pixels (alpha > 0) of `lines` from `color`, which has the same size.
pub fn trace_colors(lines: &mut RgbaImage, color: &RgbImage) {
    let alpha: Vec<u8> = lines.pixels().map(|p| p.0[3]).collect();
    let width = lines.width();
    for (x, y, pixel) in lines.enumerate_pixels_mut() {
        if pixel.0[3] == 0 {
            continue;
        }
        let beside = colors_beside(color, &alpha, width, (x, y));
        let [r, g, b] = beside.map(darken);
        pixel.0 = [r, g, b, pixel.0[3]];
    }
}

/// The paper-weighted mean color around `(x, y)`, or the pixel's own color when no paper is in reach.
fn colors_beside(color: &RgbImage, alpha: &[u8], width: u32, (x, y): (u32, u32)) -> [u64; 3] {
    let (w, h) = (i64::from(width), i64::from(color.height()));
    let mut sums = [0u64; 3];
    let mut total = 0u64;
    for ny in (i64::from(y) - RADIUS).max(0)..=(i64::from(y) + RADIUS).min(h - 1) {
        for nx in (i64::from(x) - RADIUS).max(0)..=(i64::from(x) + RADIUS).min(w - 1) {
            let weight = 255 - u64::from(alpha[(ny * w + nx) as usize]);
            let c = color.get_pixel(nx as u32, ny as u32).0;
            (0..3).for_each(|i| sums[i] += weight * u64::from(c[i]));
            total += weight;
        }
    }
    if total == 0 {
        return color.get_pixel(x, y).0.map(u64::from);
    }
    sums.map(|sum| (sum + total / 2) / total)
}

fn darken(value: u64) -> u8 {
    ((value * DARKEN_NUMERATOR * 2 + DARKEN_DENOMINATOR) / (DARKEN_DENOMINATOR * 2)).min(255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, Rgba};

    #[test]
    fn a_line_between_two_colors_takes_their_darkened_mean_and_keeps_its_alpha() {
        let color = RgbImage::from_fn(9, 1, |x, _| if x < 4 { Rgb([200, 0, 0]) } else { Rgb([0, 0, 200]) });
        let mut lines = RgbaImage::from_fn(9, 1, |x, _| Rgba([0, 0, 0, if x == 4 { 255 } else { 0 }]));
        trace_colors(&mut lines, &color);
        assert_eq!(lines.get_pixel(4, 0).0, [50, 0, 50, 255]);
        assert_eq!(lines.get_pixel(0, 0).0, [0, 0, 0, 0], "paper is untouched");
    }

    #[test]
    fn a_line_with_no_paper_in_reach_takes_its_own_color() {
        let color = RgbImage::from_pixel(3, 3, Rgb([100, 60, 20]));
        let mut lines = RgbaImage::from_pixel(3, 3, Rgba([0, 0, 0, 255]));
        trace_colors(&mut lines, &color);
        assert_eq!(lines.get_pixel(1, 1).0, [50, 30, 10, 255]);
    }
}
