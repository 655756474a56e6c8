//! LCM: diffusers' `LCMScheduler`, under A1111's label "LCM", for latent consistency models and
//! LCM-LoRAs (a picture in 4–8 steps at CFG 1–2).
//!
//! Each step predicts the clean latents with the consistency boundary condition, then (every step but
//! the last) noises them again to the level of the next timestep with fresh noise:
//! ```text
//! x₀  = (x − √(1−ᾱ_t)·ε) / √ᾱ_t
//! d   = c_out(t)·x₀ + c_skip(t)·x          c_skip = σ_d²/((10t)² + σ_d²), c_out = 10t/√((10t)² + σ_d²), σ_d = 0.5
//! x'  = √ᾱ_next·d + √(1−ᾱ_next)·noise      (the last step returns d)
//! ```
//!
//! Timesteps: the 50 timesteps LCM was distilled on (`original_inference_steps = 50`: 19, 39, …, 999),
//! from the top, at indices ⌊i·50/n⌋; 4 steps visit 999, 759, 499, 259. So at most 50 steps.
//! `timestep_scaling = 10`, epsilon prediction, no clipping or thresholding. The other settings of
//! `LCMScheduler.from_config(<SD1.5's scheduler config>)` (how LCM-LoRA is used in diffusers) do not
//! change the result: `steps_offset` and `timestep_spacing` are not read by its `set_timesteps`, and
//! `set_alpha_to_one` only matters for a step after t < 0, which never comes.
//!
//! Noise: the fresh noise of step k (every step but the last: [`Sampler::needs_noise`]) is the k-th
//! draw after the initial noise from the image's own generator, as for Euler a. diffusers draws it from
//! the pipeline's generator, A1111's `sample_lcm` from the image's seeded RNG (so ENSD applies); a
//! request's `ancestral` noise override replaces it exactly. img2img slices the schedule, as
//! StableDiffusionImg2ImgPipeline does with any scheduler ([`super::start_step`]).
//!
//! Not A1111's own discretization: A1111 1.10's `sample_lcm` spreads n steps evenly between the
//! distillation timesteps 999 and 19 and rounds each to the nearest one for the UNet (4 steps: 999, 679,
//! 339, 19), noises to the interpolated σ in between, and applies c_skip to k-diffusion's VE latents
//! rather than the VP ones; an A1111 "LCM" picture of the same seed is close to Nurie's, not identical.
//! With timesteps ≥ 19, c_skip < 10⁻⁵ and c_out > 0.99999: the boundary condition is nearly x₀ itself.

use super::ddim::NoiseLevel;
use super::error::SamplerError;
use super::latents::{check_len, zip_map};
use super::sampler::Sampler;
use super::schedule::{TRAIN_STEPS, TrainSchedule, round_f32};
use crate::vocabulary::SamplerKind;

/// How many timesteps LCM was distilled on (`original_inference_steps`); the most steps it runs.
pub(crate) const ORIGINAL_STEPS: usize = 50;
/// `timestep_scaling`: the boundary condition sees the timestep times this.
const TIMESTEP_SCALING: f64 = 10.0;
/// σ_data of the boundary condition.
const SIGMA_DATA: f64 = 0.5;

pub(crate) struct Lcm {
    alphas_cumprod: Vec<f64>,
    timesteps: Vec<usize>,
    timesteps_f64: Vec<f64>,
}

/// (c_skip, c_out) of the consistency boundary condition at a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Boundary {
    pub(crate) c_skip: f64,
    pub(crate) c_out: f64,
}

impl Boundary {
    /// diffusers' `get_scalings_for_boundary_condition_discrete` on a timestep tensor: float32 values,
    /// one rounding per operation.
    fn at(timestep: usize) -> Self {
        let sigma_data_sq = SIGMA_DATA * SIGMA_DATA;
        let scaled = round_f32(timestep as f64 * TIMESTEP_SCALING);
        let denominator = round_f32(round_f32(scaled * scaled) + sigma_data_sq);
        Boundary { c_skip: round_f32(sigma_data_sq / denominator), c_out: round_f32(scaled / round_f32(denominator.sqrt())) }
    }
}

impl Lcm {
    /// Fails for more steps than LCM's 50 distillation timesteps (as diffusers refuses them).
    pub(crate) fn new(train: &TrainSchedule, steps: usize) -> Result<Self, SamplerError> {
        if !(1..=ORIGINAL_STEPS).contains(&steps) {
            return Err(SamplerError::InvalidSteps { sampler: "LCM", steps, max: ORIGINAL_STEPS });
        }
        let timesteps = lcm_timesteps(steps);
        Ok(Lcm {
            alphas_cumprod: train.alphas_cumprod().to_vec(),
            timesteps_f64: timesteps.iter().map(|&t| t as f64).collect(),
            timesteps,
        })
    }

