//! Fitting a control map to the generation size with sd-webui-controlnet's three resize modes
//! (`detectmap_proc` in its `scripts/controlnet.py`), and the "pixel perfect" processing resolution.
//!
//! * Just Resize: stretch to the target, aspect ratio not kept.
//! * Crop and Resize: scale by `k = max(h/H, w/W)` so the picture covers the target, then cut the overflow
//!   equally from both sides (offset `(new − target) // 2`).
//! * Resize and Fill: scale by `k = min(h/H, w/W)` so the picture fits, then centre it (offset
//!   `(target − new) // 2`) on a background of the **median colour of the map's outermost rows and columns**
//!   (per channel, NumPy's median truncated to 8 bits). For a hint that is white lines on black, that is black.
//!
//! Scaled sizes are `round(side · k)` with NumPy's round-half-to-even (at least 1 px here, where OpenCV
//! would fail on a 0-px side). The resampling itself is [`resample::resize_rgb8`](super::resample): area when
//! shrinking, bicubic when enlarging. Not reproduced from `high_quality_resize`: nearest-neighbour for maps
//! with 3..199 distinct colours (it drops thin lines when shrinking) and the Otsu re-binarisation and
//! thinning of two-colour maps.

use image::{Rgb, RgbImage, Rgba, RgbaImage};

use super::resample::resize_rgb8;
use crate::vocabulary::ResizeMode;

/// Fits `map` to exactly `width` x `height` with `mode` (a map without pixels gives black).
pub fn fit_to_size(map: &RgbImage, mode: ResizeMode, width: u32, height: u32) -> RgbImage {
    if map.width() == 0 || map.height() == 0 {
        return RgbImage::new(width, height);
    }
    match mode {
        ResizeMode::JustResize => resize_rgb8(map, width, height),
        ResizeMode::CropAndResize => crop_and_resize(map, width, height),
        ResizeMode::ResizeAndFill => resize_and_fill(map, width, height),
    }
}

fn crop_and_resize(map: &RgbImage, width: u32, height: u32) -> RgbImage {
    let k = cover_scale(map.dimensions(), (width, height));
    let (new_w, new_h) = scaled_size(map.dimensions(), k);
    let scaled = resize_rgb8(map, new_w, new_h);
    let left = new_w.saturating_sub(width) / 2;
    let top = new_h.saturating_sub(height) / 2;
    RgbImage::from_fn(width, height, |x, y| {
        let sx = (left + x).min(new_w - 1);
        let sy = (top + y).min(new_h - 1);
        *scaled.get_pixel(sx, sy)
    })
}

fn resize_and_fill(map: &RgbImage, width: u32, height: u32) -> RgbImage {
    let background = border_median_color(map);
    let k = fit_scale(map.dimensions(), (width, height));
    let (new_w, new_h) = scaled_size(map.dimensions(), k);
    let scaled = resize_rgb8(map, new_w, new_h);
    let left = width.saturating_sub(new_w) / 2;
    let top = height.saturating_sub(new_h) / 2;
    let mut out = RgbImage::from_pixel(width, height, background);
    for (x, y, pixel) in scaled.enumerate_pixels() {
        if left + x < width && top + y < height {
            out.put_pixel(left + x, top + y, *pixel);
        }
    }
    out
}

/// Fits `picture` to `width` x `height` as [`fit_to_size`] places a map with `mode`, sampling the nearest
/// pixel instead of resampling: painted colors stay exactly the colors painted. What `mode` leaves
/// uncovered (Resize and Fill's margins) is transparent.
pub fn fit_rgba_nearest(picture: &RgbaImage, mode: ResizeMode, width: u32, height: u32) -> RgbaImage {
    let source = picture.dimensions();
    if source.0 == 0 || source.1 == 0 {
        return RgbaImage::new(width, height);
    }
    let (scaled, offset) = match mode {
        ResizeMode::JustResize => ((width, height), (0i64, 0i64)),
        ResizeMode::CropAndResize => centred(source, (width, height), cover_scale(source, (width, height))),
        ResizeMode::ResizeAndFill => centred(source, (width, height), fit_scale(source, (width, height))),
    };
    RgbaImage::from_fn(width, height, |x, y| {
        let (sx, sy) = (i64::from(x) - offset.0, i64::from(y) - offset.1);
        if sx < 0 || sy < 0 || sx >= i64::from(scaled.0) || sy >= i64::from(scaled.1) {
            return Rgba([0, 0, 0, 0]);
        }
        let pick = |s: i64, scaled: u32, side: u32| ((s as u64 * u64::from(side)) / u64::from(scaled)) as u32;
        *picture.get_pixel(pick(sx, scaled.0, source.0), pick(sy, scaled.1, source.1))
    })
}

/// The scaled size and where its top-left corner lands (negative: cut off) when centred on the target.
fn centred(source: (u32, u32), target: (u32, u32), k: f64) -> ((u32, u32), (i64, i64)) {
    let scaled = scaled_size(source, k);
    let offset = |target: u32, scaled: u32| (i64::from(target) - i64::from(scaled)) / 2;
    (scaled, (offset(target.0, scaled.0), offset(target.1, scaled.1)))
}

