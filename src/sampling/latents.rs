//! Element-wise arithmetic on latent buffers (row-major `[b, 4, h, w]`, but the layout never matters
//! here: every sampler update is per element). Work is done in f64 and rounded to f32 once per result.

use super::error::SamplerError;

/// Fails unless `values` has as many elements as the latents.
pub(crate) fn check_len(what: &'static str, values: &[f32], expected: usize) -> Result<(), SamplerError> {
    if values.len() == expected { Ok(()) } else { Err(SamplerError::LengthMismatch { what, expected, got: values.len() }) }
}

/// `f(a[i], b[i])` for every element, after checking that `b` matches `a` in length.
pub(crate) fn zip_map(a: &[f32], b: &[f32], b_name: &'static str, f: impl Fn(f64, f64) -> f64) -> Result<Vec<f32>, SamplerError> {
    check_len(b_name, b, a.len())?;
    Ok(a.iter().zip(b).map(|(&x, &y)| f(x as f64, y as f64) as f32).collect())
}

/// Every element divided by `divisor`.
pub(crate) fn divided(values: &[f32], divisor: f64) -> Vec<f32> {
    values.iter().map(|&v| (v as f64 / divisor) as f32).collect()
}
