//! Euler: diffusers' `EulerDiscreteScheduler` (A1111 "Euler"), one first-order step in VE space.
//!
//! Configuration, as in the parity fixture run `pipe.euler`: SD1.5 betas, epsilon prediction,
//! `timestep_spacing="linspace"` (A1111's and diffusers' SD1.5 choice: the first step is at t = 999),
//! `interpolation_type="linear"`, no churn (`s_churn = 0`, so σ̂ = σ and no noise), final σ = 0.

use super::error::SamplerError;
use super::latents::{divided, zip_map};
use super::sampler::Sampler;
use super::schedule::TrainSchedule;
use super::sigmas::SigmaSchedule;
use super::ve;
use crate::vocabulary::SamplerKind;

pub(crate) struct Euler {
    schedule: SigmaSchedule,
}

impl Euler {
    pub(crate) fn new(train: &TrainSchedule, steps: usize) -> Self {
        Euler { schedule: SigmaSchedule::linspace_float(train, steps) }
    }
}

impl Sampler for Euler {
    fn kind(&self) -> SamplerKind {
        SamplerKind::Euler
    }

    fn timesteps(&self) -> &[f64] {
        self.schedule.timesteps()
    }

    fn init_noise_sigma(&self) -> f32 {
        self.schedule.max_sigma() as f32
    }

    fn scale_model_input(&self, step: usize, latents: &[f32]) -> Result<Vec<f32>, SamplerError> {
        Ok(divided(latents, ve::input_divisor(self.schedule.sigma(step)?)))
    }

    /// x' = x + (x − x₀)/σ · (σ_next − σ) with x₀ = x − σ·ε.
    fn step(
        &mut self,
        step: usize,
        guided_eps: &[f32],
        latents: &[f32],
        _noise: Option<&[f32]>,
    ) -> Result<Vec<f32>, SamplerError> {
        let sigma = self.schedule.sigma(step)?;
        let dt = self.schedule.next_sigma(step)? - sigma;
        zip_map(latents, guided_eps, "guided eps", |x, eps| {
            let derivative = (x - ve::denoised(x, sigma, eps)) / sigma;
            x + derivative * dt
        })
    }

    fn add_noise(&self, start_step: usize, x0: &[f32], unit_noise: &[f32]) -> Result<Vec<f32>, SamplerError> {
        let sigma = self.schedule.sigma(start_step)?;
        zip_map(x0, unit_noise, "noise", |x0, n| ve::noised(x0, sigma, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::test_support::{check_pipeline_fixture_run, check_reference_sigmas, check_scheduler_refs};

    #[test]
    fn matches_the_diffusers_pipeline_fixture_runs() {
        for run in ["pipe.euler", "pipe_cn.euler", "pipe_cn05.euler"] {
            check_pipeline_fixture_run(run, SamplerKind::Euler);
        }
    }

    #[test]
    fn matches_diffusers_scheduler_trajectories() {
        check_scheduler_refs(SamplerKind::Euler);
    }

    #[test]
    fn sigmas_equal_diffusers() {
        let train = TrainSchedule::sd15();
        check_reference_sigmas(SamplerKind::Euler, |steps| Euler::new(&train, steps).schedule.all_sigmas().to_vec());
    }
}
