//! Classifier-free guidance: the guided noise prediction u + s·(c − u) from the unconditional (negative
//! prompt) and conditional predictions, in float32 with torch's operation order (sub, mul, add), so it is
//! bit-identical to diffusers' `noise_pred_uncond + guidance_scale * (noise_pred_text - noise_pred_uncond)`.

use super::error::SamplerError;
use super::latents::check_len;

pub fn guide(eps_uncond: &[f32], eps_cond: &[f32], scale: f32) -> Result<Vec<f32>, SamplerError> {
    check_len("conditional eps", eps_cond, eps_uncond.len())?;
    Ok(eps_uncond.iter().zip(eps_cond).map(|(&u, &c)| u + scale * (c - u)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_one_gives_the_conditional_prediction_and_zero_the_unconditional() {
        let (u, c) = ([0.5f32, -1.0], [1.5f32, 2.0]);
        assert_eq!(guide(&u, &c, 1.0), Ok(c.to_vec()));
        assert_eq!(guide(&u, &c, 0.0), Ok(u.to_vec()));
        assert_eq!(guide(&u, &c, 7.0), Ok(vec![7.5, 20.0]));
        assert!(guide(&u, &c[..1], 7.0).is_err());
    }
}
