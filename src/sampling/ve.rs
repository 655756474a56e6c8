//! Variance-exploding space, where the Euler samplers work: x = x₀ + σ·ε, and the UNet (trained on
//! VP inputs) is fed x/√(σ²+1).

use super::schedule::round_f32;

/// The divisor diffusers' `scale_model_input` applies, `(σ**2 + 1) ** 0.5`, as its float32 value.
pub(crate) fn input_divisor(sigma: f64) -> f64 {
    round_f32(round_f32(round_f32(sigma * sigma) + 1.0).sqrt())
}

/// x₀ predicted from an ε prediction: x − σ·ε.
pub(crate) fn denoised(latent: f64, sigma: f64, eps: f64) -> f64 {
    latent - sigma * eps
}

/// x₀ + σ·noise (diffusers' `add_noise` of the Euler schedulers).
pub(crate) fn noised(x0: f64, sigma: f64, noise: f64) -> f64 {
    x0 + sigma * noise
}
