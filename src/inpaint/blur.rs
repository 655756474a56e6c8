//! The mask's blur as A1111 makes it: OpenCV's `GaussianBlur` of an 8-bit picture, across with a kernel
//! of 2·⌊2.5σ + 0.5⌋ + 1 taps, then down, each a separate call rounding to 8 bits. OpenCV's 8-bit path is
//! bit-exact fixed point: the kernel quantized to 1/256 with the rounding error carried from tap to tap
//! and the centre tap taking the remainder, sums rounded half up, borders mirrored without repeating the
//! edge (`BORDER_REFLECT_101`).

use image::GrayImage;

/// `mask` blurred by `sigma` pixels across and down (A1111's `Mask blur`); 0 leaves it as it is.
pub fn blur_mask(mask: &GrayImage, sigma: u32) -> GrayImage {
    if sigma == 0 {
        return mask.clone();
    }
    let kernel = fixed_point_kernel(sigma);
    let (width, height) = (mask.width() as usize, mask.height() as usize);
    let across = convolve(mask.as_raw(), width, height, &kernel, Axis::Across);
    let down = convolve(&across, width, height, &kernel, Axis::Down);
    GrayImage::from_raw(mask.width(), mask.height(), down).unwrap_or_else(|| mask.clone())
}

#[derive(Clone, Copy)]
enum Axis {
    Across,
    Down,
}

/// OpenCV's `getGaussianKernelBitExact` for A1111's kernel size, then `getGaussianKernelFixedPoint_ED`
/// with 8 fraction bits: taps that sum to exactly 256.
fn fixed_point_kernel(sigma: u32) -> Vec<i64> {
    let taps = 2 * ((2.5 * f64::from(sigma) + 0.5) as usize) + 1;
    let half = taps / 2;
    let scale = -0.125 / (f64::from(sigma) * f64::from(sigma));
    // x runs over twice the offset from the centre, as OpenCV computes it.
    let side: Vec<f64> = (0..half).map(|i| (scale * ((2 * i) as f64 + 1.0 - taps as f64).powi(2)).exp()).collect();
    let sum = 2.0 * side.iter().sum::<f64>() + 1.0;
    let mut kernel = vec![0i64; taps];
    let (mut carried, mut total) = (0.0f64, 0i64);
    for (i, value) in side.iter().enumerate() {
        let adjusted = value / sum * 256.0 + carried;
        let rounded = adjusted.round_ties_even() as i64;
        carried = adjusted - rounded as f64;
        kernel[i] = rounded;
        kernel[taps - 1 - i] = rounded;
        total += 2 * rounded;
    }
    kernel[half] = 256 - total;
    kernel
}

fn convolve(pixels: &[u8], width: usize, height: usize, kernel: &[i64], axis: Axis) -> Vec<u8> {
    let half = (kernel.len() / 2) as isize;
    let mut out = vec![0u8; pixels.len()];
    for y in 0..height {
        for x in 0..width {
            let (along, length) = match axis {
                Axis::Across => (x as isize, width),
                Axis::Down => (y as isize, height),
            };
            let sum: i64 = kernel
                .iter()
                .enumerate()
                .map(|(tap, weight)| {
                    let at = reflect_101(along + tap as isize - half, length);
                    let index = match axis {
                        Axis::Across => y * width + at,
                        Axis::Down => at * width + x,
                    };
                    weight * i64::from(pixels[index])
                })
                .sum();
            out[y * width + x] = ((sum + 128) >> 8).clamp(0, 255) as u8;
        }
    }
    out
}

/// OpenCV's `BORDER_REFLECT_101` index (`gfedcb|abcdefgh|gfedcba`), for any offset.
fn reflect_101(index: isize, length: usize) -> usize {
    if length == 1 {
        return 0;
    }
    let period = 2 * (length as isize - 1);
    let folded = index.rem_euclid(period);
    (if folded < length as isize { folded } else { period - folded }) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_sums_to_one_and_is_symmetric() {
        for sigma in [1, 4, 16, 64] {
            let kernel = fixed_point_kernel(sigma);
            assert_eq!(kernel.len(), 2 * ((2.5 * sigma as f64 + 0.5) as usize) + 1);
            assert_eq!(kernel.iter().sum::<i64>(), 256);
            assert!(kernel.iter().eq(kernel.iter().rev()));
        }
        // The taps with which this blur equals cv2 5.1's `GaussianBlur` on random masks, bit for bit.
        assert_eq!(fixed_point_kernel(4), [1, 2, 4, 5, 9, 11, 16, 19, 23, 25, 26, 25, 23, 19, 16, 11, 9, 5, 4, 2, 1]);
    }

    #[test]
    fn borders_mirror_without_the_edge() {
        let indices: Vec<usize> = (-3..7).map(|i| reflect_101(i, 4)).collect();
        assert_eq!(indices, [3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
    }

    #[test]
    fn a_hard_edge_becomes_a_ramp_that_keeps_its_middle() {
        let mask = GrayImage::from_fn(40, 3, |x, _| image::Luma([if x < 20 { 0 } else { 255 }]));
        let blurred = blur_mask(&mask, 4);
        let row: Vec<u8> = (0..40).map(|x| blurred.get_pixel(x, 1).0[0]).collect();
        assert!(row.windows(2).all(|w| w[0] <= w[1]), "{row:?}");
        assert_eq!((row[0], row[39]), (0, 255));
        assert!((100..156).contains(&row[19]) && (100..156).contains(&row[20]), "{row:?}");
        assert_eq!(blur_mask(&mask, 0), mask);
    }
}
