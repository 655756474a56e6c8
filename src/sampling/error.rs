//! Everything that can go wrong while choosing or driving a sampler.
//!
//! The first three come from what a user typed (step count, img2img strength); the rest
//! mean the pipeline called a sampler inconsistently, and name the step so the bug is easy to find.

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SamplerError {
    #[error("{sampler} needs between 1 and {max} steps, got {steps}")]
    InvalidSteps { sampler: &'static str, steps: usize, max: usize },

    #[error("img2img strength must be between 0 and 1, got {strength}")]
    InvalidStrength { strength: f64 },

    #[error("img2img strength {strength} with {steps} steps leaves no step to run (raise the strength or the steps)")]
    NoStepsLeft { steps: usize, strength: f64 },

    #[error("step {step} is outside this {steps}-step schedule")]
    StepOutOfRange { step: usize, steps: usize },

    #[error("{what} has {got} values but the latents have {expected}")]
    LengthMismatch { what: &'static str, expected: usize, got: usize },

    #[error("{sampler} step {step} needs fresh noise and none was given")]
    MissingNoise { sampler: &'static str, step: usize },

    #[error("{sampler} keeps a history and must run its steps in order: expected step {expected}, got {got}")]
    StepOutOfOrder { sampler: &'static str, expected: usize, got: usize },
}
