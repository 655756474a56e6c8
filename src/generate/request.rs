//! Everything one generation needs, checked before any network runs.

use crate::control::Hint;
use crate::hints::ColorGuide;
use crate::metadata::{
    ControlGuidance, DEFAULT_DENOISING_STRENGTH, DEFAULT_HINT_STRENGTH, DEFAULT_HIRES_DENOISING_STRENGTH, GenerationSettings,
    ReferenceSettings,
};
use crate::model::ClipSkip;
use crate::sampling::SamplerError;
use crate::vocabulary::{Choice, RecordedSampler, SamplerKind};

use super::prompt_check::{MAX_PROMPT_CHUNKS, WhichPrompt, check_prompt};
use crate::upscale::{LatentUpscale, UpscaleError, UpscalerChoice, find_upscaler};

/// The largest image side Nurie generates, in pixels.
pub const MAX_SIDE: usize = 8192;

/// A side snapped to the nearest multiple of 8 (at least 8), as the UNet needs.
pub fn nearest_multiple_of_8(side: u32) -> u32 {
    (side.saturating_add(4) / 8 * 8).max(8)
}

/// One generation as the engine takes it: the user's settings, the line-art units with their hints
/// made, and the img2img picture at the generation size. Made from a plan by
/// [`super::Resolver::resolve`], or directly by tests.
#[derive(Debug, Clone)]
pub struct Request {
    /// The first picture's seed is `settings.seed`; picture i uses `seed + i`, as A1111 does.
    pub settings: GenerationSettings,
    pub control: Vec<ControlUnit>,
    /// Reference units: pictures whose look the generation shares (see [`ReferenceUnit`]).
    pub reference: Vec<ReferenceUnit>,
    pub init_image: Option<InitImage>,
    /// Exact noise instead of the seeded generators (tests and reproduction).
    pub noise: NoiseOverride,
    /// The textual-inversion embeddings either prompt may call by name; `None`: every word is text.
    pub embeddings: Option<std::sync::Arc<crate::networks::embedding::EmbeddingLibrary>>,
    /// Color hints spread into their areas, at the generation size; the settings' hint strength says
    /// for how many of the steps the hinted areas are held (see [`crate::hints`]).
    pub color_guide: Option<ColorGuide>,
    /// Hires fix's second pass, made ready; its scale, steps and upscaler are the settings' `hires`.
    pub hires: Option<HiresPass>,
}

/// Hires fix's second pass, made ready: how the first pass is enlarged, and each line-art unit's hint at
/// the second pass's size (A1111's ControlNet extension prepares a hint for each pass).
#[derive(Debug, Clone)]
pub struct HiresPass {
    pub upscale: HiresUpscale,
    /// The hints of `control`'s units, in their order, at the second pass's size.
    pub hints: Vec<Hint>,
}

/// How hires fix enlarges the first pass: its latents, or its picture (then encoded again).
#[derive(Debug, Clone, PartialEq)]
pub enum HiresUpscale {
    Latent(LatentUpscale),
    Picture(UpscalerChoice),
}

impl HiresUpscale {
    /// The upscaler A1111 calls `name`: a latent mode, or a picture upscaler found by [`find_upscaler`].
    pub fn named(name: &str, folders: &[std::path::PathBuf]) -> Result<Self, UpscaleError> {
        match LatentUpscale::from_name(name) {
            Some(mode) => Ok(Self::Latent(mode)),
            None => find_upscaler(name, folders).map(Self::Picture),
        }
    }
}

/// One ControlNet unit: which loaded ControlNet, its prepared hint, and how strongly and when it acts.
#[derive(Debug, Clone)]
pub struct ControlUnit {
    /// Index into [`super::Models::controlnets`].
    pub controlnet: usize,
    pub hint: Hint,
    pub guidance: ControlGuidance,
}

/// A reference unit: a picture (a character sheet, an earlier colored page) whose attention and block
/// statistics the generation shares, already at the generation size (RGB8).
#[derive(Debug, Clone)]
pub struct ReferenceUnit {
    pub image: image::RgbImage,
    pub settings: ReferenceSettings,
}

/// img2img: the picture to start from, already at the generation size (RGB8). How much of it changes
/// is the settings' denoising strength.
#[derive(Debug, Clone)]
pub struct InitImage {
    pub rgb: image::RgbImage,
    /// Inpainting: only the part the mask marks is redrawn (settings in the settings' `inpaint`).
    pub mask: Option<InpaintMask>,
}

