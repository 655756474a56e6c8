//! Where img2img starts, as diffusers' StableDiffusionImg2ImgPipeline decides it: with n steps and
//! strength s it runs the last `min(⌊n·s⌋, n)` steps, so it starts at step n − that, noising the input
//! to that step's level ([`super::Sampler::add_noise`]). A1111 counts its img2img steps differently;
//! Nurie follows diffusers, whose outputs its parity tests check.

use super::error::SamplerError;

/// The first step index an img2img run of `steps` steps at `strength` (0..=1) takes.
pub fn start_step(steps: usize, strength: f64) -> Result<usize, SamplerError> {
    if !(0.0..=1.0).contains(&strength) {
        return Err(SamplerError::InvalidStrength { strength });
    }
    // `int(num_inference_steps * strength)` in Python: the f64 product truncated.
    let steps_to_run = ((steps as f64 * strength) as usize).min(steps);
    if steps_to_run == 0 {
        return Err(SamplerError::NoStepsLeft { steps, strength });
    }
    Ok(steps - steps_to_run)
}

/// A1111's hires fix schedule (`setup_img2img_steps` with its steps given): a schedule of
/// ⌊steps ÷ min(strength, 0.999)⌋ steps of which the last `steps` run. Returns (schedule length, first step).
pub fn hires_schedule(steps: usize, strength: f64) -> Result<(usize, usize), SamplerError> {
    if !(strength > 0.0 && strength <= 1.0) {
        return Err(SamplerError::InvalidStrength { strength });
    }
    if steps == 0 {
        return Err(SamplerError::NoStepsLeft { steps, strength });
    }
    let total = ((steps as f64 / strength.min(0.999)) as usize).max(steps);
    Ok((total, total - steps))
}

#[cfg(test)]
mod tests {
    #[test]
    fn hires_runs_its_steps_at_the_end_of_a_longer_schedule() {
        assert_eq!(hires_schedule(10, 0.5), Ok((20, 10)));
        assert_eq!(hires_schedule(20, 1.0), Ok((20, 0)));
        assert_eq!(hires_schedule(15, 0.7), Ok((21, 6)));
        assert!(hires_schedule(10, 0.0).is_err());
    }

    use super::*;

    #[test]
    fn start_follows_diffusers_truncation() {
        assert_eq!(start_step(20, 0.75), Ok(5));
        assert_eq!(start_step(20, 0.5), Ok(10));
        assert_eq!(start_step(5, 0.75), Ok(2));
        assert_eq!(start_step(5, 1.0), Ok(0));
        // 100 · 0.29 = 28.999999999999996 in f64, which Python truncates to 28.
        assert_eq!(start_step(100, 0.29), Ok(72));
    }

    #[test]
    fn strength_outside_the_unit_range_or_too_small_fails() {
        assert_eq!(start_step(20, 1.5), Err(SamplerError::InvalidStrength { strength: 1.5 }));
        assert!(matches!(start_step(20, f64::NAN), Err(SamplerError::InvalidStrength { .. })));
        assert_eq!(start_step(20, 0.01), Err(SamplerError::NoStepsLeft { steps: 20, strength: 0.01 }));
        assert_eq!(start_step(20, 0.0), Err(SamplerError::NoStepsLeft { steps: 20, strength: 0.0 }));
    }
}
