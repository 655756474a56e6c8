//! OpenCV's `cv2.GaussianBlur(x, (0, 0), sigma)` on a float32 picture, as the lineart_standard
//! preprocessor calls it.
//!
//! * Kernel size from sigma for non-8-bit input: `cvRound(sigma · 4 · 2 + 1) | 1` (sigma 6 -> 49 taps).
//! * Kernel values as `getGaussianKernel` computes them: `exp(−x² / (2σ²))` for x = i − (n−1)/2 in double
//!   precision, normalised to sum 1, then stored as f32.
//! * Separable: rows first, then columns, each pass accumulated in f32.
//! * Border `BORDER_REFLECT_101` (OpenCV's default): `dcb|abcd|cba`, the edge pixel not repeated.

/// An interleaved f32 picture: `height` rows of `width` pixels of `channels` values.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaneF32 {
    pub width: usize,
    pub height: usize,
    pub channels: usize,
    pub data: Vec<f32>,
}

/// The Gaussian kernel OpenCV builds for a float picture when the kernel size is left to it.
pub fn gaussian_kernel_for_float(sigma: f64) -> Vec<f32> {
    let size = ((sigma * 4.0 * 2.0 + 1.0).round() as usize) | 1;
    let center = (size as f64 - 1.0) * 0.5;
    let scale = -0.5 / (sigma * sigma);
    let raw: Vec<f64> = (0..size).map(|i| (scale * (i as f64 - center).powi(2)).exp()).collect();
    let sum: f64 = raw.iter().sum();
    raw.iter().map(|t| (t * (1.0 / sum)) as f32).collect()
}

/// Blurs every channel with the separable `kernel` (odd length), reflect-101 borders.
pub fn blur_reflect101(plane: &PlaneF32, kernel: &[f32]) -> PlaneF32 {
    let rows = convolve_rows(plane, kernel);
    convolve_columns(&rows, kernel)
}

fn convolve_rows(plane: &PlaneF32, kernel: &[f32]) -> PlaneF32 {
    let (w, ch) = (plane.width, plane.channels);
    let radius = (kernel.len() / 2) as i64;
    let source_x: Vec<Vec<usize>> = (0..w as i64).map(|x| (-radius..=radius).map(|k| reflect_101(x + k, w)).collect()).collect();
    let mut data = Vec::with_capacity(plane.data.len());
    for row in plane.data.chunks_exact(w * ch) {
        for taps in &source_x {
            for c in 0..ch {
                let sum = taps.iter().zip(kernel).fold(0f32, |acc, (&sx, &k)| acc + k * row[sx * ch + c]);
                data.push(sum);
            }
        }
    }
    PlaneF32 { data, ..*plane }
}

fn convolve_columns(plane: &PlaneF32, kernel: &[f32]) -> PlaneF32 {
    let stride = plane.width * plane.channels;
    let radius = (kernel.len() / 2) as i64;
    let mut data = Vec::with_capacity(plane.data.len());
    for y in 0..plane.height as i64 {
        let source_rows: Vec<usize> = (-radius..=radius).map(|k| reflect_101(y + k, plane.height)).collect();
        for i in 0..stride {
            let sum = source_rows.iter().zip(kernel).fold(0f32, |acc, (&sy, &k)| acc + k * plane.data[sy * stride + i]);
            data.push(sum);
        }
    }
    PlaneF32 { data, ..*plane }
}

/// OpenCV's `borderInterpolate` for `BORDER_REFLECT_101`, including offsets past a whole side.
fn reflect_101(index: i64, len: usize) -> usize {
    let len = len as i64;
    if len == 1 {
        return 0;
    }
    let period = 2 * (len - 1);
    let folded = index.rem_euclid(period);
    (if folded < len { folded } else { period - folded }) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigma_6_gives_opencvs_49_tap_normalised_symmetric_kernel() {
        let k = gaussian_kernel_for_float(6.0);
        assert_eq!(k.len(), 49);
        let sum: f32 = k.iter().sum();
        assert!((sum - 1.0).abs() < 1e-6);
        assert_eq!(k[0], k[48]);
        // centre: 1 / Σ exp(−x²/72) for x = −24..24, computed independently in closed form
        let denominator: f64 = (-24..=24).map(|x: i32| (-(f64::from(x * x)) / 72.0).exp()).sum();
        assert_eq!(k[24], (1.0 / denominator) as f32);
        assert_eq!(gaussian_kernel_for_float(0.5).len(), 5);
    }

    #[test]
    fn reflect_101_mirrors_without_repeating_the_edge() {
        let len = 4; // a b c d
        let mapped: Vec<usize> = (-3..7).map(|i| reflect_101(i, len)).collect();
        // d c b | a b c d | c b a
        assert_eq!(mapped, vec![3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
        assert_eq!(reflect_101(-5, 1), 0);
    }

    #[test]
    fn a_flat_picture_stays_flat_and_an_impulse_spreads_as_the_kernel() {
        let kernel = gaussian_kernel_for_float(1.0); // 9 taps
        let flat = PlaneF32 { width: 12, height: 10, channels: 2, data: vec![200.0; 240] };
        assert!(blur_reflect101(&flat, &kernel).data.iter().all(|v| (v - 200.0).abs() < 1e-3));

        let mut impulse = PlaneF32 { width: 21, height: 21, channels: 1, data: vec![0.0; 441] };
        impulse.data[10 * 21 + 10] = 1.0;
        let blurred = blur_reflect101(&impulse, &kernel);
        for (dy, ky) in kernel.iter().enumerate() {
            for (dx, kx) in kernel.iter().enumerate() {
                let got = blurred.data[(6 + dy) * 21 + (6 + dx)];
                assert!((got - ky * kx).abs() < 1e-7);
            }
        }
    }

    #[test]
    fn the_border_is_reflected_not_replicated() {
        // Row 9 0 0 0 ...: reflect-101 mirrors the 0 at index 1 onto index −1, so the blurred edge is
        // k0·9 + 2·k1·0 + ... = centre weight · 9 plus the weight that index −2 -> 2 brings (0).
        let kernel = gaussian_kernel_for_float(0.5); // 5 taps
        let mut row = PlaneF32 { width: 8, height: 1, channels: 1, data: vec![0.0; 8] };
        row.data[0] = 9.0;
        let blurred = blur_reflect101(&row, &kernel);
        assert!((blurred.data[0] - 9.0 * kernel[2]).abs() < 1e-6);
        assert!((blurred.data[1] - 9.0 * kernel[1]).abs() < 1e-6);
    }
}
