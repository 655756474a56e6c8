//! sd-webui-controlnet's model-free "lineart_standard (from white bg & black line)" preprocessor
//! (`lineart_standard` in its `scripts/processor.py`), step for step:
//!
//! 1. `resize_image_with_pad` pads the picture on the bottom and right to multiples of 64 by repeating the
//!    edge pixels (the resize before it is done by the caller, see `preprocess`);
//! 2. `g = GaussianBlur(x, (0, 0), 6.0)` on the float32 picture (49 taps, reflect-101 border);
//! 3. `intensity = min over R,G,B of (g − x)`, clipped to [0, 255]: how much darker a pixel is than its
//!    surroundings, so dark lines light up and flat areas (paper or fills) go to 0;
//! 4. `intensity /= max(16, median(intensity[intensity > 8]))` over the **padded** picture, then `*= 127`:
//!    a typical line lands near 127 whatever the pen pressure;
//! 5. clip to [0, 255] and truncate to 8 bits (`astype(np.uint8)`), crop the padding, repeat to RGB.
//!
//! The input must be dark lines on a light background; the output is light lines on black.

use image::{Rgb, RgbImage};

use super::gaussian::{PlaneF32, blur_reflect101, gaussian_kernel_for_float};

const BLUR_SIGMA: f64 = 6.0;
/// Intensities above this count towards the median that normalises the lines.
const MEDIAN_FLOOR: f32 = 8.0;
/// The normaliser never drops below this, so faint pictures are not blown up.
const MIN_DIVISOR: f32 = 16.0;
const LINE_LEVEL: f32 = 127.0;
const PAD_MULTIPLE: u32 = 64;

/// The preprocessor's result before the final 8-bit conversion, for inspection and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct LineartStandardRaw {
    pub width: u32,
    pub height: u32,
    /// `intensity / divisor * 127` per pixel of the unpadded picture, row-major.
    pub scaled: Vec<f32>,
    /// `max(16, median of intensities > 8)`.
    pub divisor: f32,
}

/// Runs the preprocessor on black-on-white line art; returns white lines on black.
pub fn lineart_standard(black_on_white: &RgbImage) -> RgbImage {
    let raw = lineart_standard_raw(black_on_white);
    RgbImage::from_fn(raw.width, raw.height, |x, y| {
        let value = raw.scaled[(y * raw.width + x) as usize];
        Rgb([truncate_to_u8(value); 3])
    })
}

/// Steps 1–4, keeping the floating-point values.
pub fn lineart_standard_raw(black_on_white: &RgbImage) -> LineartStandardRaw {
    let (width, height) = black_on_white.dimensions();
    if width == 0 || height == 0 {
        return LineartStandardRaw { width, height, scaled: Vec::new(), divisor: MIN_DIVISOR };
    }
    let padded = pad_edge_to_multiple(black_on_white, PAD_MULTIPLE);
    let blurred = blur_reflect101(&padded, &gaussian_kernel_for_float(BLUR_SIGMA));
    let intensity = darker_than_surroundings(&padded, &blurred);
    let divisor = normaliser(&intensity);
    let padded_width = padded.width;
    let scaled = (0..height as usize)
        .flat_map(|y| (0..width as usize).map(move |x| y * padded_width + x))
        .map(|i| intensity[i] / divisor * LINE_LEVEL)
        .collect();
    LineartStandardRaw { width, height, scaled, divisor }
}

/// The picture as f32, padded on the bottom and right to multiples of `multiple` with its edge pixels.
fn pad_edge_to_multiple(image: &RgbImage, multiple: u32) -> PlaneF32 {
    let (w, h) = image.dimensions();
    let padded_w = w.div_ceil(multiple) * multiple;
    let padded_h = h.div_ceil(multiple) * multiple;
    let mut data = Vec::with_capacity((padded_w * padded_h * 3) as usize);
    for y in 0..padded_h {
        for x in 0..padded_w {
            let pixel = image.get_pixel(x.min(w - 1), y.min(h - 1));
            data.extend(pixel.0.iter().map(|&v| f32::from(v)));
        }
    }
    PlaneF32 { width: padded_w as usize, height: padded_h as usize, channels: 3, data }
}

/// `min over channels of (blurred − x)`, clipped to [0, 255].
fn darker_than_surroundings(x: &PlaneF32, blurred: &PlaneF32) -> Vec<f32> {
    x.data
        .chunks_exact(3)
        .zip(blurred.data.chunks_exact(3))
        .map(|(px, pg)| {
            let darkest = (0..3).map(|c| pg[c] - px[c]).fold(f32::INFINITY, f32::min);
            darkest.clamp(0.0, 255.0)
        })
        .collect()
}

