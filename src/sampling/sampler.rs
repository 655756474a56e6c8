//! What the generation pipeline asks of every sampler. The UNet runs elsewhere; a sampler only turns
//! latents and the (guided) noise prediction into the next latents, on host `f32` buffers.
//!
//! One generation, as diffusers' StableDiffusionPipeline runs it:
//! ```text
//! latents = sampler.init_latents(unit_noise)                      // txt2img
//! for step in 0..sampler.steps():
//!     x   = sampler.scale_model_input(step, &latents)?            // duplicated for [uncond, cond]
//!     eps = guide(unet(x, sampler.timesteps()[step], uncond), unet(..., cond), cfg)?
//!     latents = sampler.step(step, &eps, &latents, noise_if(sampler.needs_noise(step)))?
//! ```
//! img2img starts at `s = start_step(steps, strength)?` from `sampler.add_noise(s, &x0, &unit_noise)?`
//! and runs `s..steps`. Multistep samplers keep their history inside and start it at the first step they
//! are given, as diffusers does after `set_begin_index`.

use super::error::SamplerError;
use crate::vocabulary::SamplerKind;

pub trait Sampler {
    fn kind(&self) -> SamplerKind;

    /// The timestep given to the UNet at each step, from high noise to low. May be fractional (Euler
    /// with 5 steps: 999, 749.25, 499.5, 249.75, 0).
    fn timesteps(&self) -> &[f64];

    fn steps(&self) -> usize {
        self.timesteps().len()
    }

    /// Standard deviation of the txt2img starting latents (14.6146 for the Euler samplers, 1 for the
    /// VP ones).
    fn init_noise_sigma(&self) -> f32;

    /// txt2img starting latents: unit normal noise × [`Sampler::init_noise_sigma`] (in f32, as torch).
    fn init_latents(&self, unit_noise: &[f32]) -> Vec<f32> {
        let sigma = self.init_noise_sigma();
        unit_noise.iter().map(|&n| n * sigma).collect()
    }

    /// The UNet input at `step` (Euler samplers divide by √(σ²+1); the others pass latents through).
    fn scale_model_input(&self, step: usize, latents: &[f32]) -> Result<Vec<f32>, SamplerError>;

    /// Whether `step` adds fresh unit noise (ancestral steps). Such a step fails without it.
    fn needs_noise(&self, _step: usize) -> bool {
        false
    }

    /// The latents after `step`, from the guided noise prediction at `step`. `noise` is read only when
    /// [`Sampler::needs_noise`] says so; all buffers must have the latents' length.
    fn step(&mut self, step: usize, guided_eps: &[f32], latents: &[f32], noise: Option<&[f32]>)
    -> Result<Vec<f32>, SamplerError>;

    /// img2img starting latents: clean latents `x0` noised to the level of `start_step`
    /// (VE samplers x0 + σ·noise, VP samplers √ᾱ·x0 + √(1−ᾱ)·noise), as diffusers' `add_noise`.
    fn add_noise(&self, start_step: usize, x0: &[f32], unit_noise: &[f32]) -> Result<Vec<f32>, SamplerError>;
}
