//! Resampling an 8-bit RGB picture the way OpenCV's `cv2.resize` does for sd-webui-controlnet.
//!
//! sd-webui-controlnet resizes with `cv2.INTER_AREA` when shrinking and `cv2.INTER_CUBIC` when enlarging
//! (`resize_image_with_pad` decides by the scale factor, `high_quality_resize` by the pixel count). Here each
//! axis is decided on its own: a shrinking axis is area-averaged, an enlarging axis is bicubic, an unchanged
//! axis is copied. That is the same as OpenCV whenever both axes go the same way; for a resize that shrinks
//! one axis and enlarges the other, OpenCV would run one kernel on both, and a bicubic kernel on a shrinking
//! axis drops one-pixel lines, so area averaging is used there instead.
//!
//! * Area: each output pixel is the mean of the source pixels it covers, partial pixels weighted by their
//!   covered fraction (OpenCV's `computeResizeAreaTab`). A one-pixel line never disappears; it turns grey.
//! * Bicubic: Keys' kernel with a = −0.75 (OpenCV's, not the a = −0.5 Catmull-Rom of the `image` crate),
//!   centres aligned (`(x + 0.5) · scale − 0.5`), edge pixels replicated past the border.
//!
//! The arithmetic is f32 with one rounding (half up) at the end. OpenCV rounds the same way but computes
//! bicubic 8-bit resizes with 11-bit fixed-point weights, so its results can differ by one level.

use image::RgbImage;

/// One output pixel's source pixels along an axis and their weights (summing to 1).
type Taps = Vec<(usize, f32)>;

/// Resizes to `width` x `height` with the per-axis kernel choice described above (a picture without
/// pixels resizes to black).
pub fn resize_rgb8(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (src_w, src_h) = image.dimensions();
    if (src_w, src_h) == (width, height) {
        return image.clone();
    }
    if src_w == 0 || src_h == 0 {
        return RgbImage::new(width, height);
    }
    let columns = axis_taps(src_w as usize, width as usize);
    let rows = axis_taps(src_h as usize, height as usize);
    let horizontal = resample_rows(image, &columns);
    resample_columns(&horizontal, width as usize, &rows)
}

fn axis_taps(src: usize, dst: usize) -> Vec<Taps> {
    if dst < src {
        area_taps(src, dst)
    } else if dst > src {
        cubic_taps(src, dst)
    } else {
        (0..dst).map(|i| vec![(i, 1.0)]).collect()
    }
}

/// OpenCV's area table: output pixel `d` covers source interval [d·s, (d+1)·s), s = src/dst > 1.
fn area_taps(src: usize, dst: usize) -> Vec<Taps> {
    let scale = src as f64 / dst as f64;
    (0..dst)
        .map(|d| {
            let start = d as f64 * scale;
            let end = start + scale;
            let cell = scale.min(src as f64 - start);
            let first_whole = (start.ceil() as usize).min(src - 1);
            let last_whole = (end.floor() as usize).min(src - 1);
            let first_whole = first_whole.min(last_whole);
            let mut taps = Taps::new();
            if first_whole as f64 - start > 1e-3 {
                taps.push((first_whole - 1, ((first_whole as f64 - start) / cell) as f32));
            }
            for s in first_whole..last_whole {
                taps.push((s, (1.0 / cell) as f32));
            }
            if end - last_whole as f64 > 1e-3 {
                let covered = (end - last_whole as f64).min(1.0).min(cell);
                taps.push((last_whole, (covered / cell) as f32));
            }
            taps
        })
        .collect()
}

/// OpenCV's bicubic taps: four neighbours around the aligned source position, indices clamped.
fn cubic_taps(src: usize, dst: usize) -> Vec<Taps> {
    let scale = src as f64 / dst as f64;
    (0..dst)
        .map(|d| {
            let position = (d as f64 + 0.5) * scale - 0.5;
            let base = position.floor();
            let weights = cubic_weights((position - base) as f32);
            (0..4)
                .map(|k| {
                    let index = (base as i64 + k as i64 - 1).clamp(0, src as i64 - 1) as usize;
                    (index, weights[k])
                })
                .collect()
        })
        .collect()
}

/// Keys' cubic convolution weights for the four taps at offsets −1, 0, 1, 2 from a fractional position.
fn cubic_weights(t: f32) -> [f32; 4] {
    const A: f32 = -0.75;
    let w0 = ((A * (t + 1.0) - 5.0 * A) * (t + 1.0) + 8.0 * A) * (t + 1.0) - 4.0 * A;
    let w1 = ((A + 2.0) * t - (A + 3.0)) * t * t + 1.0;
    let w2 = ((A + 2.0) * (1.0 - t) - (A + 3.0)) * (1.0 - t) * (1.0 - t) + 1.0;
    [w0, w1, w2, 1.0 - w0 - w1 - w2]
}

/// Horizontal pass: every source row resampled to the output width, kept in f32 (RGB interleaved).
fn resample_rows(image: &RgbImage, columns: &[Taps]) -> Vec<f32> {
    let src_w = image.width() as usize;
    let raw = image.as_raw();
    let mut out = Vec::with_capacity(image.height() as usize * columns.len() * 3);
    for row in raw.chunks_exact(src_w * 3) {
        for taps in columns {
            let mut sum = [0f32; 3];
            for &(x, w) in taps {
                for c in 0..3 {
                    sum[c] += w * f32::from(row[x * 3 + c]);
                }
            }
            out.extend_from_slice(&sum);
        }
    }
    out
}

