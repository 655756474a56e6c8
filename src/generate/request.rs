//! Everything one generation needs, checked before any network runs.

use crate::control::Hint;
use crate::model::ClipSkip;
use crate::sampling::SamplerKind;
use crate::sampling::noise::RngSource;

use super::control_mode::ControlMode;

/// The largest image side Nurie generates, in pixels.
pub const MAX_SIDE: usize = 8192;

/// A side snapped to the nearest multiple of 8 (at least 8), as the UNet needs.
pub fn nearest_multiple_of_8(side: u32) -> u32 {
    (side.saturating_add(4) / 8 * 8).max(8)
}

/// One generation: a prompt pair, sampler settings, size, seeds, and optional line art and init image.
#[derive(Debug, Clone)]
pub struct Request {
    pub prompt: String,
    pub negative_prompt: String,
    pub sampler: SamplerKind,
    pub steps: usize,
    /// Classifier-free guidance scale; 1.0 runs the conditional half only.
    pub cfg_scale: f32,
    /// The first image's seed; image i of a batch uses `seed + i`, as A1111 does.
    pub seed: u64,
    pub rng: RngSource,
    /// A1111's "Eta noise seed delta": ancestral noise comes from generators seeded `seed + delta`.
    pub eta_noise_seed_delta: u64,
    pub clip_skip: ClipSkip,
    /// Image size in pixels, multiples of 8.
    pub width: usize,
    pub height: usize,
    /// How many images, one after another (each written as soon as it is done).
    pub batch_count: usize,
    pub control: Vec<ControlUnit>,
    pub init_image: Option<InitImage>,
    /// Exact noise instead of the seeded generators (tests and reproduction).
    pub noise: NoiseOverride,
}

/// One ControlNet unit: which loaded ControlNet, its prepared hint, and how strongly and when it acts.
#[derive(Debug, Clone)]
pub struct ControlUnit {
    /// Index into [`super::Models::controlnets`].
    pub controlnet: usize,
    pub hint: Hint,
    pub weight: f32,
    /// Fraction of the steps where guidance starts and ends, in [0, 1].
    pub start: f32,
    pub end: f32,
    pub mode: ControlMode,
}

impl ControlUnit {
    /// sd-webui-controlnet's rule: a unit acts at step i of n unless i/n is before `start` or after `end`.
    pub fn active_at(&self, step: usize, steps: usize) -> bool {
        let progress = step as f32 / steps.max(1) as f32;
        !(progress < self.start || progress > self.end)
    }
}

/// img2img: the picture to start from (already at the generation size, RGB8) and how much to change it.
#[derive(Debug, Clone)]
pub struct InitImage {
    pub rgb: image::RgbImage,
    /// Denoising strength in [0, 1]: 0 keeps the image, 1 replaces it entirely.
    pub strength: f32,
}

/// Noise given from outside, row-major f32: `initial` [b, 4, h, w] (unit normal) and `ancestral`
/// [steps, b, 4, h, w] (step k of the steps actually run adds `ancestral[k]`).
#[derive(Debug, Clone, Default)]
pub struct NoiseOverride {
    pub initial: Option<Vec<f32>>,
    pub ancestral: Option<Vec<f32>>,
}

/// A request that cannot run, with what to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    #[error("steps must be at least 1")]
    NoSteps,
    #[error("batch count must be at least 1")]
    NoImages,
    #[error("the size {width}×{height} is not possible: each side must be a multiple of 8 between 8 and {MAX_SIDE} pixels")]
    Size { width: usize, height: usize },
    #[error("denoising strength {0} is outside [0, 1]")]
    Strength(f32),
    #[error("CFG scale {0} is not a finite number")]
    CfgScale(f32),
    #[error("ControlNet unit {unit}: {problem}")]
    ControlUnit { unit: usize, problem: String },
    #[error("the {what} noise has {found} values; {expected} were expected for this size, batch and step count")]
    NoiseLength { what: &'static str, found: usize, expected: usize },
    #[error("the init image is {found:?} pixels; the generation size is {expected:?}")]
    InitImageSize { found: [u32; 2], expected: [usize; 2] },
}

impl Request {
    /// Latent size [h, w] (1/8 of the image).
    pub fn latent_size(&self) -> [usize; 2] {
        [self.height / 8, self.width / 8]
    }

    /// Values in one image's latents.
    pub fn latent_len(&self) -> usize {
        let [h, w] = self.latent_size();
        4 * h * w
    }

    /// Checks everything that does not need the models.
    pub fn validate(&self, controlnets: usize) -> Result<(), RequestError> {
        if self.steps == 0 {
            return Err(RequestError::NoSteps);
        }
        if self.batch_count == 0 {
            return Err(RequestError::NoImages);
        }
        let side_ok = |s: usize| s >= 8 && s <= MAX_SIDE && s % 8 == 0;
        if !side_ok(self.width) || !side_ok(self.height) {
            return Err(RequestError::Size { width: self.width, height: self.height });
        }
        if !self.cfg_scale.is_finite() {
            return Err(RequestError::CfgScale(self.cfg_scale));
        }
        if let Some(init) = &self.init_image {
            self.validate_init(init)?;
        }
        for (unit, control) in self.control.iter().enumerate() {
            self.validate_unit(unit, control, controlnets)?;
        }
        self.validate_noise()
    }

    fn validate_init(&self, init: &InitImage) -> Result<(), RequestError> {
        if !(0.0..=1.0).contains(&init.strength) {
            return Err(RequestError::Strength(init.strength));
        }
        let found = [init.rgb.width(), init.rgb.height()];
        if [found[0] as usize, found[1] as usize] != [self.width, self.height] {
            return Err(RequestError::InitImageSize { found, expected: [self.width, self.height] });
        }
        Ok(())
    }

    fn validate_unit(&self, unit: usize, control: &ControlUnit, controlnets: usize) -> Result<(), RequestError> {
        let problem = if control.controlnet >= controlnets {
            Some(format!("there is no ControlNet model number {}", control.controlnet + 1))
        } else if [control.hint.width as usize, control.hint.height as usize] != [self.width, self.height] {
            Some(format!("the hint is {}×{}, the image {}×{}", control.hint.width, control.hint.height, self.width, self.height))
        } else if !(0.0..=1.0).contains(&control.start) || !(0.0..=1.0).contains(&control.end) || control.start > control.end {
            Some(format!("guidance start {} and end {} must satisfy 0 ≤ start ≤ end ≤ 1", control.start, control.end))
        } else if !control.weight.is_finite() {
            Some(format!("weight {} is not a finite number", control.weight))
        } else {
            None
        };
        match problem {
            Some(problem) => Err(RequestError::ControlUnit { unit, problem }),
            None => Ok(()),
        }
    }

    fn validate_noise(&self) -> Result<(), RequestError> {
        let per_image = self.latent_len() * self.batch_count;
        if let Some(initial) = &self.noise.initial {
            if initial.len() != per_image {
                return Err(RequestError::NoiseLength { what: "initial", found: initial.len(), expected: per_image });
            }
        }
        if let Some(ancestral) = &self.noise.ancestral {
            let expected = per_image * self.steps;
            if ancestral.len() != expected {
                return Err(RequestError::NoiseLength { what: "ancestral", found: ancestral.len(), expected });
            }
        }
        Ok(())
    }
}
