//! UniPC: diffusers' `UniPCMultistepScheduler` as diffusers (and A1111) default it: `solver_order=2`,
//! `solver_type="bh2"`, `predict_x0=True`, `lower_order_final=True`, no disabled corrector steps,
//! `final_sigmas_type="zero"`, epsilon prediction, in VP space.
//!
//! Spacing: there is no fixture run for UniPC, so it uses diffusers' default `timestep_spacing="linspace"`
//! (integers from 999 down; 4 steps: 999, 749, 500, 250), which SD1.5 pipelines get from `from_config`.
//!
//! Each step first corrects the latents it is given (UniC, using the new x₀ prediction, from the second
//! step of a run on), then predicts the next latents (UniP). The first step of a run is first order; so
//! is the last (σ_next = 0, where UniP returns the x₀ prediction).

use super::error::SamplerError;
use super::latents::{check_len, zip_map};
use super::sampler::Sampler;
use super::schedule::TrainSchedule;
use super::sigmas::SigmaSchedule;
use super::vp::VpLevel;
use crate::vocabulary::SamplerKind;

const SOLVER_ORDER: usize = 2;

pub(crate) struct UniPc {
    schedule: SigmaSchedule,
    previous: Option<PreviousStep>,
}

/// What the next step needs from the one just taken.
struct PreviousStep {
    step: usize,
    /// The order UniP used, which the next UniC repeats (diffusers' `this_order`).
    order: usize,
    /// The (corrected) latents UniP started from (diffusers' `last_sample`).
    sample: Vec<f32>,
    /// x₀ predictions at this step and, if the run had one, the step before.
    denoised: Vec<f32>,
    earlier_denoised: Option<Vec<f32>>,
}

/// The bh2 update from level `s0` to `t`, shared by predictor and corrector:
/// x_t = (σ_t/σ_s0)·x − α_t·φ₁·m₀ − α_t·φ₁·Σ ρ_k·D_k, with φ₁ = e^(−h) − 1 and h = λ_t − λ_s0.
#[derive(Debug, Clone, Copy)]
struct Bh2Step {
    ratio: f64,
    alpha_phi: f64,
    h: f64,
}

impl Bh2Step {
    fn new(s0: VpLevel, t: VpLevel) -> Self {
        let h = t.lambda() - s0.lambda();
        Bh2Step { ratio: t.sigma / s0.sigma, alpha_phi: t.alpha * (-h).exp_m1(), h }
    }

    fn apply(self, x: f64, m0: f64, residual: f64) -> f64 {
        self.ratio * x - self.alpha_phi * m0 - self.alpha_phi * residual
    }

    /// r = (λ_s1 − λ_s0)/h for the level one step further back.
    fn ratio_of(self, s1: VpLevel, s0: VpLevel) -> f64 {
        (s1.lambda() - s0.lambda()) / self.h
    }

    /// Second-order corrector weights (ρ for the history difference, ρ for the new difference):
    /// the solution of [[1, 1], [r, 1]]·ρ = b with diffusers' bh2 right-hand side b.
    fn corrector_weights(self, r: f64) -> (f64, f64) {
        let hh = -self.h;
        let phi_1 = hh.exp_m1();
        let phi_2 = phi_1 / hh - 1.0;
        let phi_3 = phi_2 / hh - 0.5;
        let (b1, b2) = (phi_2 / phi_1, 2.0 * phi_3 / phi_1);
        let rho_history = (b1 - b2) / (1.0 - r);
        (rho_history, b1 - rho_history)
    }
}

impl UniPc {
    pub(crate) fn new(train: &TrainSchedule, steps: usize) -> Self {
        UniPc { schedule: SigmaSchedule::linspace_rounded(train, steps), previous: None }
    }

    fn level(&self, step: usize) -> Result<VpLevel, SamplerError> {
        Ok(VpLevel::from_ve_sigma(self.schedule.sigma(step)?))
    }

    fn check_order(&self, step: usize) -> Result<(), SamplerError> {
        match &self.previous {
            Some(previous) if previous.step + 1 != step => {
                Err(SamplerError::StepOutOfOrder { sampler: "UniPC", expected: previous.step + 1, got: step })
            }
            _ => Ok(()),
        }
    }

