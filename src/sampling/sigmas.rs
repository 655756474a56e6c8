//! The per-run schedule of the sigma-based samplers (Euler, Euler a, DPM++ 2M, UniPC): the timestep
//! given to the UNet at each step and the VE noise level σ before each step, plus a final σ = 0
//! (diffusers' `final_sigmas_type = "zero"`). Sigmas are float32 values, as diffusers stores them.

use super::error::SamplerError;
use super::karras::{karras_sigmas, sigma_to_t};
use super::schedule::{TrainSchedule, round_f32};
use super::spacing::{interp, linspace_float, linspace_rounded};

#[derive(Debug, Clone)]
pub(crate) struct SigmaSchedule {
    timesteps: Vec<f64>,
    /// One more than `timesteps`: σ before each step, then the final 0.
    sigmas: Vec<f64>,
}

impl SigmaSchedule {
    /// Euler / Euler a (`timestep_spacing="linspace"`, `interpolation_type="linear"`): fractional
    /// timesteps, σ interpolated linearly between the neighbouring integer timesteps.
    pub(crate) fn linspace_float(train: &TrainSchedule, steps: usize) -> Self {
        Self::at_timesteps(train, linspace_float(steps))
    }

    /// DPM++ 2M and UniPC with diffusers' default `linspace` spacing: integer timesteps, exact σ.
    pub(crate) fn linspace_rounded(train: &TrainSchedule, steps: usize) -> Self {
        Self::at_timesteps(train, linspace_rounded(steps))
    }

    /// DPM++ 2M Karras: Karras sigmas between the training σ_min and σ_max, each mapped back to a
    /// timestep and rounded (diffusers rounds them; A1111 keeps them fractional in k-diffusion).
    pub(crate) fn karras(train: &TrainSchedule, steps: usize) -> Self {
        let train_sigmas = train.sigmas();
        let sigma_min = train_sigmas[0];
        let sigma_max = train_sigmas[train_sigmas.len() - 1];
        let log_sigmas = train.log_sigmas();
        let karras = karras_sigmas(sigma_min, sigma_max, steps);
        let timesteps = karras.iter().map(|&s| sigma_to_t(s, &log_sigmas).round_ties_even()).collect();
        Self::with_final_zero(timesteps, karras)
    }

    fn at_timesteps(train: &TrainSchedule, timesteps: Vec<f64>) -> Self {
        let sigmas = timesteps.iter().map(|&t| interp(t, train.sigmas())).collect();
        Self::with_final_zero(timesteps, sigmas)
    }

    fn with_final_zero(timesteps: Vec<f64>, sigmas: Vec<f64>) -> Self {
        let sigmas = sigmas.into_iter().map(round_f32).chain([0.0]).collect();
        SigmaSchedule { timesteps, sigmas }
    }

    pub(crate) fn timesteps(&self) -> &[f64] {
        &self.timesteps
    }

    pub(crate) fn steps(&self) -> usize {
        self.timesteps.len()
    }

    /// σ before step `step` (the σ at `timesteps[step]`).
    pub(crate) fn sigma(&self, step: usize) -> Result<f64, SamplerError> {
        self.check_step(step)?;
        Ok(self.sigmas[step])
    }

    /// σ after step `step` (0 after the last one).
    pub(crate) fn next_sigma(&self, step: usize) -> Result<f64, SamplerError> {
        self.check_step(step)?;
        Ok(self.sigmas[step + 1])
    }

    /// The largest σ of the run (diffusers' `sigmas.max()`).
    pub(crate) fn max_sigma(&self) -> f64 {
        self.sigmas.iter().copied().fold(0.0, f64::max)
    }

    pub(crate) fn check_step(&self, step: usize) -> Result<(), SamplerError> {
        if step < self.steps() { Ok(()) } else { Err(SamplerError::StepOutOfRange { step, steps: self.steps() }) }
    }

    #[cfg(test)]
    pub(crate) fn all_sigmas(&self) -> &[f64] {
        &self.sigmas
    }
}
