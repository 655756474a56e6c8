//! The SD1.5 training noise schedule (`scaled_linear` betas 0.00085–0.012 over 1000 steps), computed the
//! way diffusers computes it, so that derived values land on diffusers' float32 numbers.
//!
//! diffusers builds the schedule in torch float32: `betas = linspace(√0.00085, √0.012, 1000)²`,
//! `alphas_cumprod = cumprod(1 − betas)`, and the VE sigmas `√((1 − ᾱ)/ᾱ)`. Values are held here as f64
//! but rounded to float32 after every operation diffusers does in float32 (see [`round_f32`]). With
//! torch's linspace and cumprod reproduced below, betas and ᾱ equal torch 2.15's x86-64 tensors bit for
//! bit (checked in Python); σ is within one float32 ulp, because torch's float32 `sqrt` there is not
//! correctly rounded (about 15% of results are 1 ulp off) while ours is.

/// Number of diffusion steps SD1.5 was trained with.
pub(crate) const TRAIN_STEPS: usize = 1000;
const BETA_START: f64 = 0.00085;
const BETA_END: f64 = 0.012;

/// Rounds to the nearest float32: where diffusers stores a value in a float32 tensor or numpy array.
/// For one `+ − × ÷ √` on float32 inputs, computing in f64 and rounding once gives torch's float32 result.
pub(crate) fn round_f32(x: f64) -> f64 {
    x as f32 as f64
}

/// ᾱ and the VE sigma of every training timestep (index = timestep), float32 values.
#[derive(Debug, Clone)]
pub(crate) struct TrainSchedule {
    alphas_cumprod: Vec<f64>,
    sigmas: Vec<f64>,
}

impl TrainSchedule {
    pub(crate) fn sd15() -> Self {
        let alphas_cumprod = cumulative_product(&scaled_linear_betas().iter().map(|b| round_f32(1.0 - b)).collect::<Vec<_>>());
        let sigmas = alphas_cumprod.iter().map(|&a| ve_sigma(a)).collect();
        TrainSchedule { alphas_cumprod, sigmas }
    }

    /// ᾱ_t for t in 0..1000.
    pub(crate) fn alphas_cumprod(&self) -> &[f64] {
        &self.alphas_cumprod
    }

    /// σ_t = √((1 − ᾱ_t)/ᾱ_t) for t in 0..1000, increasing with t.
    pub(crate) fn sigmas(&self) -> &[f64] {
        &self.sigmas
    }

    /// `np.log` of the float32 sigmas, itself float32: the table diffusers' `_sigma_to_t` searches.
    pub(crate) fn log_sigmas(&self) -> Vec<f64> {
        self.sigmas.iter().map(|s| round_f32(s.ln())).collect()
    }
}

/// `torch.linspace(√start, √end, 1000, dtype=float32) ** 2`.
fn scaled_linear_betas() -> Vec<f64> {
    torch_linspace_f32(BETA_START.sqrt(), BETA_END.sqrt(), TRAIN_STEPS).into_iter().map(|b| round_f32(b * b)).collect()
}

/// torch's float32 CPU `linspace`: `start + step·i` for the first half and `end − step·(n−1−i)` for the
/// second, each as one fused multiply-add (how the x86-64 kernel is compiled), with a float32 step.
fn torch_linspace_f32(start: f64, end: f64, n: usize) -> Vec<f64> {
    let (start, end) = (start as f32, end as f32);
    let step = (end - start) / (n - 1) as f32;
    (0..n)
        .map(|i| if i < n / 2 { step.mul_add(i as f32, start) as f64 } else { (-step).mul_add((n - 1 - i) as f32, end) as f64 })
        .collect()
}

/// `torch.cumprod` on a float32 CPU tensor: the running product is kept in double, each output rounded.
fn cumulative_product(values: &[f64]) -> Vec<f64> {
    let mut product = 1.0;
    values
        .iter()
        .map(|v| {
            product *= v;
            round_f32(product)
        })
        .collect()
}

/// `((1 − ᾱ) / ᾱ) ** 0.5` in float32, one rounding per operation.
fn ve_sigma(alpha_cumprod: f64) -> f64 {
    round_f32(round_f32(round_f32(1.0 - alpha_cumprod) / alpha_cumprod).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sd15_endpoints_match_diffusers() {
        let schedule = TrainSchedule::sd15();
        // diffusers' EulerDiscreteScheduler: ᾱ₀, and sigmas[0] (t = 999) and sigmas[-2] (t = 0), float32;
        // torch's σ at t = 0 is the float32 one ulp above the correctly rounded √ we compute.
        assert_eq!(schedule.alphas_cumprod()[0] as f32, 0.999_15_f32);
        assert_eq!(schedule.sigmas()[999] as f32, 14.614_647_f32);
        assert_eq!(schedule.sigmas()[0] as f32, 0.029_167_533_f32);
        assert_eq!((schedule.sigmas()[0] as f32).to_bits() + 1, 0.029_167_535_f32.to_bits());
        assert!(schedule.sigmas().windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn linspace_hits_both_ends_exactly() {
        let values = torch_linspace_f32(0.25, 3.0, 7);
        assert_eq!(values[0], 0.25);
        assert_eq!(values[6], 3.0);
        assert!((values[3] - 1.625).abs() < 1e-6);
    }
}
