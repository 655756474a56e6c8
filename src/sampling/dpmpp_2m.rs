//! DPM++ 2M and DPM++ 2M Karras: diffusers' `DPMSolverMultistepScheduler` with
//! `algorithm_type="dpmsolver++"`, `solver_order=2`, `solver_type="midpoint"`, `lower_order_final=True`,
//! `final_sigmas_type="zero"`, epsilon prediction. It works on x₀ predictions in VP space and, from the
//! second step on, extrapolates with the previous step's x₀ (the "2M" history).
//!
//! Spacing: the Karras variant uses `use_karras_sigmas=True` as in the parity fixture run
//! `pipe.dpmpp_2m_karras` (timesteps rounded to integers, 4 steps: 999, 687, 146, 0). Plain DPM++ 2M has
//! no fixture run and uses diffusers' default `timestep_spacing="linspace"` (999, 749, 500, 250 for 4
//! steps), which is also what SD1.5 pipelines get from `from_config`.
//!
//! The first step of a run (step 0, or the img2img start) and the last step (σ_next = 0, where the
//! update reduces to x₀) are first order, as in diffusers.

use super::error::SamplerError;
use super::latents::{check_len, zip_map};
use super::sampler::Sampler;
use super::schedule::TrainSchedule;
use super::sigmas::SigmaSchedule;
use super::vp::VpLevel;
use crate::vocabulary::{Choice, SamplerKind};

pub(crate) struct Dpmpp2m {
    kind: SamplerKind,
    schedule: SigmaSchedule,
    previous: Option<PreviousStep>,
}

/// The step just taken and its x₀ prediction (diffusers' `model_outputs[-1]`).
struct PreviousStep {
    step: usize,
    denoised: Vec<f32>,
}

impl Dpmpp2m {
    pub(crate) fn new(train: &TrainSchedule, steps: usize) -> Self {
        Self::with_schedule(SamplerKind::Dpmpp2m, SigmaSchedule::linspace_rounded(train, steps))
    }

    pub(crate) fn karras(train: &TrainSchedule, steps: usize) -> Self {
        Self::with_schedule(SamplerKind::Dpmpp2mKarras, SigmaSchedule::karras(train, steps))
    }

    fn with_schedule(kind: SamplerKind, schedule: SigmaSchedule) -> Self {
        Dpmpp2m { kind, schedule, previous: None }
    }

    /// The previous x₀ if this step may use it: not on the first step of a run nor on the last step.
    fn history_for(&self, step: usize) -> Result<Option<&PreviousStep>, SamplerError> {
        match &self.previous {
            None => Ok(None),
            Some(previous) if previous.step + 1 != step => {
                Err(SamplerError::StepOutOfOrder { sampler: self.kind.label(), expected: previous.step + 1, got: step })
            }
            Some(_) if step + 1 == self.schedule.steps() => Ok(None),
            Some(previous) => Ok(Some(previous)),
        }
    }
}

/// x' = (σ_t/σ_s)·x + α_t·(1 − e^(−h))·D with h = λ_t − λ_s: the exact solution for a constant x₀ = D.
fn first_order(now: VpLevel, next: VpLevel, x: f64, d: f64) -> f64 {
    let h = next.lambda() - now.lambda();
    next.sigma / now.sigma * x - next.alpha * (-h).exp_m1() * d
}

/// Midpoint second-order update: D = m₀ + ½·(m₀ − m₁)/r with r = h_prev/h (diffusers' D0 + ½·D1).
fn second_order(previous: VpLevel, now: VpLevel, next: VpLevel, x: f64, m0: f64, m1: f64) -> f64 {
    let h = next.lambda() - now.lambda();
    let r = (now.lambda() - previous.lambda()) / h;
    first_order(now, next, x, m0 + 0.5 * (m0 - m1) / r)
}

impl Sampler for Dpmpp2m {
    fn kind(&self) -> SamplerKind {
        self.kind
    }

    fn timesteps(&self) -> &[f64] {
        self.schedule.timesteps()
    }

