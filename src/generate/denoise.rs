//! The sampling loop of one image, or of several taking their steps together: UNet (and ControlNets)
//! on the device, sampler math on the host.
//!
//! The latents live on the host between steps as f32. A step uploads them once (a few hundred KB at
//! 512²), so the sampler arithmetic is identical on every backend and the preview costs no extra copy.

use burn::tensor::{Device, Tensor, TensorData};

use crate::sampling::{Sampler, guide};

use super::conditioning::StepContexts;
use super::control_step::{PreparedUnit, control_residuals};
use super::error::GenerateError;
use super::hold::Hold;
use super::inpaint_step::Blend;
use super::models::Models;
use super::progress::Flow;
use super::reference_step::{GroupReferences, fill_banks};
use crate::model::{ReferenceEffect, ReferencePass};

/// What stays the same across the steps of one generation.
pub struct Denoiser<'a> {
    pub models: &'a Models,
    pub device: &'a Device,
    /// [uncond, cond] contexts with guidance, [cond] without, per step.
    pub contexts: &'a StepContexts,
    pub cfg_scale: f32,
    pub units: &'a [PreparedUnit<'a>],
    /// [h, w] of the latents.
    pub latent_size: [usize; 2],
    /// An inpainting checkpoint's extra input channels for every image, [c, h, w] (see `inpaint_step`).
    pub extra_channels: Option<&'a [f32]>,
}

impl Denoiser<'_> {
    fn guided(&self) -> bool {
        self.contexts.batch() == 2
    }

    /// The guided noise prediction for `model_input` ([n, 4, h, w]: n images one after another, already
    /// scaled by the sampler). With guidance the UNet batch is [n × uncond, n × cond]. `references`:
    /// the UNet inputs of the reference units acting at this step.
    pub fn predict(
        &self,
        model_input: &[f32],
        timestep: f64,
        position: (usize, usize),
        references: &[(ReferenceEffect, Vec<f32>)],
    ) -> Result<Vec<f32>, GenerateError> {
        let [h, w] = self.latent_size;
        let images = model_input.len() / (4 * h * w);
        let data = TensorData::new(model_input.to_vec(), [images, 4, h, w]);
        let x = Tensor::<4>::from_data(data, (self.device, self.models.dtype));
        let batch = if self.guided() { Tensor::cat(vec![x.clone(), x], 0) } else { x };
        let unet_input = match self.extra_channels {
            None => batch.clone(),
            Some(extra) => self.with_extra_channels(model_input, extra, images),
        };
        let t = timestep as f32;
        let context = &per_image(self.contexts.at(position.0), images);
        let control = control_residuals(self.models, self.units, &batch, t, context, position)?;
        let banks = fill_banks(self.models, self.device, references, self.latent_size, self.guided(), t, context)?;
        let uncond_rows = if self.guided() { images } else { 0 };
        let mut reference =
            if banks.is_empty() { ReferencePass::Off } else { ReferencePass::Read { banks: &banks, uncond_rows } };
        let eps = self.models.unet.forward_with_reference(unet_input, &[t], context, control.as_ref(), &mut reference)?;
        let eps = eps
            .try_into_vec_as::<f32>()
            .map_err(|e| GenerateError::Device { during: "running the UNet", message: format!("{e:?}") })?;
        if !self.guided() {
            return Ok(eps);
        }
        let (uncond, cond) = eps.split_at(eps.len() / 2);
        Ok(guide(uncond, cond, self.cfg_scale)?)
    }

    /// The UNet input of an inpainting checkpoint: each image's latents followed by `extra`, for both
    /// halves of the guidance.
    fn with_extra_channels(&self, model_input: &[f32], extra: &[f32], images: usize) -> Tensor<4> {
        let [h, w] = self.latent_size;
        let per_image = model_input.len() / images;
        let channels = (per_image + extra.len()) / (h * w);
        let one_half: Vec<f32> = model_input.chunks(per_image).flat_map(|latents| latents.iter().chain(extra)).copied().collect();
        let rows = if self.guided() { 2 * images } else { images };
        let all = if self.guided() { one_half.repeat(2) } else { one_half };
        Tensor::<4>::from_data(TensorData::new(all, [rows, channels, h, w]), (self.device, self.models.dtype))
    }

    /// Runs `sampler` from step `start` to the end on `latents` (of one image or several, one after
    /// another), with what each step takes besides them from `inputs`; `after_step(k, latents)` hears
    /// each step and may cancel. Returns `None` when cancelled.
    pub fn run(
        &self,
        sampler: &mut dyn Sampler,
        start: usize,
        mut latents: Vec<f32>,
        inputs: StepInputs,
        after_step: &mut dyn FnMut(usize, &[f32]) -> Flow,
    ) -> Result<Option<Vec<f32>>, GenerateError> {
        let StepInputs { noise, mut references, hold, blend } = inputs;
        let steps = sampler.timesteps().len();
        let run = steps - start.min(steps);
        for step in start..steps {
            if let Some(hold) = hold {
                hold.apply(&*sampler, step, &mut latents)?;
            }
            let k = step - start;
            let timestep = sampler.timesteps()[step];
            let model_input = sampler.scale_model_input(step, &latents)?;
            let reference_inputs = references.inputs(&*sampler, step, (k, run))?;
            let mut eps = self.predict(&model_input, timestep, (k, run), &reference_inputs)?;
            if let Some(blend) = blend {
                blend.steer(&*sampler, step, &latents, &mut eps)?;
            }
            let fresh = sampler.needs_noise(step).then(|| noise(k));
            latents = sampler.step(step, &eps, &latents, fresh.as_deref())?;
            if latents.iter().any(|v| !v.is_finite()) {
                let half_precision = self.models.dtype != burn::tensor::DType::F32;
                return Err(GenerateError::NonFinite { step: k + 1, half_precision });
            }
            if after_step(k, &latents) == Flow::Cancel {
                return Ok(None);
            }
        }
        if let Some(blend) = blend {
            blend.finish(&mut latents);
        }
        Ok(Some(latents))
    }
}

/// What the steps of a run take besides the latents.
pub struct StepInputs<'a> {
    /// `noise(k)`: the fresh noise of the k-th step run (ancestral samplers).
    pub noise: &'a mut dyn FnMut(usize) -> Vec<f32>,
    /// The reference units' inputs of each step.
    pub references: GroupReferences<'a>,
    /// Keeps part of the latents to a picture during the first steps (color hints).
    pub hold: Option<&'a Hold<'a>>,
    /// Keeps the latents outside an inpainting mask to the original's (ordinary checkpoints).
    pub blend: Option<&'a Blend<'a>>,
}

/// The context [uncond, cond] (or [cond]) repeated for `images` images: [uncond × n, cond × n].
fn per_image(context: &Tensor<3>, images: usize) -> Tensor<3> {
    if images == 1 {
        return context.clone();
    }
    let [halves, tokens, width] = context.dims();
    context.clone().reshape([halves, 1, tokens, width]).repeat_dim(1, images).reshape([halves * images, tokens, width])
}