impl InitImage {
    /// A plain img2img picture.
    pub fn whole(rgb: image::RgbImage) -> Self {
        InitImage { rgb, mask: None }
    }
}

/// An inpainting mask made ready: at the generation size, blurred, 255 where the picture is redrawn;
/// and the original that goes back over each result (none with paste-back off).
#[derive(Debug, Clone)]
pub struct InpaintMask {
    pub mask: image::GrayImage,
    pub overlay: Option<crate::inpaint::Overlay>,
}

/// Noise given from outside, row-major f32: `initial` [b, 4, h, w] (unit normal) and `ancestral`
/// [steps, b, 4, h, w] (step k of the steps actually run adds `ancestral[k]`).
#[derive(Debug, Clone, Default)]
pub struct NoiseOverride {
    pub initial: Option<Vec<f32>>,
    pub ancestral: Option<Vec<f32>>,
    /// The reference units' draws, the same for every image and unit.
    pub reference: Option<ReferenceNoise>,
    /// Inpainting checkpoints: the draw [1, 4, h, w] that samples the masked picture's latent posterior
    /// (masked latents = (mean + std · draw) · 0.18215, as diffusers encodes it); without it, the mean.
    pub masked_image: Option<Vec<f32>>,
}

/// A reference unit's draws, row-major f32: `encode` [1, 4, h, w] samples the reference picture's
/// latent posterior (latents = (mean + std · encode) · 0.18215), and `steps` [steps, 1, 4, h, w]
/// noises those latents to the level of each step run (k-th step run, k-th entry).
#[derive(Debug, Clone, Default)]
pub struct ReferenceNoise {
    pub encode: Vec<f32>,
    pub steps: Vec<f32>,
}

/// A request that cannot run, with what to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    #[error("steps must be at least 1")]
    NoSteps,
    #[error("batch count must be at least 1")]
    NoImages,
    #[error("the size {width}×{height} is not possible: each side must be a multiple of 8 between 8 and {MAX_SIDE} pixels")]
    Size { width: u32, height: u32 },
    #[error("denoising strength {0} is outside [0, 1]")]
    Strength(f64),
    #[error("hires fix: {0}")]
    Hires(String),
    #[error("hint strength {0} is outside [0, 1]")]
    HintStrength(f64),
    #[error("the color hints are {found:?} pixels; the generation size is {expected:?}")]
    ColorHintsSize { found: [u32; 2], expected: [u32; 2] },
    #[error("CFG scale {0} is not a finite number")]
    CfgScale(f64),
    #[error("the sampler `{name}` is not one Nurie has: choose one of {accepted}")]
    UnknownSampler { name: String, accepted: String },
    #[error("ControlNet unit {unit}: {problem}")]
    ControlUnit { unit: usize, problem: String },
    #[error("reference unit {unit}: {problem}")]
    ReferenceUnit { unit: usize, problem: String },
    #[error("the {what} noise has {found} values; {expected} were expected for this size, batch and step count")]
    NoiseLength { what: &'static str, found: usize, expected: usize },
    #[error("the init image is {found:?} pixels; the generation size is {expected:?}")]
    InitImageSize { found: [u32; 2], expected: [u32; 2] },
    #[error("inpainting: {0}")]
    Inpaint(String),
    #[error("{0}")]
    Steps(#[source] SamplerError),
    #[error("CLIP skip {0} is not possible: SD1.x text encoders have {MAX_CLIP_SKIP} layers, so it is 1 to {MAX_CLIP_SKIP}")]
    ClipSkip(u32),
    #[error("the {which} is {length} long; Nurie takes at most {MAX_PROMPT_CHUNKS} chunks of 75 tokens: shorten it")]
    PromptTooLong { which: WhichPrompt, length: String },
    #[error("the {which}'s prompt editing: {message}")]
    PromptEditing { which: WhichPrompt, message: String },
    #[error("the {which} contains a NUL character (U+0000), which a picture's metadata cannot hold: remove it")]
    PromptNul { which: WhichPrompt },
    #[error(
        "in the {which}, the brackets around `{text}` give it a weight of {weight:e}, more than the arithmetic can \
         hold: remove some brackets"
    )]
    PromptWeight { which: WhichPrompt, text: String, weight: f64 },
}

