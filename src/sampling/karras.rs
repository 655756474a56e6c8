//! The Karras et al. (2022) noise levels, and the inverse map from a sigma back to a (fractional)
//! training timestep, as diffusers' `_convert_to_karras` and `_sigma_to_t` compute them (float64 numpy).

const RHO: f64 = 7.0;

/// `n` sigmas from `sigma_max` down to `sigma_min`, evenly spaced in σ^(1/ρ) with ρ = 7.
pub(crate) fn karras_sigmas(sigma_min: f64, sigma_max: f64, n: usize) -> Vec<f64> {
    let min_inv_rho = sigma_min.powf(1.0 / RHO);
    let max_inv_rho = sigma_max.powf(1.0 / RHO);
    super::spacing::numpy_linspace(0.0, 1.0, n)
        .into_iter()
        .map(|ramp| (max_inv_rho + ramp * (min_inv_rho - max_inv_rho)).powf(RHO))
        .collect()
}

/// The training timestep whose sigma is `sigma`, interpolating linearly in log σ between the two
/// neighbouring entries of `log_sigmas` (increasing with t) and clamping to the table's range.
pub(crate) fn sigma_to_t(sigma: f64, log_sigmas: &[f64]) -> f64 {
    let log_sigma = sigma.max(1e-10).ln();
    let last_pair = log_sigmas.len().saturating_sub(2);
    // diffusers: the last index whose log σ is ≤ log_sigma (0 when there is none), at most len − 2.
    let low = log_sigmas.iter().rposition(|&l| log_sigma - l >= 0.0).unwrap_or(0).min(last_pair);
    let (low_log, high_log) = (log_sigmas[low], log_sigmas[low + 1]);
    let w = ((low_log - log_sigma) / (low_log - high_log)).clamp(0.0, 1.0);
    (1.0 - w) * low as f64 + w * (low + 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn karras_sigmas_start_and_end_at_the_given_range() {
        let sigmas = karras_sigmas(0.03, 14.6, 4);
        assert!((sigmas[0] - 14.6).abs() < 1e-12 && (sigmas[3] - 0.03).abs() < 1e-12);
        assert!(sigmas.windows(2).all(|w| w[0] > w[1]));
        assert_eq!(karras_sigmas(0.03, 14.6, 1).len(), 1);
    }

    #[test]
    fn sigma_to_t_inverts_the_table_and_clamps() {
        let log_sigmas: Vec<f64> = [0.1f64, 0.2, 0.4, 0.8].iter().map(|s| s.ln()).collect();
        assert!((sigma_to_t(0.2, &log_sigmas) - 1.0).abs() < 1e-12);
        assert!((sigma_to_t(0.4f64.sqrt() * 0.2f64.sqrt(), &log_sigmas) - 1.5).abs() < 1e-12);
        assert_eq!(sigma_to_t(5.0, &log_sigmas), 3.0);
        assert_eq!(sigma_to_t(0.01, &log_sigmas), 0.0);
    }
}