    /// UniC: re-derives the latents at `step` from the previous step's start, now that the x₀
    /// prediction `denoised` at `step` is known.
    fn correct(&self, step: usize, previous: &PreviousStep, latents: &[f32], denoised: &[f32]) -> Result<Vec<f32>, SamplerError> {
        check_len("previous latents", &previous.sample, latents.len())?;
        check_len("previous x0", &previous.denoised, latents.len())?;
        let s0 = self.level(previous.step)?;
        let update = Bh2Step::new(s0, self.level(step)?);
        let history = match (&previous.earlier_denoised, previous.order) {
            (Some(earlier), 2) => {
                check_len("earlier x0", earlier, latents.len())?;
                let r = update.ratio_of(self.level(previous.step - 1)?, s0);
                Some((earlier, r, update.corrector_weights(r)))
            }
            _ => None,
        };
        Ok((0..latents.len())
            .map(|i| {
                let (x, m0, m_new) = (previous.sample[i] as f64, previous.denoised[i] as f64, denoised[i] as f64);
                let residual = match history {
                    Some((earlier, r, (rho_history, rho_new))) => {
                        rho_history * (earlier[i] as f64 - m0) / r + rho_new * (m_new - m0)
                    }
                    None => 0.5 * (m_new - m0),
                };
                update.apply(x, m0, residual) as f32
            })
            .collect())
    }

    /// UniP: the latents after `step`, from the (corrected) `sample` and x₀ predictions.
    fn predict(
        &self,
        step: usize,
        order: usize,
        sample: &[f32],
        denoised: &[f32],
        earlier: Option<&[f32]>,
    ) -> Result<Vec<f32>, SamplerError> {
        let s0 = self.level(step)?;
        let update = Bh2Step::new(s0, VpLevel::from_ve_sigma(self.schedule.next_sigma(step)?));
        match earlier.filter(|_| order == 2) {
            None => zip_map(sample, denoised, "x0", |x, m0| update.apply(x, m0, 0.0)),
            Some(earlier) => {
                check_len("earlier x0", earlier, sample.len())?;
                let r = update.ratio_of(self.level(step - 1)?, s0);
                Ok((sample.iter().zip(denoised).zip(earlier))
                    .map(|((&x, &m0), &m1)| update.apply(x as f64, m0 as f64, 0.5 * (m1 as f64 - m0 as f64) / r) as f32)
                    .collect())
            }
        }
    }

    /// diffusers' `this_order`: 1 on the first step of a run (no history yet) and on the last step
    /// (`lower_order_final`), 2 otherwise.
    fn order_at(&self, step: usize) -> usize {
        let history_allows = if self.previous.is_some() { SOLVER_ORDER } else { 1 };
        SOLVER_ORDER.min(self.schedule.steps().saturating_sub(step)).min(history_allows)
    }
}

impl Sampler for UniPc {
    fn kind(&self) -> SamplerKind {
        SamplerKind::UniPc
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
        self.check_order(step)?;
        let now = self.level(step)?;
        let denoised = zip_map(latents, guided_eps, "guided eps", |x, eps| now.denoised(x, eps))?;
        let sample = match &self.previous {
            Some(previous) => self.correct(step, previous, latents, &denoised)?,
            None => latents.to_vec(),
        };
        let order = self.order_at(step);
        let earlier = self.previous.as_ref().map(|p| p.denoised.as_slice());
        let predicted = self.predict(step, order, &sample, &denoised, earlier)?;
        let earlier_denoised = self.previous.take().map(|p| p.denoised);
        self.previous = Some(PreviousStep { step, order, sample, denoised, earlier_denoised });
        Ok(predicted)
    }

    fn add_noise(&self, start_step: usize, x0: &[f32], unit_noise: &[f32]) -> Result<Vec<f32>, SamplerError> {
        let level = self.level(start_step)?;
        zip_map(x0, unit_noise, "noise", |x0, n| level.noised(x0, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::test_support::{check_reference_sigmas, check_scheduler_refs};

    #[test]
    fn matches_diffusers_scheduler_trajectories() {
        check_scheduler_refs(SamplerKind::UniPc);
    }

    #[test]
    fn sigmas_equal_diffusers() {
        let train = TrainSchedule::sd15();
        check_reference_sigmas(SamplerKind::UniPc, |steps| UniPc::new(&train, steps).schedule.all_sigmas().to_vec());
    }

    #[test]
    fn order_rises_to_two_and_drops_to_one_on_the_last_step() {
        let mut sampler = UniPc::new(&TrainSchedule::sd15(), 3);
        let mut latents = vec![0.3f32, -0.2];
        let mut orders = Vec::new();
        for step in 0..3 {
            orders.push(sampler.order_at(step));
            latents = sampler.step(step, &[0.1, 0.2], &latents, None).unwrap();
        }
        assert_eq!(orders, [1, 2, 1]);
    }

    #[test]
    fn corrector_weights_solve_the_bh2_system() {
        let update = Bh2Step { ratio: 0.5, alpha_phi: -0.3, h: 0.7 };
        let r = -0.8;
        let (rho_history, rho_new) = update.corrector_weights(r);
        let hh = -0.7f64;
        let phi_1 = hh.exp_m1();
        let b1 = (phi_1 / hh - 1.0) / phi_1;
        let b2 = 2.0 * ((phi_1 / hh - 1.0) / hh - 0.5) / phi_1;
        assert!((rho_history + rho_new - b1).abs() < 1e-12);
        assert!((r * rho_history + rho_new - b2).abs() < 1e-12);
    }
}
