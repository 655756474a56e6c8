//! A1111's img2img color correction (`processing.setup_color_correction` and `apply_color_correction`):
//! the result's colors moved toward the picture it started from. Each channel of the result in CIE Lab
//! (8-bit, as OpenCV stores it: L×255/100, a and b offset by 128) takes the histogram of the starting
//! picture's (scikit-image's `match_histograms`: values mapped by their quantiles, truncated to 8 bits), is
//! turned back into RGB, and takes the result's own luminosity again (the `blendmodes` package's
//! "luminosity" blend, which A1111 uses), so the shading stays the model's and only the hues and their
//! spread move.

use image::RgbImage;

/// `result` with its colors matched to `start`'s.
pub fn correct_colors(result: &RgbImage, start: &RgbImage) -> RgbImage {
    let (ours, target) = (to_lab(result), to_lab(start));
    let matched: Vec<[u8; 3]> = {
        let channels: [Vec<u8>; 3] = std::array::from_fn(|c| {
            let source: Vec<u8> = ours.iter().map(|lab| lab[c]).collect();
            let template: Vec<u8> = target.iter().map(|lab| lab[c]).collect();
            match_histogram(&source, &template)
        });
        (0..ours.len()).map(|i| [channels[0][i], channels[1][i], channels[2][i]]).collect()
    };
    let mut out = RgbImage::new(result.width(), result.height());
    for ((pixel, lab), own) in out.pixels_mut().zip(&matched).zip(result.pixels()) {
        let corrected = lab_to_rgb(*lab);
        *pixel = image::Rgb(with_luminosity_of(corrected, own.0));
    }
    out
}

/// scikit-image's `_match_cumulative_cdf` for 8-bit values: each source value goes to the template value
/// at the same quantile (linear between the template's values), truncated as numpy stores a float into
/// an 8-bit array.
fn match_histogram(source: &[u8], template: &[u8]) -> Vec<u8> {
    let quantiles = |values: &[u8]| {
        let mut counts = [0usize; 256];
        values.iter().for_each(|&v| counts[v as usize] += 1);
        let mut running = 0usize;
        let mut present: Vec<(f64, f64)> = Vec::new();
        for (value, &count) in counts.iter().enumerate() {
            if count > 0 {
                running += count;
                present.push((running as f64 / values.len() as f64, value as f64));
            }
        }
        (counts, present)
    };
    let (source_counts, _) = quantiles(source);
    let (_, template) = quantiles(template);
    let mut running = 0usize;
    let mut lookup = [0u8; 256];
    for (value, &count) in source_counts.iter().enumerate() {
        running += count;
        let quantile = running as f64 / source.len() as f64;
        lookup[value] = interpolate(quantile, &template).clamp(0.0, 255.0) as u8;
    }
    source.iter().map(|&v| lookup[v as usize]).collect()
}

/// numpy's `interp`: `points` (x ascending, y) linearly, held flat beyond either end.
fn interpolate(x: f64, points: &[(f64, f64)]) -> f64 {
    let (Some(first), Some(last)) = (points.first(), points.last()) else { return 0.0 };
    if x <= first.0 {
        return first.1;
    }
    if x >= last.0 {
        return last.1;
    }
    let after = points.partition_point(|point| point.0 <= x);
    let ((x0, y0), (x1, y1)) = (points[after - 1], points[after]);
    y0 + (y1 - y0) * (x - x0) / (x1 - x0)
}

/// D65 white, as OpenCV normalizes XYZ.
const WHITE: [f64; 3] = [0.950456, 1.0, 1.088754];

fn to_lab(picture: &RgbImage) -> Vec<[u8; 3]> {
    picture.pixels().map(|pixel| rgb_to_lab(pixel.0)).collect()
}

fn srgb_to_linear(v: f64) -> f64 {
    if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
}

fn linear_to_srgb(v: f64) -> f64 {
    if v <= 0.0031308 { 12.92 * v } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 }
}

/// OpenCV's `COLOR_RGB2LAB` of an 8-bit pixel, in floating point.
fn rgb_to_lab(rgb: [u8; 3]) -> [u8; 3] {
    let [r, g, b] = rgb.map(|c| srgb_to_linear(f64::from(c) / 255.0));
    let xyz = [
        0.412453 * r + 0.357580 * g + 0.180423 * b,
        0.212671 * r + 0.715160 * g + 0.072169 * b,
        0.019334 * r + 0.119193 * g + 0.950227 * b,
    ];
    let [fx, fy, fz] = std::array::from_fn(|i| {
        let t = xyz[i] / WHITE[i];
        if t > 0.008856 { t.cbrt() } else { 7.787 * t + 16.0 / 116.0 }
    });
    let l = if xyz[1] > 0.008856 { 116.0 * fy - 16.0 } else { 903.3 * xyz[1] };
    let byte = |v: f64| v.round().clamp(0.0, 255.0) as u8;
    [byte(l * 255.0 / 100.0), byte(500.0 * (fx - fy) + 128.0), byte(200.0 * (fy - fz) + 128.0)]
}

