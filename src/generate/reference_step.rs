//! Reference units during sampling: each picture's latent posterior encoded once per generation, a
//! sample of it per image, and at every step those latents noised to the step's level and run through
//! the UNet to fill the bank the generation's pass reads (see `model::unet::reference`).
//!
//! As diffusers' community reference pipeline does: the posterior is *sampled* (mean + std · noise), the
//! noise of a step is added at that step's exact level (the sampler's `add_noise`), both halves of a
//! guided batch see the same noised reference, and the reference's own pass gets no ControlNet residuals.

use burn::tensor::{Device, Tensor, TensorData};

use crate::model::{ReferenceBank, ReferenceEffect, ReferencePass};
use crate::sampling::Sampler;
use crate::sampling::noise::ImageNoise;
use crate::vocabulary::RngSource;

use super::error::GenerateError;
use super::models::Models;
use super::pipeline::image_to_planes;
use super::posterior::{HostPosterior, encode_planes};
use super::request::{ReferenceNoise, ReferenceUnit};

/// Added to an image's seed for its reference noise (unit u adds u more), so the reference draws never
/// repeat the image's own initial or ancestral noise.
const REFERENCE_SEED_OFFSET: u64 = 0x5EF0_0000;

/// A reference unit with its picture's latent posterior (mean and standard deviation, unscaled), on
/// the host.
pub struct PreparedReference<'a> {
    pub unit: &'a ReferenceUnit,
    posterior: HostPosterior,
}

impl<'a> PreparedReference<'a> {
    /// Encodes the unit's picture with the VAE (in f32, as every VAE encode).
    pub fn new(unit: &'a ReferenceUnit, models: &Models, device: &Device) -> Result<Self, GenerateError> {
        let size = [unit.image.height() as usize, unit.image.width() as usize];
        let posterior = encode_planes(models, image_to_planes(&unit.image), size, device)?;
        Ok(Self { unit, posterior: HostPosterior::read(posterior, "encoding a reference picture")? })
    }

    /// The reference's latents for one image: (mean + std · `noise`) · 0.18215.
    fn sample(&self, noise: &[f32]) -> Vec<f32> {
        self.posterior.sample(noise)
    }

    fn effect(&self) -> ReferenceEffect {
        let settings = &self.unit.settings;
        ReferenceEffect {
            attention: settings.mode.shares_attention(),
            adain: settings.mode.matches_statistics(),
            weight: settings.weight as f32,
            style_fidelity: settings.style_fidelity as f32,
        }
    }
}

/// Where a group of images gets its reference draws.
enum Draws<'a> {
    Given(&'a ReferenceNoise),
    /// One generator set per unit, seeded from each image's seed.
    Seeded(Vec<ImageNoise>),
}

/// The reference units of the images sampled together: each unit's latents for every image, and the
/// draws still to come.
pub struct GroupReferences<'a> {
    prepared: &'a [PreparedReference<'a>],
    /// Per unit: the images' reference latents one after another.
    latents: Vec<Vec<f32>>,
    draws: Draws<'a>,
    images: usize,
}

impl<'a> GroupReferences<'a> {
    /// For the images of `seeds` (one per image) on latents of [h, w].
    pub fn new(
        prepared: &'a [PreparedReference<'a>],
        given: Option<&'a ReferenceNoise>,
        rng: RngSource,
        seeds: &[u64],
        [h, w]: [usize; 2],
    ) -> Self {
        let images = seeds.len();
        let mut draws = match given {
            Some(noise) => Draws::Given(noise),
            None => Draws::Seeded(
                (0..prepared.len() as u64)
                    .map(|unit| {
                        let offset = REFERENCE_SEED_OFFSET.wrapping_add(unit);
                        ImageNoise::new(rng, seeds.iter().map(|seed| seed.wrapping_add(offset)).collect(), h, w, 0)
                    })
                    .collect(),
            ),
        };
        let latents = prepared
            .iter()
            .enumerate()
            .map(|(unit, reference)| {
                let noise = match &mut draws {
                    Draws::Given(noise) => noise.encode.repeat(images),
                    Draws::Seeded(generators) => generators[unit].first(),
                };
                let per_image = reference.posterior.len();
                noise.chunks_exact(per_image).flat_map(|noise| reference.sample(noise)).collect()
            })
            .collect();
        Self { prepared, latents, draws, images }
    }

    /// The UNet inputs of the units acting at the `k`-th step run (of `run`), which is the sampler's step
    /// `step`: each unit's latents noised to the step's level and scaled as the sampler scales its
    /// input. Every unit draws its noise whether it acts or not, so a unit's start and end never change
    /// another's noise.
    pub fn inputs(
        &mut self,
        sampler: &dyn Sampler,
        step: usize,
        (k, run): (usize, usize),
    ) -> Result<Vec<(ReferenceEffect, Vec<f32>)>, GenerateError> {
        let mut inputs = Vec::new();
        for (unit, reference) in self.prepared.iter().enumerate() {
            let noise = match &mut self.draws {
                Draws::Given(noise) => {
                    let one = reference.posterior.len();
                    noise.steps[k * one..(k + 1) * one].repeat(self.images)
                }
                Draws::Seeded(generators) => generators[unit].next_noise(),
            };
            if !reference.unit.settings.active_at(k, run) {
                continue;
            }
            let noised = sampler.add_noise(step, &self.latents[unit], &noise)?;
            inputs.push((reference.effect(), sampler.scale_model_input(step, &noised)?));
        }
        Ok(inputs)
    }
}

/// The banks of the units acting at this step: each unit's reference pass over `inputs` ([n, 4, h, w]
/// for the n images of the batch), both halves of a guided batch alike.
pub fn fill_banks(
    models: &Models,
    device: &Device,
    inputs: &[(ReferenceEffect, Vec<f32>)],
    [h, w]: [usize; 2],
    guided: bool,
    timestep: f32,
    context: &Tensor<3>,
) -> Result<Vec<ReferenceBank>, GenerateError> {
    let mut banks = Vec::with_capacity(inputs.len());
    for (effect, input) in inputs {
        let images = input.len() / (4 * h * w);
        let x = Tensor::<4>::from_data(TensorData::new(input.clone(), [images, 4, h, w]), (device, models.dtype));
        let batch = if guided { Tensor::cat(vec![x.clone(), x], 0) } else { x };
        let mut bank = ReferenceBank::new(*effect);
        // Only the kept tokens and statistics matter; the prediction itself is not used.
        let _ = models.unet.forward_with_reference(batch, &[timestep], context, None, &mut ReferencePass::Write(&mut bank))?;
        banks.push(bank);
    }
    Ok(banks)
}