/// sd-webui-controlnet's "pixel perfect" preprocessor resolution: the short side the source will have once
/// fitted to the target with `mode`, so a preprocessor runs at the scale the hint is used at.
pub fn pixel_perfect_short_side(source: (u32, u32), mode: ResizeMode, target: (u32, u32)) -> u32 {
    if source.0 == 0 || source.1 == 0 {
        return target.0.min(target.1).max(1);
    }
    let k = match mode {
        ResizeMode::ResizeAndFill => fit_scale(source, target),
        ResizeMode::JustResize | ResizeMode::CropAndResize => cover_scale(source, target),
    };
    round_half_even(k * f64::from(source.0.min(source.1))).max(1)
}

/// Scales the picture so its short side is `short_side` (sd-webui-controlnet's `resize_image_with_pad`
/// before its padding: `k = short_side / min(H, W)`, each side `round(side · k)`).
pub fn scale_short_side_to(image: &RgbImage, short_side: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 {
        return image.clone();
    }
    let k = f64::from(short_side) / f64::from(w.min(h));
    let (new_w, new_h) = scaled_size((w, h), k);
    resize_rgb8(image, new_w, new_h)
}

fn cover_scale((w, h): (u32, u32), (tw, th): (u32, u32)) -> f64 {
    (f64::from(th) / f64::from(h)).max(f64::from(tw) / f64::from(w))
}

fn fit_scale((w, h): (u32, u32), (tw, th): (u32, u32)) -> f64 {
    (f64::from(th) / f64::from(h)).min(f64::from(tw) / f64::from(w))
}

fn scaled_size((w, h): (u32, u32), k: f64) -> (u32, u32) {
    let side = |s: u32| round_half_even(f64::from(s) * k).max(1);
    (side(w), side(h))
}

/// NumPy's `np.round` (ties to even), as a pixel count.
fn round_half_even(value: f64) -> u32 {
    value.round_ties_even().clamp(0.0, f64::from(u32::MAX)) as u32
}

/// Per-channel median of the first and last rows and columns (corners counted twice, as NumPy's
/// concatenation does); an even count averages the two middle values and truncates.
fn border_median_color(map: &RgbImage) -> Rgb<u8> {
    let (w, h) = map.dimensions();
    let mut border: Vec<[u8; 3]> = Vec::with_capacity(2 * (w + h) as usize);
    for x in 0..w {
        border.push(map.get_pixel(x, 0).0);
        border.push(map.get_pixel(x, h - 1).0);
    }
    for y in 0..h {
        border.push(map.get_pixel(0, y).0);
        border.push(map.get_pixel(w - 1, y).0);
    }
    Rgb(std::array::from_fn(|c| median_truncated(border.iter().map(|p| p[c]).collect())))
}

