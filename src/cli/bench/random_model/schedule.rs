//! The top-level buffers an original SD1.x checkpoint carries besides the networks: the DDPM noise
//! schedule (`LatentDiffusion.register_schedule`, SD1.5's scaled-linear betas over 1000 steps) and the
//! EMA's bookkeeping. Nurie computes its schedule itself; they are written so the file has every key a
//! real one has, with the values a real one has.

use super::spec::{Element, Init, Layout, TensorSpec};

const TRAIN_STEPS: usize = 1000;
const BETA_START: f64 = 0.000_85;
const BETA_END: f64 = 0.012;

/// One schedule buffer (its key is its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buffer {
    Betas,
    AlphasCumprod,
    AlphasCumprodPrev,
    SqrtAlphasCumprod,
    SqrtOneMinusAlphasCumprod,
    LogOneMinusAlphasCumprod,
    SqrtRecipAlphasCumprod,
    SqrtRecipm1AlphasCumprod,
    PosteriorVariance,
    PosteriorLogVarianceClipped,
    PosteriorMeanCoef1,
    PosteriorMeanCoef2,
}

const BUFFERS: [(Buffer, &str); 12] = [
    (Buffer::Betas, "betas"),
    (Buffer::AlphasCumprod, "alphas_cumprod"),
    (Buffer::AlphasCumprodPrev, "alphas_cumprod_prev"),
    (Buffer::SqrtAlphasCumprod, "sqrt_alphas_cumprod"),
    (Buffer::SqrtOneMinusAlphasCumprod, "sqrt_one_minus_alphas_cumprod"),
    (Buffer::LogOneMinusAlphasCumprod, "log_one_minus_alphas_cumprod"),
    (Buffer::SqrtRecipAlphasCumprod, "sqrt_recip_alphas_cumprod"),
    (Buffer::SqrtRecipm1AlphasCumprod, "sqrt_recipm1_alphas_cumprod"),
    (Buffer::PosteriorVariance, "posterior_variance"),
    (Buffer::PosteriorLogVarianceClipped, "posterior_log_variance_clipped"),
    (Buffer::PosteriorMeanCoef1, "posterior_mean_coef1"),
    (Buffer::PosteriorMeanCoef2, "posterior_mean_coef2"),
];

/// The schedule buffers and `model_ema.decay`/`model_ema.num_updates`.
pub fn tensors() -> Vec<TensorSpec> {
    let mut layout = Layout::default();
    for (buffer, name) in BUFFERS {
        layout.float(name.into(), vec![TRAIN_STEPS], Init::Schedule(buffer));
    }
    layout.float("model_ema.decay".into(), vec![], Init::Constant(0.9999));
    layout.push("model_ema.num_updates".into(), vec![], Element::I32, Init::Constant(0.0));
    layout.tensors
}

/// The buffer's 1000 values, computed in f64 as the LDM code does.
pub fn values(buffer: Buffer) -> Vec<f64> {
    let (start, end) = (BETA_START.sqrt(), BETA_END.sqrt());
    let last = (TRAIN_STEPS - 1) as f64;
    let betas: Vec<f64> = (0..TRAIN_STEPS).map(|i| (start + (end - start) * i as f64 / last).powi(2)).collect();
    let mut cumprod = Vec::with_capacity(TRAIN_STEPS);
    let mut product = 1.0;
    for beta in &betas {
        product *= 1.0 - beta;
        cumprod.push(product);
    }
    (0..TRAIN_STEPS).map(|t| value(buffer, betas[t], cumprod[t], if t == 0 { 1.0 } else { cumprod[t - 1] })).collect()
}

/// One step's value from its beta, ᾱ and the previous ᾱ.
fn value(buffer: Buffer, beta: f64, ac: f64, prev: f64) -> f64 {
    let posterior_variance = beta * (1.0 - prev) / (1.0 - ac);
    match buffer {
        Buffer::Betas => beta,
        Buffer::AlphasCumprod => ac,
        Buffer::AlphasCumprodPrev => prev,
        Buffer::SqrtAlphasCumprod => ac.sqrt(),
        Buffer::SqrtOneMinusAlphasCumprod => (1.0 - ac).sqrt(),
        Buffer::LogOneMinusAlphasCumprod => (1.0 - ac).ln(),
        Buffer::SqrtRecipAlphasCumprod => (1.0 / ac).sqrt(),
        Buffer::SqrtRecipm1AlphasCumprod => (1.0 / ac - 1.0).sqrt(),
        Buffer::PosteriorVariance => posterior_variance,
        Buffer::PosteriorLogVarianceClipped => posterior_variance.max(1e-20).ln(),
        Buffer::PosteriorMeanCoef1 => beta * prev.sqrt() / (1.0 - ac),
        Buffer::PosteriorMeanCoef2 => (1.0 - prev) * (1.0 - beta).sqrt() / (1.0 - ac),
    }
}