    fn init_noise_sigma(&self) -> f32 {
        1.0
    }

    fn scale_model_input(&self, step: usize, latents: &[f32]) -> Result<Vec<f32>, SamplerError> {
        self.schedule.check_step(step)?;
        Ok(latents.to_vec())
    }

    fn step(
        &mut self,
        step: usize,
        guided_eps: &[f32],
        latents: &[f32],
        _noise: Option<&[f32]>,
    ) -> Result<Vec<f32>, SamplerError> {
        let now = VpLevel::from_ve_sigma(self.schedule.sigma(step)?);
        let next = VpLevel::from_ve_sigma(self.schedule.next_sigma(step)?);
        let denoised = zip_map(latents, guided_eps, "guided eps", |x, eps| now.denoised(x, eps))?;
        let updated = match self.history_for(step)? {
            None => zip_map(latents, &denoised, "x0", |x, m0| first_order(now, next, x, m0))?,
            Some(previous) => {
                check_len("previous x0", &previous.denoised, latents.len())?;
                let before = VpLevel::from_ve_sigma(self.schedule.sigma(previous.step)?);
                (latents.iter().zip(&denoised).zip(&previous.denoised))
                    .map(|((&x, &m0), &m1)| second_order(before, now, next, x as f64, m0 as f64, m1 as f64) as f32)
                    .collect()
            }
        };
        self.previous = Some(PreviousStep { step, denoised });
        Ok(updated)
    }

    fn add_noise(&self, start_step: usize, x0: &[f32], unit_noise: &[f32]) -> Result<Vec<f32>, SamplerError> {
        let level = VpLevel::from_ve_sigma(self.schedule.sigma(start_step)?);
        zip_map(x0, unit_noise, "noise", |x0, n| level.noised(x0, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::test_support::{check_pipeline_fixture_run, check_reference_sigmas, check_scheduler_refs};

    #[test]
    fn karras_matches_the_diffusers_pipeline_fixture_runs() {
        for run in ["pipe.dpmpp_2m_karras", "pipe_cn.dpmpp_2m_karras"] {
            check_pipeline_fixture_run(run, SamplerKind::Dpmpp2mKarras);
        }
    }

    #[test]
    fn matches_diffusers_scheduler_trajectories() {
        check_scheduler_refs(SamplerKind::Dpmpp2m);
    }

    #[test]
    fn karras_matches_diffusers_scheduler_trajectories() {
        check_scheduler_refs(SamplerKind::Dpmpp2mKarras);
    }

    #[test]
    fn sigmas_equal_diffusers() {
        let train = TrainSchedule::sd15();
        check_reference_sigmas(SamplerKind::Dpmpp2m, |steps| Dpmpp2m::new(&train, steps).schedule.all_sigmas().to_vec());
        check_reference_sigmas(SamplerKind::Dpmpp2mKarras, |steps| Dpmpp2m::karras(&train, steps).schedule.all_sigmas().to_vec());
    }

    #[test]
    fn steps_must_follow_each_other() {
        let mut sampler = Dpmpp2m::new(&TrainSchedule::sd15(), 5);
        let latents = [0.5f32; 4];
        assert!(sampler.step(1, &[0.1; 4], &latents, None).is_ok());
        let err = sampler.step(3, &[0.1; 4], &latents, None).unwrap_err();
        assert_eq!(err, SamplerError::StepOutOfOrder { sampler: "DPM++ 2M", expected: 2, got: 3 });
        assert!(sampler.step(2, &[0.1; 4], &latents, None).is_ok());
    }

    #[test]
    fn the_last_step_returns_the_x0_prediction() {
        let mut sampler = Dpmpp2m::karras(&TrainSchedule::sd15(), 1);
        let sigma = sampler.schedule.sigma(0).unwrap();
        let level = VpLevel::from_ve_sigma(sigma);
        let out = sampler.step(0, &[0.25], &[1.5], None).unwrap();
        assert!((out[0] as f64 - level.denoised(1.5, 0.25)).abs() < 1e-5);
    }
}
