//! DDIM: diffusers' `DDIMScheduler` with η = 0 (deterministic), in VP space.
//!
//! Configuration, as in the parity fixture run `pipe.ddim` (SD1.5's own scheduler config): epsilon
//! prediction, `timestep_spacing="leading"` with `steps_offset=1` (4 steps: 751, 501, 251, 1),
//! `set_alpha_to_one=False` (the step after t = 1 lands on ᾱ₀, not 1), no sample clipping.

use super::error::SamplerError;
use super::latents::zip_map;
use super::sampler::Sampler;
use super::schedule::{TRAIN_STEPS, TrainSchedule, round_f32};
use super::spacing::leading;
use crate::vocabulary::SamplerKind;

const STEPS_OFFSET: usize = 1;

pub(crate) struct Ddim {
    alphas_cumprod: Vec<f64>,
    timesteps: Vec<usize>,
    timesteps_f64: Vec<f64>,
    step_ratio: usize,
}

/// √ᾱ and √(1 − ᾱ) of one timestep, as the float32 scalars diffusers multiplies with (DDIM and LCM).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoiseLevel {
    pub(crate) sqrt_alpha: f64,
    pub(crate) sqrt_one_minus_alpha: f64,
}

impl NoiseLevel {
    pub(crate) fn new(alpha_cumprod: f64) -> Self {
        NoiseLevel {
            sqrt_alpha: round_f32(alpha_cumprod.sqrt()),
            sqrt_one_minus_alpha: round_f32(round_f32(1.0 - alpha_cumprod).sqrt()),
        }
    }
}

impl Ddim {
    /// Fails for step counts whose leading spacing would pass the last training timestep (1000 steps).
    pub(crate) fn new(train: &TrainSchedule, steps: usize) -> Result<Self, SamplerError> {
        let timesteps = leading(steps, STEPS_OFFSET);
        if timesteps.first().is_some_and(|&t| t >= TRAIN_STEPS) {
            return Err(SamplerError::InvalidSteps { sampler: "DDIM", steps, max: TRAIN_STEPS - 1 });
        }
        Ok(Ddim {
            alphas_cumprod: train.alphas_cumprod().to_vec(),
            timesteps_f64: timesteps.iter().map(|&t| t as f64).collect(),
            timesteps,
            step_ratio: TRAIN_STEPS / steps,
        })
    }

    fn timestep(&self, step: usize) -> Result<usize, SamplerError> {
        self.timesteps.get(step).copied().ok_or(SamplerError::StepOutOfRange { step, steps: self.timesteps.len() })
    }

    /// The level after `timestep`: ᾱ at t − 1000/n, or ᾱ₀ past the start (`set_alpha_to_one=False`).
    fn previous_level(&self, timestep: usize) -> NoiseLevel {
        let previous = timestep.saturating_sub(self.step_ratio);
        NoiseLevel::new(self.alphas_cumprod[previous])
    }
}

impl Sampler for Ddim {
    fn kind(&self) -> SamplerKind {
        SamplerKind::Ddim
    }

    fn timesteps(&self) -> &[f64] {
        &self.timesteps_f64
    }

    fn init_noise_sigma(&self) -> f32 {
        1.0
    }

    fn scale_model_input(&self, step: usize, latents: &[f32]) -> Result<Vec<f32>, SamplerError> {
        self.timestep(step)?;
        Ok(latents.to_vec())
    }

    /// x₀ = (x − √(1−ᾱ_t)·ε)/√ᾱ_t, then x' = √ᾱ_prev·x₀ + √(1−ᾱ_prev)·ε.
    fn step(
        &mut self,
        step: usize,
        guided_eps: &[f32],
        latents: &[f32],
        _noise: Option<&[f32]>,
    ) -> Result<Vec<f32>, SamplerError> {
        let timestep = self.timestep(step)?;
        let now = NoiseLevel::new(self.alphas_cumprod[timestep]);
        let next = self.previous_level(timestep);
        zip_map(latents, guided_eps, "guided eps", |x, eps| {
            let x0 = (x - now.sqrt_one_minus_alpha * eps) / now.sqrt_alpha;
            next.sqrt_alpha * x0 + next.sqrt_one_minus_alpha * eps
        })
    }

    fn add_noise(&self, start_step: usize, x0: &[f32], unit_noise: &[f32]) -> Result<Vec<f32>, SamplerError> {
        let level = NoiseLevel::new(self.alphas_cumprod[self.timestep(start_step)?]);
        zip_map(x0, unit_noise, "noise", |x0, n| level.sqrt_alpha * x0 + level.sqrt_one_minus_alpha * n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::test_support::{check_pipeline_fixture_run, check_scheduler_refs};

    #[test]
    fn matches_the_diffusers_pipeline_fixture_runs() {
        for run in ["pipe.ddim", "pipe_cn.ddim"] {
            check_pipeline_fixture_run(run, SamplerKind::Ddim);
        }
    }

    #[test]
    fn matches_diffusers_scheduler_trajectories() {
        check_scheduler_refs(SamplerKind::Ddim);
    }

    #[test]
    fn a_thousand_steps_would_leave_the_training_range() {
        let train = TrainSchedule::sd15();
        assert!(matches!(Ddim::new(&train, 1000), Err(SamplerError::InvalidSteps { max: 999, .. })));
        assert_eq!(Ddim::new(&train, 500).map(|d| d.timesteps_f64[0]), Ok(999.0));
    }
}