/// OpenCV's `COLOR_LAB2RGB` of an 8-bit Lab pixel, in floating point.
fn lab_to_rgb(lab: [u8; 3]) -> [f64; 3] {
    let l = f64::from(lab[0]) * 100.0 / 255.0;
    let (a, b) = (f64::from(lab[1]) - 128.0, f64::from(lab[2]) - 128.0);
    let fy = (l + 16.0) / 116.0;
    let (fx, fz) = (fy + a / 500.0, fy - b / 200.0);
    let inverse = |f: f64| if f > 0.206893 { f * f * f } else { (f - 16.0 / 116.0) / 7.787 };
    let y = if l > 8.0 { fy * fy * fy } else { l / 903.3 };
    let [x, y, z] = [inverse(fx) * WHITE[0], y, inverse(fz) * WHITE[2]];
    let linear = [
        3.240479 * x - 1.537150 * y - 0.498535 * z,
        -0.969256 * x + 1.875991 * y + 0.041556 * z,
        0.055648 * x - 0.204043 * y + 1.057311 * z,
    ];
    linear.map(|v| (linear_to_srgb(v.clamp(0.0, 1.0)) * 255.0).round().clamp(0.0, 255.0) / 255.0)
}

/// The luminosity blend: `color` (in [0, 1]) given the luma of `own` (8-bit), pulled back into range
/// toward its luma where it leaves it (the W3C `SetLum`/`ClipColor`, as `blendmodes` computes them).
fn with_luminosity_of(color: [f64; 3], own: [u8; 3]) -> [u8; 3] {
    let lum = |c: [f64; 3]| 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    let target = lum(own.map(|v| f64::from(v) / 255.0));
    let delta = target - lum(color);
    let mut c = color.map(|v| v + delta);
    let l = lum(c);
    let (low, high) = (c.iter().copied().fold(f64::INFINITY, f64::min), c.iter().copied().fold(f64::NEG_INFINITY, f64::max));
    if low < 0.0 {
        c = c.map(|v| l + (v - l) * l / (l - low));
    }
    if high > 1.0 {
        c = c.map(|v| l + (v - l) * (1.0 - l) / (high - l));
    }
    c.map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_round_trips_and_greys_stay_grey() {
        for rgb in [[0, 0, 0], [255, 255, 255], [200, 30, 90], [12, 180, 240]] {
            let back = lab_to_rgb(rgb_to_lab(rgb)).map(|v| (v * 255.0).round() as i32);
            assert!(back.iter().zip(rgb).all(|(a, b)| (a - i32::from(b)).abs() <= 2), "{rgb:?} → {back:?}");
        }
        let grey = rgb_to_lab([128, 128, 128]);
        assert_eq!((grey[1], grey[2]), (128, 128));
    }

    #[test]
    fn histograms_match_by_quantile() {
        // Two values, half each, onto a template spread over 10..=40: the lower half goes to the middle.
        let source = [0u8, 0, 255, 255];
        let template = [10u8, 20, 30, 40];
        assert_eq!(match_histogram(&source, &template), [20, 20, 40, 40]);
        assert_eq!(interpolate(0.1, &[(0.25, 10.0), (1.0, 40.0)]), 10.0);
    }

    #[test]
    fn a_colour_cast_moves_toward_the_start() {
        let start = RgbImage::from_fn(16, 16, |x, y| image::Rgb([200, (x * 8) as u8, (y * 8) as u8]));
        let cast = RgbImage::from_fn(16, 16, |x, y| image::Rgb([(x * 8) as u8, 200, (y * 8) as u8]));
        let corrected = correct_colors(&cast, &start);
        let mean = |p: &RgbImage, c: usize| p.pixels().map(|q| f64::from(q.0[c])).sum::<f64>() / 256.0;
        assert!(mean(&corrected, 0) > mean(&cast, 0) + 40.0, "red comes back");
        assert!(mean(&corrected, 1) < mean(&cast, 1) - 40.0, "green goes down");
    }
}
