//! The mask at the latents' size, in the two forms the sampling takes: the blend of an ordinary
//! checkpoint (A1111: Pillow's default bicubic resize of the mask, ÷255, rounded) and the extra input of
//! an inpainting checkpoint (diffusers and A1111: the mask binarized at one half, then every eighth pixel,
//! as torch's nearest `interpolate`).

use image::GrayImage;

use super::error::InpaintError;
use crate::upscale::{Resample, resize_gray};

/// 1 where the latents are redrawn, 0 where the original's are kept, [h × w] for `mask` at the
/// generation size (A1111's `nmask`; its `mask` is 1 minus this).
pub fn latent_blend_mask(mask: &GrayImage, [h, w]: [usize; 2]) -> Result<Vec<f32>, InpaintError> {
    let small = resize_gray(mask, w as u32, h as u32, Resample::Bicubic)?;
    Ok(small.pixels().map(|pixel| (f32::from(pixel.0[0]) / 255.0).round_ties_even()).collect())
}

/// An inpainting checkpoint's mask channel, [h × w]: 1 where the picture is redrawn.
pub fn conditioning_mask(mask: &GrayImage, [h, w]: [usize; 2]) -> Vec<f32> {
    let scale = |latent: usize, side: u32, size: usize| ((latent * side as usize) / size) as u32;
    (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| {
            let value = mask.get_pixel(scale(x, mask.width(), w), scale(y, mask.height(), h)).0[0];
            if value >= 128 { 1.0 } else { 0.0 }
        })
        .collect()
}

/// The picture's planes ([3, H, W] in [−1, 1]) with the redrawn part set to 0, as an inpainting
/// checkpoint sees it (`image * (mask < 0.5)`).
pub fn masked_planes(planes: &[f32], mask: &GrayImage) -> Vec<f32> {
    let plane = mask.as_raw().len();
    planes.iter().enumerate().map(|(i, &v)| if mask.as_raw()[i % plane] >= 128 { 0.0 } else { v }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_latent_masks_mark_the_redrawn_block() {
        let mask = GrayImage::from_fn(32, 16, |x, _| image::Luma([if x >= 16 { 255 } else { 0 }]));
        assert_eq!(conditioning_mask(&mask, [2, 4]), [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]);
        assert_eq!(latent_blend_mask(&mask, [2, 4]).unwrap(), [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]);
        let half = GrayImage::from_pixel(8, 8, image::Luma([127]));
        assert_eq!(conditioning_mask(&half, [1, 1]), [0.0], "127/255 is below one half");
        let planes = vec![0.5f32; 3 * 32 * 16];
        let masked = masked_planes(&planes, &mask);
        assert_eq!((masked[15], masked[16], masked[32 * 16 + 16]), (0.5, 0.0, 0.0));
    }
}
