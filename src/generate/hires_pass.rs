//! A1111's hires fix, its second pass (`StableDiffusionProcessingTxt2Img.sample_hr_pass`): each first-pass
//! picture enlarged — its latents by one of the latent modes, or its picture (decoded, truncated to 8 bits,
//! enlarged by the upscaler as `images.resize_image` does, encoded again) — then sampled as img2img at the
//! larger size: the seed's noise drawn afresh at that size, a schedule of ⌊steps ÷ min(strength, 0.999)⌋ of
//! which the last `steps` run (A1111 always counts hires steps this way), the line-art units guiding with
//! hints made at that size. Reference units and color hints act in the first pass only.

use burn::tensor::Device;

use crate::sampling::noise::{ImageNoise, LATENT_CHANNELS};
use crate::sampling::{self, hires_schedule};
use crate::upscale::{Resample, Upscaler, resize};

use super::conditioning::StepContexts;
use super::control_step::PreparedUnit;
use super::denoise::{Denoiser, StepInputs};
use super::error::GenerateError;
use super::models::Models;
use super::pipeline::{decode_at, encode_picture, planes_to_rgb_truncated};
use super::progress::{Flow, Observer, StepProgress};
use super::reference_step::GroupReferences;
use super::request::{ControlUnit, HiresUpscale, Request};

/// What the second passes of a request share: the enlarged size, the upscaler (its network loaded), the
/// units with their second-pass hints, and the prompts encoded for its steps.
pub(super) struct HiresRun {
    /// [width, height] of the second pass.
    size: [u32; 2],
    upscale: Enlarge,
    units: Vec<ControlUnit>,
    contexts: StepContexts,
    /// Steps the second pass runs.
    steps: usize,
}

/// The upscaler, ready.
enum Enlarge {
    Latent(crate::upscale::LatentUpscale),
    Picture(Upscaler),
}

/// One image's place in the request, for progress and noise.
pub(super) struct ImageSlot {
    pub index: usize,
    pub seed: u64,
    /// Steps the first pass ran, so progress counts on from there.
    pub first_steps: usize,
}

impl HiresRun {
    /// The second pass of `request`, `None` without hires fix. An upscaler network is loaded onto `device`
    /// here, once per request.
    pub fn prepare(
        models: &Models,
        request: &Request,
        device: &Device,
        contexts: StepContexts,
    ) -> Result<Option<Self>, GenerateError> {
        let (Some(pass), Some(size)) = (&request.hires, request.hires_size()) else { return Ok(None) };
        let upscale = match &pass.upscale {
            HiresUpscale::Latent(mode) => Enlarge::Latent(*mode),
            HiresUpscale::Picture(choice) => Enlarge::Picture(Upscaler::load(choice.clone(), device, models.dtype)?),
        };
        let units = request
            .control
            .iter()
            .zip(&pass.hints)
            .map(|(unit, hint)| ControlUnit { hint: hint.clone(), ..unit.clone() })
            .collect();
        Ok(Some(Self { size, upscale, units, contexts, steps: request.hires_steps() }))
    }

    /// [h, w] of the second pass's latents.
    pub fn latent_size(&self) -> [usize; 2] {
        [self.size[1] as usize / 8, self.size[0] as usize / 8]
    }

    /// The second pass of one image from its first-pass `latents`: the final latents at the larger size,
    /// `None` when the observer cancelled.
    pub fn run(
        &self,
        models: &Models,
        request: &Request,
        device: &Device,
        slot: ImageSlot,
        latents: &[f32],
        observer: &mut dyn Observer,
    ) -> Result<Option<Vec<f32>>, GenerateError> {
        let enlarged = self.enlarge(models, request, device, latents)?;
        let [h, w] = self.latent_size();
        let (total, start) = hires_schedule(self.steps, request.strength())?;
        let mut sampler = sampling::sampler(request.sampler()?, total)?;
        let mut generator = ImageNoise::new(request.settings.rng, vec![slot.seed], h, w, request.eta_noise_seed_delta());
        let noise = generator.first();
        let noised = sampler.add_noise(start, &enlarged, &noise)?;
        let prepared: Vec<PreparedUnit> =
            self.units.iter().map(|unit| PreparedUnit::new(unit, self.contexts.batch(), models, device)).collect();
        let denoiser = Denoiser {
            models,
            device,
            contexts: &self.contexts,
            cfg_scale: request.cfg_scale(),
            units: &prepared,
            latent_size: [h, w],
            extra_channels: None,
        };
        let references = GroupReferences::new(&[], None, request.settings.rng, &[slot.seed], [h, w]);
        let mut fresh = |_: usize| generator.next_noise();
        let steps = slot.first_steps + self.steps;
        let mut after_step = |k: usize, latents: &[f32]| {
            let progress = StepProgress {
                image: slot.index,
                together: 1,
                images: request.batch_count(),
                step: slot.first_steps + k + 1,
                steps,
                latents,
                latent_size: [h, w],
            };
            observer.step(&progress)
        };
        if after_step(0, &noised) == Flow::Cancel {
            return Ok(None);
        }
        let inputs = StepInputs { noise: &mut fresh, references, hold: None, blend: None };
        denoiser.run(sampler.as_mut(), start, noised, inputs, &mut after_step)
    }

    /// The first pass's latents at the second pass's size.
    fn enlarge(&self, models: &Models, request: &Request, device: &Device, latents: &[f32]) -> Result<Vec<f32>, GenerateError> {
        let to = self.latent_size();
        match &self.upscale {
            Enlarge::Latent(mode) => Ok(mode.resize(latents, LATENT_CHANNELS, request.latent_size(), to)),
            Enlarge::Picture(upscaler) => {
                let planes = decode_at(models, latents, request.latent_size(), device)?;
                let picture = planes_to_rgb_truncated(&planes, request.width(), request.height());
                let [width, height] = self.size;
                let enlarged = enlarge_picture(upscaler, &picture, width, height)?;
                encode_picture(models, &enlarged, device)
            }
        }
    }
}

/// A1111's `images.resize_image` in its "just resize" mode: "None" is one Lanczos resize; any other
/// upscaler enlarges by the larger of the two ratios, then Lanczos brings it to the exact size.
fn enlarge_picture(
    upscaler: &Upscaler,
    picture: &image::RgbImage,
    width: u32,
    height: u32,
) -> Result<image::RgbImage, GenerateError> {
    if matches!(upscaler, Upscaler::None) {
        return Ok(resize(picture, width, height, Resample::Lanczos)?);
    }
    let scale = (f64::from(width) / f64::from(picture.width())).max(f64::from(height) / f64::from(picture.height()));
    let enlarged = if scale > 1.0 { upscaler.upscale(picture, scale, &mut |_| true)? } else { picture.clone() };
    Ok(resize(&enlarged, width, height, Resample::Lanczos)?)
}