/// Layers of an SD1.x text encoder (CLIP ViT-L/14): CLIP skip counts back from the last of them.
pub const MAX_CLIP_SKIP: u32 = 12;

/// Checks the settings alone, before any file is read: sizes, counts, CLIP skip, sampler and prompts.
pub fn validate_settings(settings: &GenerationSettings) -> Result<(), RequestError> {
    if settings.steps == 0 {
        return Err(RequestError::NoSteps);
    }
    if settings.batch_size == 0 {
        return Err(RequestError::NoImages);
    }
    let side_ok = |s: u32| (8..=MAX_SIDE as u32).contains(&s) && s.is_multiple_of(8);
    if !side_ok(settings.width) || !side_ok(settings.height) {
        return Err(RequestError::Size { width: settings.width, height: settings.height });
    }
    if !settings.cfg_scale.is_finite() {
        return Err(RequestError::CfgScale(settings.cfg_scale));
    }
    if !(1..=MAX_CLIP_SKIP).contains(&settings.clip_skip) {
        return Err(RequestError::ClipSkip(settings.clip_skip));
    }
    let sampler = known_sampler(&settings.sampler)?;
    // Building the schedule checks the step count against what this sampler allows (LCM: 50).
    crate::sampling::sampler(sampler, settings.steps as usize).map_err(RequestError::Steps)?;
    check_prompt(WhichPrompt::Prompt, &settings.prompt)?;
    check_prompt(WhichPrompt::Negative, &settings.negative_prompt)
}

fn known_sampler(sampler: &RecordedSampler) -> Result<SamplerKind, RequestError> {
    sampler.known().ok_or_else(|| RequestError::UnknownSampler {
        name: sampler.label().to_string(),
        accepted: SamplerKind::ALL.iter().map(|kind| kind.label()).collect::<Vec<_>>().join(", "),
    })
}

impl Request {
    pub fn width(&self) -> usize {
        self.settings.width as usize
    }

    pub fn height(&self) -> usize {
        self.settings.height as usize
    }

    pub fn steps(&self) -> usize {
        self.settings.steps as usize
    }

    /// How many pictures, one after another (each written as soon as it is done).
    pub fn batch_count(&self) -> usize {
        self.settings.batch_size as usize
    }

    pub fn cfg_scale(&self) -> f32 {
        self.settings.cfg_scale as f32
    }

    pub fn clip_skip(&self) -> ClipSkip {
        ClipSkip(self.settings.clip_skip.clamp(1, MAX_CLIP_SKIP) as usize)
    }

    /// A1111's eta noise seed delta as the noise generators take it (negative values count as 0).
    pub fn eta_noise_seed_delta(&self) -> u64 {
        self.settings.ensd.max(0) as u64
    }

    /// The sampler to run; another tool's sampler cannot run ([`Request::validate`] says so first).
    pub fn sampler(&self) -> Result<SamplerKind, RequestError> {
        known_sampler(&self.settings.sampler)
    }

    /// The denoising strength of img2img, or of hires fix's second pass (A1111's 0.75 and 0.7 when the
    /// settings do not say).
    pub fn strength(&self) -> f64 {
        let default = match (&self.init_image, &self.hires) {
            (None, Some(_)) => DEFAULT_HIRES_DENOISING_STRENGTH,
            _ => DEFAULT_DENOISING_STRENGTH,
        };
        self.settings.denoising_strength.unwrap_or(default)
    }

    /// The fraction of the steps color hints hold their areas ([`DEFAULT_HINT_STRENGTH`] when the
    /// settings do not say).
    pub fn hint_strength(&self) -> f64 {
        self.settings.hint_strength.unwrap_or(DEFAULT_HINT_STRENGTH)
    }

    /// The second pass's size [width, height] with hires fix.
    pub fn hires_size(&self) -> Option<[u32; 2]> {
        let hires = self.settings.hires.as_ref().filter(|_| self.hires.is_some())?;
        let (width, height) = hires.size(self.settings.width, self.settings.height);
        Some([width, height])
    }

    /// Steps the second pass runs (0 without hires fix).
    pub fn hires_steps(&self) -> usize {
        let hires = self.settings.hires.as_ref().filter(|_| self.hires.is_some());
        hires.map_or(0, |hires| hires.steps_or(self.settings.steps) as usize)
    }

