//! Variance-preserving coordinates of a VE noise level, for the solvers that work in VP space
//! (DPM++ 2M, UniPC): x_t = α_t·x₀ + σ_t·ε with α_t = 1/√(σ²+1), σ_t = σ·α_t, and the
//! half-log-SNR λ = ln α_t − ln σ_t (diffusers' `_sigma_to_alpha_sigma_t` and `lambda_t`).

#[derive(Debug, Clone, Copy)]
pub(crate) struct VpLevel {
    pub alpha: f64,
    pub sigma: f64,
}

impl VpLevel {
    pub(crate) fn from_ve_sigma(ve_sigma: f64) -> Self {
        let alpha = 1.0 / (ve_sigma * ve_sigma + 1.0).sqrt();
        VpLevel { alpha, sigma: ve_sigma * alpha }
    }

    /// λ = ln(α/σ); +∞ at the noise-free end (σ = 0).
    pub(crate) fn lambda(self) -> f64 {
        self.alpha.ln() - self.sigma.ln()
    }

    /// x₀ predicted from an ε prediction: (x − σ_t·ε)/α_t.
    pub(crate) fn denoised(self, latent: f64, eps: f64) -> f64 {
        (latent - self.sigma * eps) / self.alpha
    }

    /// α_t·x₀ + σ_t·noise (diffusers' `add_noise` of the VP schedulers).
    pub(crate) fn noised(self, x0: f64, noise: f64) -> f64 {
        self.alpha * x0 + self.sigma * noise
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vp_level_preserves_variance_and_inverts() {
        let level = VpLevel::from_ve_sigma(3.0);
        assert!((level.alpha * level.alpha + level.sigma * level.sigma - 1.0).abs() < 1e-12);
        assert!((level.sigma / level.alpha - 3.0).abs() < 1e-12);
        assert!((level.denoised(level.noised(0.7, -1.2), -1.2) - 0.7).abs() < 1e-12);
        assert_eq!(VpLevel::from_ve_sigma(0.0).lambda(), f64::INFINITY);
    }
}