/// Vertical pass over the horizontally resampled rows, rounded to 8 bits.
fn resample_columns(horizontal: &[f32], width: usize, rows: &[Taps]) -> RgbImage {
    let stride = width * 3;
    let mut out = Vec::with_capacity(rows.len() * stride);
    for taps in rows {
        for i in 0..stride {
            let sum: f32 = taps.iter().map(|&(y, w)| w * horizontal[y * stride + i]).sum();
            out.push(round_to_u8(sum));
        }
    }
    RgbImage::from_raw(width as u32, rows.len() as u32, out).unwrap_or_default()
}

/// Round half up and saturate, as OpenCV's 8-bit resize paths do.
fn round_to_u8(value: f32) -> u8 {
    (value + 0.5).floor().clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn grey_row(values: &[u8]) -> RgbImage {
        RgbImage::from_fn(values.len() as u32, 1, |x, _| Rgb([values[x as usize]; 3]))
    }

    fn grey_values(image: &RgbImage) -> Vec<u8> {
        image.pixels().map(|p| p.0[0]).collect()
    }

    #[test]
    fn halving_averages_pixel_pairs_and_rounds_half_up() {
        // (0+255)/2 = 127.5 -> 128, (10+20)/2 = 15, (1+2)/2 = 1.5 -> 2
        let out = resize_rgb8(&grey_row(&[0, 255, 10, 20, 1, 2]), 3, 1);
        assert_eq!(grey_values(&out), vec![128, 15, 2]);
    }

    #[test]
    fn non_integer_shrink_weights_partial_pixels_by_coverage() {
        // 5 -> 2: output 0 covers source [0, 2.5): 1·p0 + 1·p1 + 0.5·p2, over 2.5.
        let out = resize_rgb8(&grey_row(&[100, 200, 50, 0, 250]), 2, 1);
        let first = (100.0 + 200.0 + 0.5 * 50.0) / 2.5;
        let second = (0.5 * 50.0 + 0.0 + 250.0) / 2.5;
        assert_eq!(grey_values(&out), vec![(first + 0.5f64).floor() as u8, (second + 0.5f64).floor() as u8]);
    }

    #[test]
    fn area_taps_sum_to_one_for_awkward_ratios() {
        for (src, dst) in [(7, 3), (1000, 512), (513, 512), (8192, 64), (3, 2)] {
            for taps in area_taps(src, dst) {
                let total: f32 = taps.iter().map(|t| t.1).sum();
                assert!((total - 1.0).abs() < 1e-4, "{src}->{dst}: {total}");
                assert!(taps.iter().all(|&(i, _)| i < src));
            }
        }
    }

    #[test]
    fn a_one_pixel_line_survives_a_4x_shrink() {
        let mut image = RgbImage::from_pixel(64, 64, Rgb([0, 0, 0]));
        for y in 0..64 {
            image.put_pixel(33, y, Rgb([255, 255, 255]));
        }
        let out = resize_rgb8(&image, 16, 16);
        for y in 0..16 {
            // column 8 covers source columns 32..36, one of them white: 255/4 = 63.75 -> 64
            assert_eq!(out.get_pixel(8, y).0, [64, 64, 64]);
            assert_eq!(out.get_pixel(7, y).0, [0, 0, 0]);
        }
    }

    #[test]
    fn cubic_weights_match_keys_kernel_with_a_minus_075() {
        assert_eq!(cubic_weights(0.0), [0.0, 1.0, 0.0, 0.0]);
        // at t = 0.5 the taps are 1.5, 0.5, 0.5, 1.5 away:
        // w(1.5) = a·(1.5³ − 5·1.5² + 8·1.5 − 4) = −0.75 · 0.125 = −0.09375
        // w(0.5) = (a+2)·0.5³ − (a+3)·0.5² + 1 = 0.15625 − 0.5625 + 1 = 0.59375
        let w = cubic_weights(0.5);
        let expected = [-0.09375, 0.59375, 0.59375, -0.09375];
        for (got, want) in w.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{w:?}");
        }
    }

    #[test]
    fn doubling_with_cubic_keeps_flat_areas_and_overshoots_at_a_step() {
        // Source [0,0,255,255] -> 8 px. Output 3 sits at source 1.25: taps 0,1,2,3 with weights for t = 0.25.
        let out = grey_values(&resize_rgb8(&grey_row(&[0, 0, 255, 255]), 8, 1));
        let w = cubic_weights(0.25);
        let at_3 = 255.0 * (w[2] + w[3]);
        assert_eq!(out[3], (at_3 + 0.5).floor() as u8);
        assert_eq!(out[0], 0, "replicated edge: a flat start stays flat");
        assert_eq!(out[7], 255);
        assert_eq!(out[2], 0, "the undershoot before the step is clipped to 0");
        assert_eq!(out.len(), 8);
    }

    #[test]
    fn each_axis_picks_its_own_kernel() {
        // 4x2 -> 2x4: x shrinks (area: pairs averaged), y enlarges (cubic on a flat column stays flat).
        let image = RgbImage::from_fn(4, 2, |x, _| Rgb([[10, 30, 200, 100][x as usize]; 3]));
        let out = resize_rgb8(&image, 2, 4);
        for y in 0..4 {
            assert_eq!(out.get_pixel(0, y).0[0], 20);
            assert_eq!(out.get_pixel(1, y).0[0], 150);
        }
    }

    #[test]
    fn the_same_size_is_a_copy() {
        let image = RgbImage::from_fn(5, 3, |x, y| Rgb([x as u8 * 40, y as u8 * 80, 7]));
        assert_eq!(resize_rgb8(&image, 5, 3), image);
    }
}
