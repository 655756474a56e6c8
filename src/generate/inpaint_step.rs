//! Inpainting in the sampling. An ordinary checkpoint redraws the masked part by blending: at every step
//! its prediction of the clean latents is kept to the original's outside the mask (A1111's `CFGDenoiser`
//! blends its samplers' `denoised` so; here the guided noise prediction is changed to the one whose clean
//! latents those are, which every sampler then follows), and the final latents are blended once more.
//! An inpainting checkpoint (9 input channels) sees the mask and the masked picture's latents next to
//! its own and is not blended (diffusers' `StableDiffusionInpaintPipeline`); at denoising strength 1 it
//! starts from pure noise as that pipeline does. "Latent noise" and "latent nothing" replace the masked
//! latents before they are noised.

use burn::tensor::Device;

use crate::inpaint::{conditioning_mask, latent_blend_mask, masked_planes};
use crate::sampling::{Sampler, SamplerError};
use crate::vocabulary::MaskedContent;

use super::error::GenerateError;
use super::models::Models;
use super::pipeline::image_to_planes;
use super::posterior::{HostPosterior, encode_planes};
use super::request::{Request, RequestError};

/// Input channels of an inpainting checkpoint's UNet: latents, mask, masked picture's latents.
pub const INPAINTING_CHANNELS: usize = 9;

/// What a request's inpainting adds to the sampling, made once.
pub(super) struct Inpainting {
    /// 1 where the latents are redrawn, [4, h, w] (A1111's `nmask`); `None` without a mask.
    redraw: Option<Vec<f32>>,
    masked_content: MaskedContent,
    /// The extra UNet input of an inpainting checkpoint, [5, h, w]; `None` for an ordinary one.
    extra_channels: Option<Vec<f32>>,
}

/// What an inpainting checkpoint cannot run: hires fix's second pass and reference units (both run the
/// UNet without the extra channels).
pub(super) fn check_checkpoint(models: &Models, request: &Request) -> Result<(), RequestError> {
    if models.unet.in_channels() != INPAINTING_CHANNELS {
        return Ok(());
    }
    let why = "an inpainting checkpoint (9 input channels) does not run it: choose an ordinary checkpoint";
    if request.hires.is_some() {
        return Err(RequestError::Hires(why.to_string()));
    }
    if !request.reference.is_empty() {
        return Err(RequestError::ReferenceUnit { unit: 0, problem: why.to_string() });
    }
    Ok(())
}

impl Inpainting {
    /// `None` when the request has no mask and the checkpoint is an ordinary one.
    pub fn prepare(models: &Models, request: &Request, device: &Device) -> Result<Option<Self>, GenerateError> {
        let mask = request.init_image.as_ref().and_then(|init| init.mask.as_ref());
        let inpainting_checkpoint = models.unet.in_channels() == INPAINTING_CHANNELS;
        if mask.is_none() && !inpainting_checkpoint {
            return Ok(None);
        }
        let size = request.latent_size();
        let redraw = match mask {
            Some(mask) => Some(latent_blend_mask(&mask.mask, size)?.repeat(4)),
            None => None,
        };
        let extra_channels = if inpainting_checkpoint { Some(extra_channels(models, request, device)?) } else { None };
        let masked_content = request.settings.inpaint.map(|inpaint| inpaint.masked_content).unwrap_or_default();
        Ok(Some(Inpainting { redraw, masked_content, extra_channels }))
    }

    /// The inpainting checkpoint's extra input for one image, [5, h, w].
    pub fn extra_channels(&self) -> Option<&[f32]> {
        self.extra_channels.as_deref()
    }

    /// Whether the sampling starts from pure noise whatever the init image: an inpainting checkpoint at
    /// denoising strength 1.
    pub fn starts_from_noise(&self, strength: f64) -> bool {
        self.extra_channels.is_some() && strength >= 1.0
    }

