//! Holding part of the latents to a picture during the first steps: how color hints steer a
//! generation (see [`crate::hints`]). As diffusers' inpainting holds the unmasked part, the held
//! latents are the picture's latents noised to the level the next step starts from, with the image's
//! own initial noise; unlike inpainting, the hold ends after a share of the steps, so the model then
//! shades the held areas and blends their edges freely.

use crate::sampling::{Sampler, SamplerError};

/// The latents of a picture, where and until when they are held.
pub struct Hold<'a> {
    /// The picture's latents (diffusion space, `[4, h, w]`).
    pub target: &'a [f32],
    /// How much each latent value is held, in [0, 1], laid out as the latents.
    pub mask: &'a [f32],
    /// The image's initial unit noise, which noises the target to each step's level.
    pub noise: &'a [f32],
    /// Latents about to run a step with an index below this are held.
    pub until_step: usize,
}

impl Hold<'_> {
    /// The step a hold of `strength` (the held fraction of the steps run) ends at, when the run
    /// starts at step `start` of `steps`.
    pub fn end_step(start: usize, steps: usize, strength: f64) -> usize {
        let run = steps.saturating_sub(start);
        start + ((run as f64 * strength.clamp(0.0, 1.0)).round() as usize).min(run)
    }

    /// Blends `latents`, about to run step `step`, toward the target noised to that step's level.
    pub fn apply(&self, sampler: &dyn Sampler, step: usize, latents: &mut [f32]) -> Result<(), SamplerError> {
        if step >= self.until_step {
            return Ok(());
        }
        let held = sampler.add_noise(step, self.target, self.noise)?;
        for ((latent, held), &mask) in latents.iter_mut().zip(held).zip(self.mask) {
            *latent = mask * held + (1.0 - mask) * *latent;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::sampler;
    use crate::vocabulary::SamplerKind;

    #[test]
    fn the_hold_ends_after_its_share_of_the_steps_run() {
        assert_eq!(Hold::end_step(0, 20, 0.6), 12);
        assert_eq!(Hold::end_step(5, 20, 0.5), 13, "img2img: a share of the 15 steps run");
        assert_eq!((Hold::end_step(0, 20, 0.0), Hold::end_step(0, 20, 1.0)), (0, 20));
    }

    #[test]
    fn held_values_are_the_noised_target_and_the_rest_is_untouched() {
        let sampler = sampler(SamplerKind::Euler, 10).unwrap();
        let (target, noise) = (vec![1.0f32; 4], vec![0.5f32; 4]);
        let mask = [1.0, 0.0, 0.5, 0.0];
        let hold = Hold { target: &target, mask: &mask, noise: &noise, until_step: 3 };
        let expected = sampler.add_noise(2, &target, &noise).unwrap();
        let mut latents = vec![-2.0f32; 4];
        hold.apply(sampler.as_ref(), 2, &mut latents).unwrap();
        assert_eq!(latents[0], expected[0]);
        assert_eq!(latents[1], -2.0);
        assert!((latents[2] - (expected[2] - 2.0) / 2.0).abs() < 1e-6);
        let mut after = vec![-2.0f32; 4];
        hold.apply(sampler.as_ref(), 3, &mut after).unwrap();
        assert_eq!(after, [-2.0; 4], "no hold from the end step on");
    }
}