fn median_truncated(mut values: Vec<u8>) -> u8 {
    values.sort_unstable();
    let n = values.len();
    if n == 0 {
        return 0;
    }
    if n % 2 == 1 { values[n / 2] } else { ((u16::from(values[n / 2 - 1]) + u16::from(values[n / 2])) / 2) as u8 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: [u8; 3] = [255, 0, 0];
    const GREEN: [u8; 3] = [0, 255, 0];
    const BLUE: [u8; 3] = [0, 0, 255];
    const BLACK: [u8; 3] = [0, 0, 0];

    /// 40x20: four 10-px wide vertical bands red | green | blue | black, so every area cell of the resizes
    /// below falls inside one band (band edges land on cell edges) and the colours stay pure.
    fn banded() -> RgbImage {
        RgbImage::from_fn(40, 20, |x, _| Rgb([RED, GREEN, BLUE, BLACK][(x / 10) as usize]))
    }

    fn row_colors(image: &RgbImage, y: u32) -> Vec<[u8; 3]> {
        (0..image.width()).map(|x| image.get_pixel(x, y).0).collect()
    }

    #[test]
    fn just_resize_stretches_to_the_target() {
        let out = fit_to_size(&banded(), ResizeMode::JustResize, 8, 16);
        assert_eq!(out.dimensions(), (8, 16));
        // x: 40 -> 8 (area, 5 px per output), y: 20 -> 16 (area); bands become 2 px each.
        for y in 0..16 {
            assert_eq!(row_colors(&out, y), vec![RED, RED, GREEN, GREEN, BLUE, BLUE, BLACK, BLACK]);
        }
    }

    #[test]
    fn crop_and_resize_covers_the_target_and_cuts_both_sides() {
        // 40x20 -> 16x16: k = max(16/20, 16/40) = 0.8 -> 32x16, 16 columns cut, 8 on each side:
        // the kept columns are source 10..30, the green and blue bands.
        let out = fit_to_size(&banded(), ResizeMode::CropAndResize, 16, 16);
        assert_eq!(out.dimensions(), (16, 16));
        let expected: Vec<[u8; 3]> = (0..16).map(|x| if x < 8 { GREEN } else { BLUE }).collect();
        for y in 0..16 {
            assert_eq!(row_colors(&out, y), expected);
        }
    }

    #[test]
    fn resize_and_fill_fits_centres_and_pads_with_the_border_median() {
        // 40x20 -> 16x16: k = min(0.8, 0.4) = 0.4 -> 16x8 at rows 4..12; rows 0..4 and 12..16 are padding.
        // Border colours: rows 0 and 19 hold 10 px of each band, columns 0 and 39 hold red and black:
        // per channel the median is 0, so the padding is black.
        let out = fit_to_size(&banded(), ResizeMode::ResizeAndFill, 16, 16);
        assert_eq!(out.dimensions(), (16, 16));
        let image_row: Vec<[u8; 3]> = (0..16).map(|x| [RED, GREEN, BLUE, BLACK][x / 4]).collect();
        for y in 0..16 {
            let expected = if (4..12).contains(&y) { image_row.clone() } else { vec![BLACK; 16] };
            assert_eq!(row_colors(&out, y), expected, "row {y}");
        }
    }

    #[test]
    fn resize_and_fill_pads_white_art_with_white_and_rounds_the_offset_down() {
        // 9x30 grey picture with a 1-px white frame into 16x24: k = min(24/30, 16/9) = 0.8 -> 7x24 (7.2
        // rounded), left offset (16 - 7) // 2 = 4: padding columns 0..4 and 11..16 (4 left, 5 right).
        let art = RgbImage::from_fn(9, 30, |x, y| {
            let frame = x == 0 || y == 0 || x == 8 || y == 29;
            Rgb(if frame { [255; 3] } else { [100; 3] })
        });
        let out = fit_to_size(&art, ResizeMode::ResizeAndFill, 16, 24);
        assert_eq!(out.dimensions(), (16, 24));
        for x in 0..16 {
            let is_padding = !(4..11).contains(&x);
            for y in 0..24 {
                assert_eq!(out.get_pixel(x, y).0 == [255; 3], is_padding, "({x}, {y})");
            }
        }
    }

    #[test]
    fn border_median_of_an_even_count_averages_and_truncates() {
        assert_eq!(median_truncated(vec![0, 255]), 127);
        assert_eq!(median_truncated(vec![10, 1, 3]), 3);
        assert_eq!(median_truncated(vec![4, 1, 2, 9]), 3);
    }

    #[test]
    fn scaled_sizes_round_half_to_even_like_numpy() {
        assert_eq!(round_half_even(2.5), 2);
        assert_eq!(round_half_even(3.5), 4);
        assert_eq!(scaled_size((5, 3), 0.5), (2, 2));
        assert_eq!(scaled_size((8192, 1), 1.0 / 16.0), (512, 1), "a side never drops to 0 px");
    }

    #[test]
    fn pixel_perfect_resolution_follows_the_resize_mode() {
        // 1000x500 source, 512x512 target: cover k = 1.024 -> short side 512; fit k = 0.512 -> 256.
        assert_eq!(pixel_perfect_short_side((1000, 500), ResizeMode::CropAndResize, (512, 512)), 512);
        assert_eq!(pixel_perfect_short_side((1000, 500), ResizeMode::JustResize, (512, 512)), 512);
        assert_eq!(pixel_perfect_short_side((1000, 500), ResizeMode::ResizeAndFill, (512, 512)), 256);
        assert_eq!(pixel_perfect_short_side((64, 96), ResizeMode::JustResize, (64, 96)), 64);
    }

    #[test]
    fn scaling_the_short_side_keeps_the_aspect_ratio() {
        let image = RgbImage::new(300, 200);
        assert_eq!(scale_short_side_to(&image, 100).dimensions(), (150, 100));
        assert_eq!(scale_short_side_to(&image, 512).dimensions(), (768, 512));
    }

    #[test]
    fn rgba_pictures_are_placed_as_maps_are_with_their_colors_kept() {
        // 4×2: left half red, right half blue, to a 2×2 target.
        let picture = RgbaImage::from_fn(4, 2, |x, _| if x < 2 { Rgba([255, 0, 0, 255]) } else { Rgba([0, 0, 255, 255]) });
        let crop = fit_rgba_nearest(&picture, ResizeMode::CropAndResize, 2, 2);
        assert_eq!([crop.get_pixel(0, 0).0, crop.get_pixel(1, 0).0], [[255, 0, 0, 255], [0, 0, 255, 255]]);
        let fill = fit_rgba_nearest(&picture, ResizeMode::ResizeAndFill, 4, 4);
        assert_eq!(fill.get_pixel(0, 0).0[3], 0, "the margin is transparent");
        assert_eq!(fill.get_pixel(0, 1).0, [255, 0, 0, 255]);
        let stretch = fit_rgba_nearest(&picture, ResizeMode::JustResize, 8, 2);
        assert_eq!(stretch.get_pixel(7, 1).0, [0, 0, 255, 255]);
        assert!(stretch.pixels().all(|p| p.0 == [255, 0, 0, 255] || p.0 == [0, 0, 255, 255]), "no mixed colors");
    }
}