/// `max(16, median of the values above 8)`; with no such value NumPy's median is NaN and Python's
/// `max(16, nan)` is 16.
fn normaliser(intensity: &[f32]) -> f32 {
    let mut lines: Vec<f32> = intensity.iter().copied().filter(|&v| v > MEDIAN_FLOOR).collect();
    match numpy_median(&mut lines) {
        Some(median) if median > MIN_DIVISOR => median,
        _ => MIN_DIVISOR,
    }
}

/// NumPy's median of a float32 array: the middle value, or the f32 mean of the two middle values.
fn numpy_median(values: &mut [f32]) -> Option<f32> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f32::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 })
}

/// `clip(0, 255).astype(np.uint8)`: truncation toward zero.
fn truncate_to_u8(value: f32) -> u8 {
    value.clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use safetensors::SafeTensors;
    use std::path::PathBuf;

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/control").join(name)
    }

    struct Reference {
        input: RgbImage,
        expected: Vec<u8>,
        scaled: Vec<f32>,
        divisor: f32,
    }

    /// The committed reference made by `make_lineart_standard_ref.py` (numpy re-implementation of the
    /// extension's code with OpenCV's kernel and border).
    fn reference() -> Reference {
        let input = image::open(fixture("lineart_input.png")).unwrap().to_rgb8();
        let bytes = std::fs::read(fixture("lineart_standard_ref.safetensors")).unwrap();
        let tensors = SafeTensors::deserialize(&bytes).unwrap();
        let expected = tensors.tensor("expected_u8").unwrap();
        assert_eq!(expected.shape(), [48, 64]);
        let f32s = |name: &str| -> Vec<f32> {
            let view = tensors.tensor(name).unwrap();
            view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
        };
        Reference { input, expected: expected.data().to_vec(), scaled: f32s("scaled"), divisor: f32s("divisor")[0] }
    }

    #[test]
    fn matches_the_python_reference() {
        let reference = reference();
        assert_eq!(reference.input.dimensions(), (64, 48));
        let raw = lineart_standard_raw(&reference.input);
        assert!((raw.divisor - reference.divisor).abs() <= 1e-4 * reference.divisor, "{}", raw.divisor);

        let out = lineart_standard(&reference.input);
        let mut boundary_cases = 0;
        for (i, (&want, &want_scaled)) in reference.expected.iter().zip(&reference.scaled).enumerate() {
            let got_scaled = raw.scaled[i];
            assert!((got_scaled - want_scaled).abs() <= 1e-3, "pixel {i}: {got_scaled} vs {want_scaled}");
            let got = out.as_raw()[i * 3];
            assert_eq!(out.as_raw()[i * 3..i * 3 + 3], [got; 3]);
            // Truncation may tip either way only where the exact value is within float noise of an integer.
            let near_integer = (want_scaled - want_scaled.round()).abs() < 1e-3 && want_scaled > 1e-3;
            if near_integer {
                boundary_cases += 1;
                assert!(got.abs_diff(want) <= 1, "pixel {i}: {got} vs {want}");
            } else {
                assert_eq!(got, want, "pixel {i}: scaled {got_scaled} vs {want_scaled}");
            }
        }
        assert!(boundary_cases <= 4, "{boundary_cases} pixels too close to call");
        assert!(reference.expected.iter().filter(|&&v| v > 100).count() > 100, "the reference has real lines");
    }

    #[test]
    fn a_blank_page_gives_a_black_hint_and_the_minimum_divisor() {
        let page = RgbImage::from_pixel(30, 20, Rgb([255, 255, 255]));
        let raw = lineart_standard_raw(&page);
        assert_eq!(raw.divisor, MIN_DIVISOR);
        assert!(lineart_standard(&page).pixels().all(|p| p.0 == [0, 0, 0]));
    }

    #[test]
    fn padding_repeats_the_edge_up_to_multiples_of_64() {
        let image = RgbImage::from_fn(3, 65, |x, y| Rgb([x as u8, y as u8, 7]));
        let padded = pad_edge_to_multiple(&image, 64);
        assert_eq!((padded.width, padded.height), (64, 128));
        let at = |x: usize, y: usize| &padded.data[(y * 64 + x) * 3..(y * 64 + x) * 3 + 3];
        assert_eq!(at(63, 0), [2.0, 0.0, 7.0]);
        assert_eq!(at(1, 127), [1.0, 64.0, 7.0]);
    }

    #[test]
    fn numpy_median_averages_the_middle_pair() {
        assert_eq!(numpy_median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(numpy_median(&mut [4.0, 1.0, 2.0, 10.0]), Some(3.0));
        assert_eq!(numpy_median(&mut []), None);
        assert_eq!(normaliser(&[9.0, 40.0, 50.0, 0.0, 8.0]), 40.0);
        assert_eq!(normaliser(&[9.0, 10.0]), MIN_DIVISOR);
    }
}
