//! Euler a: diffusers' `EulerAncestralDiscreteScheduler` (A1111 "Euler a"). Each step goes down to
//! σ_down with an Euler step, then adds fresh noise of std σ_up, so that σ_down² + σ_up² = σ_next².
//!
//! Configuration, as in the parity fixture run `pipe.euler_a`: SD1.5 betas, epsilon prediction,
//! `timestep_spacing="linspace"` (first step at t = 999, like A1111), σ interpolated linearly, final σ = 0.
//!
//! Noise: the last step has σ_up = 0 and [`Sampler::needs_noise`] is false there. diffusers still draws
//! (and multiplies by 0) a noise tensor at that step, A1111 does not; a pipeline replaying one of those
//! generators' streams must follow the reference it imitates.

use super::error::SamplerError;
use super::latents::{check_len, divided, zip_map};
use super::sampler::Sampler;
use super::schedule::TrainSchedule;
use super::sigmas::SigmaSchedule;
use super::ve;
use crate::vocabulary::SamplerKind;

pub(crate) struct EulerAncestral {
    schedule: SigmaSchedule,
}

impl EulerAncestral {
    pub(crate) fn new(train: &TrainSchedule, steps: usize) -> Self {
        EulerAncestral { schedule: SigmaSchedule::linspace_float(train, steps) }
    }

    /// (σ_down, σ_up) of the step from σ to σ_next.
    fn split_next_sigma(sigma: f64, next: f64) -> (f64, f64) {
        let up = (next * next * (sigma * sigma - next * next) / (sigma * sigma)).sqrt();
        let down = (next * next - up * up).sqrt();
        (down, up)
    }
}

impl Sampler for EulerAncestral {
    fn kind(&self) -> SamplerKind {
        SamplerKind::EulerA
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

    fn needs_noise(&self, step: usize) -> bool {
        self.schedule.next_sigma(step).is_ok_and(|next| next > 0.0)
    }

    /// x' = x + (x − x₀)/σ · (σ_down − σ) + σ_up·noise with x₀ = x − σ·ε.
    fn step(
        &mut self,
        step: usize,
        guided_eps: &[f32],
        latents: &[f32],
        noise: Option<&[f32]>,
    ) -> Result<Vec<f32>, SamplerError> {
        let sigma = self.schedule.sigma(step)?;
        let (down, up) = Self::split_next_sigma(sigma, self.schedule.next_sigma(step)?);
        let euler = |x: f64, eps: f64| x + (x - ve::denoised(x, sigma, eps)) / sigma * (down - sigma);
        if !self.needs_noise(step) {
            return zip_map(latents, guided_eps, "guided eps", euler);
        }
        let noise = noise.ok_or(SamplerError::MissingNoise { sampler: "Euler a", step })?;
        check_len("guided eps", guided_eps, latents.len())?;
        check_len("ancestral noise", noise, latents.len())?;
        Ok(latents
            .iter()
            .zip(guided_eps)
            .zip(noise)
            .map(|((&x, &eps), &n)| (euler(x as f64, eps as f64) + n as f64 * up) as f32)
            .collect())
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
        for run in ["pipe.euler_a", "pipe_cn.euler_a"] {
            check_pipeline_fixture_run(run, SamplerKind::EulerA);
        }
    }

    #[test]
    fn matches_diffusers_scheduler_trajectories() {
        check_scheduler_refs(SamplerKind::EulerA);
    }

    #[test]
    fn sigmas_equal_diffusers() {
        let train = TrainSchedule::sd15();
        check_reference_sigmas(SamplerKind::EulerA, |steps| EulerAncestral::new(&train, steps).schedule.all_sigmas().to_vec());
    }

    #[test]
    fn every_step_but_the_last_needs_noise() {
        let sampler = EulerAncestral::new(&TrainSchedule::sd15(), 4);
        assert_eq!((0..5).map(|s| sampler.needs_noise(s)).collect::<Vec<_>>(), [true, true, true, false, false]);
        let mut sampler = sampler;
        let err = sampler.step(0, &[0.0; 8], &[0.0; 8], None).unwrap_err();
        assert_eq!(err, SamplerError::MissingNoise { sampler: "Euler a", step: 0 });
        assert!(sampler.step(3, &[0.0; 8], &[0.0; 8], None).is_ok());
    }

    #[test]
    fn sigma_split_keeps_the_next_noise_level() {
        let (down, up) = EulerAncestral::split_next_sigma(2.0, 1.2);
        assert!((down * down + up * up - 1.44).abs() < 1e-12 && up > 0.0 && down < 1.2);
        assert_eq!(EulerAncestral::split_next_sigma(0.03, 0.0), (0.0, 0.0));
    }
}