    /// The clean latents `x0` of `images` images with their masked part replaced as the masked content
    /// says (`noise`: each image's own initial noise, as A1111 draws "latent noise" from the seeds).
    pub fn masked_start(&self, x0: Vec<f32>, noise: &[f32]) -> Vec<f32> {
        let Some(redraw) = &self.redraw else { return x0 };
        let replacement = |i: usize| match self.masked_content {
            MaskedContent::LatentNoise => noise[i],
            MaskedContent::LatentNothing => 0.0,
            MaskedContent::Fill | MaskedContent::Original => x0[i],
        };
        (0..x0.len()).map(|i| x0[i] * (1.0 - redraw[i % redraw.len()]) + replacement(i) * redraw[i % redraw.len()]).collect()
    }

    /// The blend an ordinary checkpoint's steps follow, toward `x0`; `None` for an inpainting checkpoint.
    pub fn blend<'a>(&'a self, x0: &'a [f32]) -> Option<Blend<'a>> {
        match (&self.redraw, &self.extra_channels) {
            (Some(redraw), None) => Some(Blend { redraw, x0 }),
            _ => None,
        }
    }
}

/// Keeps the unmasked latents to the original's (an ordinary checkpoint's inpainting).
pub struct Blend<'a> {
    /// 1 where redrawn, [4, h, w] (repeated over the images).
    redraw: &'a [f32],
    /// The original's clean latents, one image after another.
    x0: &'a [f32],
}

impl Blend<'_> {
    /// The noise prediction at `step` whose clean latents are the model's inside the mask and the
    /// original's outside: with x = a·x₀ + s·ε (the sampler's noise level), ε' = m·ε + (1 − m)·(x − a·x₀)/s.
    pub fn steer(&self, sampler: &dyn Sampler, step: usize, latents: &[f32], eps: &mut [f32]) -> Result<(), SamplerError> {
        let signal = f64::from(sampler.add_noise(step, &[1.0], &[0.0])?[0]);
        let spread = f64::from(sampler.add_noise(step, &[0.0], &[1.0])?[0]);
        for (i, eps) in eps.iter_mut().enumerate() {
            let m = f64::from(self.redraw[i % self.redraw.len()]);
            let toward = (f64::from(latents[i]) - signal * f64::from(self.x0[i])) / spread;
            *eps = (m * f64::from(*eps) + (1.0 - m) * toward) as f32;
        }
        Ok(())
    }

    /// The finished latents blended once more (A1111's `samples * nmask + init_latent * mask`).
    pub fn finish(&self, latents: &mut [f32]) {
        for (i, latent) in latents.iter_mut().enumerate() {
            let m = self.redraw[i % self.redraw.len()];
            *latent = *latent * m + self.x0[i] * (1.0 - m);
        }
    }
}

/// The mask channel and the masked picture's latents, [5, h, w]: from the request's mask, or with no
/// mask (an inpainting checkpoint asked for txt2img or plain img2img) everything masked and a grey
/// picture, as A1111 conditions them then.
fn extra_channels(models: &Models, request: &Request, device: &Device) -> Result<Vec<f32>, GenerateError> {
    let [h, w] = request.latent_size();
    let (width, height) = (request.width(), request.height());
    let (mask, planes) = match request.init_image.as_ref().and_then(|init| init.mask.as_ref().map(|mask| (init, mask))) {
        Some((init, mask)) => (conditioning_mask(&mask.mask, [h, w]), masked_planes(&image_to_planes(&init.rgb), &mask.mask)),
        None => (vec![1.0; h * w], vec![0.0; 3 * width * height]),
    };
    let posterior = encode_planes(models, planes, [height, width], device)?;
    let posterior = HostPosterior::read(posterior, "encoding the masked picture")?;
    let latents = match &request.noise.masked_image {
        Some(draw) => posterior.sample(draw),
        None => posterior.mean_latents(),
    };
    Ok(mask.into_iter().chain(latents).collect())
}
