//! A cheap live preview: latents mapped to RGB by one fixed linear map, no VAE.
//!
//! The 4×3 matrix is the "Approx cheap" map A1111 uses for SD1.x previews (fitted on SD1.5 latents):
//! each latent pixel becomes one RGB pixel, so the preview is 1/8 of the image's size and costs
//! nothing next to a UNet step.

/// Rows: latent channels 0..4; columns: R, G, B.
const LATENT_TO_RGB: [[f32; 3]; 4] =
    [[0.298, 0.207, 0.208], [0.187, 0.286, 0.173], [-0.158, 0.189, 0.264], [-0.184, -0.271, -0.473]];

/// An RGB8 picture, row-major, 3 bytes per pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbPreview {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

/// Maps one image's latents [4, h, w] (diffusion space, row-major) to an h×w RGB picture.
pub fn latent_preview(latents: &[f32], height: usize, width: usize) -> RgbPreview {
    let plane = height * width;
    let mut pixels = Vec::with_capacity(plane * 3);
    for p in 0..plane {
        let mut rgb = [0.0f32; 3];
        for (c, weights) in LATENT_TO_RGB.iter().enumerate() {
            let latent = latents.get(c * plane + p).copied().unwrap_or(0.0);
            rgb.iter_mut().zip(weights).for_each(|(value, weight)| *value += latent * weight);
        }
        pixels.extend(rgb.map(|value| unit_to_byte((value + 1.0) / 2.0)));
    }
    RgbPreview { width, height, pixels }
}

/// [0, 1] → 0..=255, clamped and rounded (NaN becomes 0).
pub fn unit_to_byte(value: f32) -> u8 {
    (value.clamp(0.0, 1.0) * 255.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_latent_pixel_becomes_one_rgb_pixel() {
        // 2×1 latent: pixel 0 has channel 0 = 1, pixel 1 is all zeros (mid grey).
        let latents = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let preview = latent_preview(&latents, 1, 2);
        assert_eq!((preview.width, preview.height), (2, 1));
        let expected = |v: f32| ((v + 1.0) / 2.0 * 255.0).round() as u8;
        assert_eq!(&preview.pixels[..3], &[expected(0.298), expected(0.207), expected(0.208)]);
        assert_eq!(&preview.pixels[3..], &[128, 128, 128]);
    }

    #[test]
    fn bytes_are_clamped_and_nan_is_black() {
        assert_eq!((unit_to_byte(-3.0), unit_to_byte(7.0), unit_to_byte(f32::NAN)), (0, 255, 0));
    }
}
