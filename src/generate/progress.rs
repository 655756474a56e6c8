//! What a running generation tells its caller, and how the caller stops it.

use super::preview::{RgbPreview, latent_preview};

/// The caller's answer after each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Stop after this step: nothing more is computed or written.
    Cancel,
}

/// Where a generation is: image `image` (0-based) of `images`, step `step` (1-based) of `steps`; the
/// `together` images from `image` on take their steps together (one UNet batch).
#[derive(Debug)]
pub struct StepProgress<'a> {
    pub image: usize,
    pub together: usize,
    pub images: usize,
    pub step: usize,
    pub steps: usize,
    /// The current latents of image `image`, [4, h, w] row-major.
    pub latents: &'a [f32],
    /// [h, w] of the latents.
    pub latent_size: [usize; 2],
}

impl StepProgress<'_> {
    /// The cheap RGB preview of the current latents (1/8 of the image size).
    pub fn preview(&self) -> RgbPreview {
        latent_preview(self.latents, self.latent_size[0], self.latent_size[1])
    }
}

/// A finished picture, handed over before the next one starts.
#[derive(Debug, Clone)]
pub struct FinishedImage {
    pub index: usize,
    pub seed: u64,
    pub image: image::RgbImage,
    /// The final latents [1, 4, h, w] (diffusion space).
    pub latents: Vec<f32>,
}

/// Receives progress and finished images. `image` returns an error message when it cannot keep the
/// picture (e.g. the disk is full); the generation then stops with the images kept so far.
pub trait Observer {
    fn step(&mut self, progress: &StepProgress) -> Flow;
    fn image(&mut self, image: FinishedImage) -> Result<(), String>;
}

/// How a generation ended: how many images were handed over, and whether it was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub images: usize,
    pub cancelled: bool,
}
