//! The color guide: what the hinted areas are held to while a generation starts.

use image::{GrayImage, RgbImage};

use crate::sampling::noise::LATENT_CHANNELS;

/// Pixels per latent pixel along each side (SD's VAE downsamples by 8).
const LATENT_SCALE: u32 = 8;

/// The hints spread into their areas, at the generation size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColorGuide {
    /// Each hinted area in its hint color with the lines multiplied over it; elsewhere the line art on
    /// white paper (not held, but the VAE sees a clean picture around the hinted areas).
    pub image: RgbImage,
    /// 255 where the guide holds the generation (the hinted areas, their lines included), 0 elsewhere.
    pub coverage: GrayImage,
}

impl ColorGuide {
    /// How many pixels are held.
    pub fn held_pixels(&self) -> usize {
        self.coverage.pixels().filter(|p| p.0[0] > 0).count()
    }

    /// The held share of each latent pixel (the mean coverage of its 8×8 block), row by row: a block
    /// across an area's edge is held in part, which softens the edge the model sees.
    pub fn latent_mask(&self) -> Vec<f32> {
        let (width, height) = self.coverage.dimensions();
        let (latent_width, latent_height) = (width / LATENT_SCALE, height / LATENT_SCALE);
        let block = (LATENT_SCALE * LATENT_SCALE) as f32 * 255.0;
        let mut mask = Vec::with_capacity((latent_width * latent_height) as usize);
        for ly in 0..latent_height {
            for lx in 0..latent_width {
                let mut sum = 0u32;
                for y in ly * LATENT_SCALE..(ly + 1) * LATENT_SCALE {
                    for x in lx * LATENT_SCALE..(lx + 1) * LATENT_SCALE {
                        sum += u32::from(self.coverage.get_pixel(x, y).0[0]);
                    }
                }
                mask.push(sum as f32 / block);
            }
        }
        mask
    }

    /// [`Self::latent_mask`] repeated for each latent channel: `[4, h, w]`, as the latents are laid out.
    pub fn latent_mask_channels(&self) -> Vec<f32> {
        self.latent_mask().repeat(LATENT_CHANNELS)
    }
}
