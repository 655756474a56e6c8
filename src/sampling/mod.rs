//! From noise to latents: seeded noise as A1111 draws it ([`noise`]), and the samplers (noise
//! schedulers) of a Stable Diffusion 1.5 generation, as host-side math on `f32`
//! latent buffers; the UNet runs elsewhere.
//!
//! Each of the seven reproduces a diffusers 0.42 scheduler step by step with SD1.5's training schedule
//! (`scaled_linear` betas 0.00085–0.012, 1000 steps, epsilon prediction): Euler, Euler a, DPM++ 2M,
//! DPM++ 2M Karras, DDIM (η = 0), UniPC and LCM. Each file says which diffusers configuration it follows.
//! Schedules are computed in f64 but rounded to float32 wherever diffusers holds them in float32, so
//! timesteps and sigmas equal diffusers' values; updates are computed in f64 and rounded once per step.
//! See [`Sampler`] for how a pipeline drives them.

mod ddim;
mod dpmpp_2m;
mod error;
mod euler;
mod euler_ancestral;
mod guidance;
mod img2img;
mod karras;
mod latents;
mod lcm;
pub mod noise;
mod sampler;
mod schedule;
mod sigmas;
mod spacing;
mod unipc;
mod ve;
mod vp;

#[cfg(test)]
mod test_support;

pub use error::SamplerError;
pub use guidance::guide;
pub use img2img::{hires_schedule, start_step};
pub use sampler::Sampler;

use crate::vocabulary::{Choice, SamplerKind};
use schedule::{TRAIN_STEPS, TrainSchedule};

/// A fresh sampler for a run of `steps` steps (1 to 1000; DDIM at most 999, LCM at most 50). Create
/// one per image: the multistep samplers keep the run's history.
pub fn sampler(kind: SamplerKind, steps: usize) -> Result<Box<dyn Sampler + Send>, SamplerError> {
    if !(1..=TRAIN_STEPS).contains(&steps) {
        return Err(SamplerError::InvalidSteps { sampler: kind.label(), steps, max: TRAIN_STEPS });
    }
    let train = TrainSchedule::sd15();
    Ok(match kind {
        SamplerKind::Euler => Box::new(euler::Euler::new(&train, steps)),
        SamplerKind::EulerA => Box::new(euler_ancestral::EulerAncestral::new(&train, steps)),
        SamplerKind::Dpmpp2m => Box::new(dpmpp_2m::Dpmpp2m::new(&train, steps)),
        SamplerKind::Dpmpp2mKarras => Box::new(dpmpp_2m::Dpmpp2m::karras(&train, steps)),
        SamplerKind::Ddim => Box::new(ddim::Ddim::new(&train, steps)?),
        SamplerKind::UniPc => Box::new(unipc::UniPc::new(&train, steps)),
        SamplerKind::Lcm => Box::new(lcm::Lcm::new(&train, steps)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_or_too_many_steps_are_refused() {
        for &kind in SamplerKind::ALL {
            assert!(matches!(sampler(kind, 0), Err(SamplerError::InvalidSteps { steps: 0, .. })));
            assert!(matches!(sampler(kind, 1001), Err(SamplerError::InvalidSteps { steps: 1001, .. })));
            let built = sampler(kind, 7).unwrap();
            assert_eq!((built.kind(), built.steps()), (kind, 7));
        }
    }

    #[test]
    fn misuse_is_reported_not_panicked() {
        for &kind in SamplerKind::ALL {
            let mut s = sampler(kind, 3).unwrap();
            assert_eq!(s.scale_model_input(3, &[0.0]), Err(SamplerError::StepOutOfRange { step: 3, steps: 3 }));
            assert!(matches!(s.add_noise(5, &[0.0], &[0.0]), Err(SamplerError::StepOutOfRange { .. })));
            assert!(matches!(s.add_noise(0, &[0.0; 2], &[0.0]), Err(SamplerError::LengthMismatch { .. })));
            let noise = [0.0f32; 2];
            let err = s.step(0, &[0.0; 3], &[0.0; 2], Some(&noise)).unwrap_err();
            assert!(matches!(err, SamplerError::LengthMismatch { expected: 2, got: 3, .. }), "{kind}: {err}");
            assert!(matches!(s.step(9, &[0.0; 2], &[0.0; 2], Some(&noise)), Err(SamplerError::StepOutOfRange { .. })));
        }
    }
}