    fn timestep(&self, step: usize) -> Result<usize, SamplerError> {
        self.timesteps.get(step).copied().ok_or(SamplerError::StepOutOfRange { step, steps: self.timesteps.len() })
    }

    fn level(&self, timestep: usize) -> NoiseLevel {
        NoiseLevel::new(self.alphas_cumprod[timestep])
    }

    /// The boundary-condition scalings of `step`.
    pub(crate) fn boundary(&self, step: usize) -> Result<Boundary, SamplerError> {
        Ok(Boundary::at(self.timestep(step)?))
    }

    /// The consistency model's clean-latent estimate at `step` (diffusers' `denoised`), in f64.
    fn denoised(&self, step: usize) -> Result<impl Fn(f64, f64) -> f64, SamplerError> {
        let now = self.level(self.timestep(step)?);
        let Boundary { c_skip, c_out } = self.boundary(step)?;
        Ok(move |x: f64, eps: f64| {
            let x0 = (x - now.sqrt_one_minus_alpha * eps) / now.sqrt_alpha;
            c_out * x0 + c_skip * x
        })
    }

    /// The latents' clean estimate at `step` from the guided noise prediction, as diffusers' `step`
    /// returns it beside `prev_sample`.
    #[cfg(test)]
    pub(crate) fn denoised_latents(&self, step: usize, guided_eps: &[f32], latents: &[f32]) -> Result<Vec<f32>, SamplerError> {
        zip_map(latents, guided_eps, "guided eps", self.denoised(step)?)
    }
}

/// diffusers' `LCMScheduler.set_timesteps(steps)` with strength 1: the distillation timesteps
/// `k·i − 1` (k = 1000/50, i = 1..=50) from the top, taken at `floor(np.linspace(0, 50, steps,
/// endpoint=False))` (float64 `i·(50/steps)`, as numpy computes it).
fn lcm_timesteps(steps: usize) -> Vec<usize> {
    let k = TRAIN_STEPS / ORIGINAL_STEPS;
    let spacing = ORIGINAL_STEPS as f64 / steps as f64;
    (0..steps)
        .map(|i| {
            let index = ((i as f64 * spacing).floor() as usize).min(ORIGINAL_STEPS - 1);
            (ORIGINAL_STEPS - index) * k - 1
        })
        .collect()
}