    /// Latent size [h, w] (1/8 of the image).
    pub fn latent_size(&self) -> [usize; 2] {
        [self.height() / 8, self.width() / 8]
    }

    /// Values in one image's latents.
    pub fn latent_len(&self) -> usize {
        let [h, w] = self.latent_size();
        4 * h * w
    }

    /// Checks everything that does not need the models.
    pub fn validate(&self, controlnets: usize) -> Result<(), RequestError> {
        validate_settings(&self.settings)?;
        if let Some(init) = &self.init_image {
            self.validate_init(init)?;
        }
        if let Some(guide) = &self.color_guide {
            self.validate_guide(guide)?;
        }
        for (unit, control) in self.control.iter().enumerate() {
            self.validate_unit(unit, control, controlnets)?;
        }
        for (unit, reference) in self.reference.iter().enumerate() {
            self.validate_reference(unit, reference)?;
        }
        if let Some(pass) = &self.hires {
            self.validate_hires(pass)?;
        }
        self.validate_noise()
    }

    /// A second pass needs the settings' scale (more than 1, to at most [`MAX_SIDE`]), a strength in (0, 1],
    /// and a hint of its size for each unit.
    fn validate_hires(&self, pass: &HiresPass) -> Result<(), RequestError> {
        let problem = |text: String| Err(RequestError::Hires(text));
        let Some(hires) = &self.settings.hires else { return problem("the settings say nothing of a second pass".into()) };
        if !(hires.scale.is_finite() && hires.scale > 1.0) {
            return problem(format!("the upscale {} must be more than 1", hires.scale));
        }
        let [width, height] = self.hires_size().unwrap_or_default();
        if width.max(height) as usize > MAX_SIDE {
            return problem(format!("{width}×{height} is larger than the {MAX_SIDE} pixels a side Nurie generates"));
        }
        let strength = self.strength();
        if !(strength > 0.0 && strength <= 1.0) {
            return problem(format!("the denoising strength {strength} must be more than 0 and at most 1"));
        }
        let sizes_fit = pass.hints.iter().all(|hint| [hint.width, hint.height] == [width, height]);
        if pass.hints.len() != self.control.len() || !sizes_fit {
            return problem(format!("each line-art unit needs a hint of {width}×{height}"));
        }
        Ok(())
    }

    fn validate_init(&self, init: &InitImage) -> Result<(), RequestError> {
        let strength = self.strength();
        if !(0.0..=1.0).contains(&strength) {
            return Err(RequestError::Strength(strength));
        }
        let found = [init.rgb.width(), init.rgb.height()];
        let expected = [self.settings.width, self.settings.height];
        if found != expected {
            return Err(RequestError::InitImageSize { found, expected });
        }
        match &init.mask {
            Some(mask) => self.validate_mask(mask),
            None => Ok(()),
        }
    }

    /// A mask needs the settings' inpainting, the generation size, and no second pass or reference unit.
    fn validate_mask(&self, mask: &InpaintMask) -> Result<(), RequestError> {
        let problem = |text: &str| Err(RequestError::Inpaint(text.to_string()));
        let expected = [self.settings.width, self.settings.height];
        if self.settings.inpaint.is_none() {
            return problem("a mask was given without the inpainting settings");
        }
        if [mask.mask.width(), mask.mask.height()] != expected {
            return problem("the mask does not have the generation size");
        }
        if self.hires.is_some() {
            return problem("hires fix does not run with a mask: inpaint the finished picture instead");
        }
        if !self.reference.is_empty() {
            return problem("reference units do not run with a mask yet: leave them out to inpaint");
        }
        Ok(())
    }

    fn validate_guide(&self, guide: &ColorGuide) -> Result<(), RequestError> {
        let strength = self.hint_strength();
        if !(0.0..=1.0).contains(&strength) {
            return Err(RequestError::HintStrength(strength));
        }
        let found = [guide.image.width(), guide.image.height()];
        let expected = [self.settings.width, self.settings.height];
        if found != expected || guide.coverage.dimensions() != guide.image.dimensions() {
            return Err(RequestError::ColorHintsSize { found, expected });
        }
        Ok(())
    }

    fn validate_unit(&self, unit: usize, control: &ControlUnit, controlnets: usize) -> Result<(), RequestError> {
        let guidance = &control.guidance;
        let (start, end) = (guidance.guidance_start, guidance.guidance_end);
        let problem = if control.controlnet >= controlnets {
            Some(format!("there is no ControlNet model number {}", control.controlnet + 1))
        } else if [control.hint.width, control.hint.height] != [self.settings.width, self.settings.height] {
            let (width, height) = (self.settings.width, self.settings.height);
            Some(format!("the hint is {}×{}, the image {width}×{height}", control.hint.width, control.hint.height))
        } else if !(0.0..=1.0).contains(&start) || !(0.0..=1.0).contains(&end) || start > end {
            Some(format!("guidance start {start} and end {end} must satisfy 0 ≤ start ≤ end ≤ 1"))
        } else if !guidance.weight.is_finite() {
            Some(format!("weight {} is not a finite number", guidance.weight))
        } else {
            None
        };
        match problem {
            Some(problem) => Err(RequestError::ControlUnit { unit, problem }),
            None => Ok(()),
        }
    }

    fn validate_reference(&self, unit: usize, reference: &ReferenceUnit) -> Result<(), RequestError> {
        let settings = &reference.settings;
        let (start, end) = (settings.guidance_start, settings.guidance_end);
        let size = [reference.image.width(), reference.image.height()];
        let problem = if size != [self.settings.width, self.settings.height] {
            let (width, height) = (self.settings.width, self.settings.height);
            Some(format!("the picture is {}×{}, the image {width}×{height}", size[0], size[1]))
        } else if !(0.0..=1.0).contains(&start) || !(0.0..=1.0).contains(&end) || start > end {
            Some(format!("guidance start {start} and end {end} must satisfy 0 ≤ start ≤ end ≤ 1"))
        } else if !(0.0..=1.0).contains(&settings.style_fidelity) {
            Some(format!("style fidelity {} is outside [0, 1]", settings.style_fidelity))
        } else if !settings.weight.is_finite() || settings.weight < 0.0 {
            Some(format!("weight {} must be a number of at least 0", settings.weight))
        } else {
            None
        };
        match problem {
            Some(problem) => Err(RequestError::ReferenceUnit { unit, problem }),
            None => Ok(()),
        }
    }

    fn validate_noise(&self) -> Result<(), RequestError> {
        let per_image = self.latent_len() * self.batch_count();
        if let Some(initial) = &self.noise.initial
            && initial.len() != per_image
        {
            return Err(RequestError::NoiseLength { what: "initial", found: initial.len(), expected: per_image });
        }
        if let Some(ancestral) = &self.noise.ancestral {
            let expected = per_image * self.steps();
            if ancestral.len() != expected {
                return Err(RequestError::NoiseLength { what: "ancestral", found: ancestral.len(), expected });
            }
        }
        if let Some(draw) = &self.noise.masked_image
            && draw.len() != self.latent_len()
        {
            return Err(RequestError::NoiseLength { what: "masked image", found: draw.len(), expected: self.latent_len() });
        }
        if let Some(reference) = &self.noise.reference {
            let one = self.latent_len();
            if reference.encode.len() != one {
                return Err(RequestError::NoiseLength { what: "reference encode", found: reference.encode.len(), expected: one });
            }
            let steps = one * self.steps();
            if reference.steps.len() != steps {
                return Err(RequestError::NoiseLength { what: "reference step", found: reference.steps.len(), expected: steps });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(sampler: SamplerKind, steps: u32) -> GenerationSettings {
        GenerationSettings { sampler: sampler.into(), steps, width: 64, height: 64, ..GenerationSettings::default() }
    }

    /// A sampler's own step limit (LCM's 50 distillation timesteps) is checked before models load.
    #[test]
    fn each_sampler_s_step_limit_is_checked_up_front() {
        validate_settings(&settings(SamplerKind::Lcm, 50)).unwrap();
        let error = validate_settings(&settings(SamplerKind::Lcm, 51)).unwrap_err();
        assert!(error.to_string().contains("LCM needs between 1 and 50 steps"), "{error}");
        validate_settings(&settings(SamplerKind::Euler, 51)).unwrap();
    }

    #[test]
    fn clip_skip_is_one_to_twelve() {
        for (clip_skip, ok) in [(0, false), (1, true), (12, true), (13, false)] {
            let result = validate_settings(&GenerationSettings { clip_skip, ..settings(SamplerKind::Euler, 4) });
            assert_eq!(result.is_ok(), ok, "{clip_skip}: {result:?}");
        }
    }
}