impl Sampler for Lcm {
    fn kind(&self) -> SamplerKind {
        SamplerKind::Lcm
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

    fn needs_noise(&self, step: usize) -> bool {
        step + 1 < self.timesteps.len()
    }

    /// d = c_out·x₀ + c_skip·x, then x' = √ᾱ_next·d + √(1−ᾱ_next)·noise (the last step returns d).
    fn step(
        &mut self,
        step: usize,
        guided_eps: &[f32],
        latents: &[f32],
        noise: Option<&[f32]>,
    ) -> Result<Vec<f32>, SamplerError> {
        let denoised = self.denoised(step)?;
        if !self.needs_noise(step) {
            return zip_map(latents, guided_eps, "guided eps", denoised);
        }
        let noise = noise.ok_or(SamplerError::MissingNoise { sampler: "LCM", step })?;
        check_len("guided eps", guided_eps, latents.len())?;
        check_len("ancestral noise", noise, latents.len())?;
        let next = self.level(self.timestep(step + 1)?);
        Ok(latents
            .iter()
            .zip(guided_eps)
            .zip(noise)
            .map(|((&x, &eps), &n)| {
                let d = denoised(x as f64, eps as f64);
                (next.sqrt_alpha * d + next.sqrt_one_minus_alpha * n as f64) as f32
            })
            .collect())
    }

    fn add_noise(&self, start_step: usize, x0: &[f32], unit_noise: &[f32]) -> Result<Vec<f32>, SamplerError> {
        let level = self.level(self.timestep(start_step)?);
        zip_map(x0, unit_noise, "noise", |x0, n| level.sqrt_alpha * x0 + level.sqrt_one_minus_alpha * n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::test_support::{Fixture, Tolerance, Worst, check_scheduler_refs_in, fake_eps};

    const LCM_REFS: &str = "sampling/lcm_refs.safetensors";

    #[test]
    fn matches_diffusers_scheduler_trajectories() {
        check_scheduler_refs_in(LCM_REFS, SamplerKind::Lcm);
    }

    #[test]
    fn timesteps_equal_diffusers_for_every_step_count() {
        let refs = Fixture::open(LCM_REFS);
        let train = TrainSchedule::sd15();
        for steps in 1..=ORIGINAL_STEPS {
            let reference = refs.values(&format!("lcm.schedule_s{steps}"));
            let lcm = Lcm::new(&train, steps).unwrap();
            assert_eq!(lcm.timesteps_f64, reference, "{steps} steps");
        }
        assert_eq!(lcm_timesteps(4), [999, 759, 499, 259]);
        assert_eq!(lcm_timesteps(1), [999]);
    }

    /// The boundary scalings and the clean estimate of every step of every run, against the values
    /// diffusers' `step` computed on the same inputs.
    #[test]
    fn boundary_scalings_and_denoised_match_diffusers() {
        let refs = Fixture::open(LCM_REFS);
        let tolerance = Tolerance::scheduler_only();
        let mut worst = Worst::default();
        let train = TrainSchedule::sd15();
        let runs: Vec<String> =
            refs.names().into_iter().filter_map(|n| n.strip_suffix(".denoised").map(str::to_string)).collect();
        assert!(runs.len() >= 10, "only {} runs with denoised values", runs.len());
        for run in runs {
            let steps = refs.values(&format!("{run}.timesteps")).len();
            let start = refs.values(&format!("{run}.start_step"))[0] as usize;
            let lcm = Lcm::new(&train, steps).unwrap();
            let (c_skip, c_out) = (refs.values(&format!("{run}.c_skip")), refs.values(&format!("{run}.c_out")));
            let shape = refs.shape(&format!("{run}.noise"));
            let (channels, plane) = (shape[1], shape[2] * shape[3]);
            for (k, step) in (start..steps).enumerate() {
                let boundary = lcm.boundary(step).unwrap();
                // Equal up to an ulp: torch's float32 √ is not always correctly rounded (√2528100.25 gives
                // 1590, not 1590.0001, so c_out at t = 159 is 1 where ours is 1 − 2⁻²⁴).
                for (ours, theirs) in [(boundary.c_skip, c_skip[k]), (boundary.c_out, c_out[k])] {
                    assert!((ours - theirs).abs() <= 2.0 * f32::EPSILON as f64 * theirs.abs(), "{run} step {step}: {boundary:?}");
                }
                let latents =
                    if k == 0 { refs.f32s(&format!("{run}.start")) } else { refs.row(&format!("{run}.latents"), k - 1) };
                let eps = fake_eps(&latents, lcm.timesteps_f64[step], channels, plane);
                let denoised = lcm.denoised_latents(step, &eps, &latents).unwrap();
                worst.assert_close(
                    &format!("{run} step {step} denoised"),
                    &denoised,
                    &refs.row(&format!("{run}.denoised"), k),
                    tolerance,
                );
            }
        }
        worst.report("lcm denoised vs diffusers");
    }

    #[test]
    fn every_step_but_the_last_needs_noise() {
        let mut lcm = Lcm::new(&TrainSchedule::sd15(), 4).unwrap();
        assert_eq!((0..5).map(|s| lcm.needs_noise(s)).collect::<Vec<_>>(), [true, true, true, false, false]);
        let err = lcm.step(0, &[0.0; 8], &[0.0; 8], None).unwrap_err();
        assert_eq!(err, SamplerError::MissingNoise { sampler: "LCM", step: 0 });
        assert!(lcm.step(3, &[0.0; 8], &[0.0; 8], None).is_ok());
        let one = Lcm::new(&TrainSchedule::sd15(), 1).unwrap();
        assert!(!one.needs_noise(0));
    }

    #[test]
    fn more_steps_than_the_distillation_schedule_are_refused() {
        let train = TrainSchedule::sd15();
        assert!(matches!(Lcm::new(&train, 51), Err(SamplerError::InvalidSteps { sampler: "LCM", steps: 51, max: 50 })));
        assert!(matches!(Lcm::new(&train, 0), Err(SamplerError::InvalidSteps { .. })));
        assert_eq!(Lcm::new(&train, 50).map(|l| l.timesteps_f64[49]), Ok(19.0));
    }

    #[test]
    fn the_boundary_condition_is_nearly_the_clean_estimate() {
        let b = Boundary::at(19);
        assert!(b.c_skip > 0.0 && b.c_skip < 1e-5 && b.c_out > 0.99999 && b.c_out <= 1.0, "{b:?}");
        assert_eq!(Boundary::at(0), Boundary { c_skip: 1.0, c_out: 0.0 });
    }
}
