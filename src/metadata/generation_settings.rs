//! [`GenerationSettings`]: what the user chooses for one generation. The window's form, the flags of
//! `nurie generate`, a plan, the engine's request and a picture's record all carry this one struct, so
//! a new setting is declared here once (its A1111 key goes into `infotext_keys`).

use serde::{Deserialize, Serialize};

use crate::vocabulary::{ControlMode, InpaintArea, MaskedContent, RecordedSampler, ReferenceMode, RngSource};

/// The settings of one generation. In a record they describe one picture (its own seed, the batch it
/// was part of); in a plan, the whole batch (the first picture's seed). Serialized flat into Nurie's
/// JSON record; fields a reader does not find keep the [`Default`] values (A1111 1.10's txt2img
/// defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerationSettings {
    pub prompt: String,
    pub negative_prompt: String,
    pub steps: u32,
    /// One of Nurie's samplers, or another tool's kept by name.
    pub sampler: RecordedSampler,
    /// Classifier-free guidance scale; 1 runs the conditional half only.
    pub cfg_scale: f64,
    /// The seed of the picture's own noise (a batch's picture i uses the first seed + i, as in A1111).
    pub seed: u64,
    pub rng: RngSource,
    /// A1111's "Eta noise seed delta": added to the seed of ancestral samplers' extra noise.
    pub ensd: i64,
    /// Picture size in pixels (the engine needs multiples of 8).
    pub width: u32,
    pub height: u32,
    /// How many pictures, one after another.
    pub batch_size: u32,
    /// A1111 CLIP skip: 1 = last layer (the default), 2 = penultimate.
    pub clip_skip: u32,
    /// img2img only: how much of the starting picture is replaced, in [0, 1].
    pub denoising_strength: Option<f64>,
    /// Color hints only: the fraction of the steps during which the hinted areas are held to the hint
    /// colors, in [0, 1] (see [`crate::hints`]).
    pub hint_strength: Option<f64>,
    /// A1111's hires fix: a second, img2img pass at a larger size (its strength is `denoising_strength`).
    pub hires: Option<HiresSettings>,
    /// Inpainting: img2img redraws only the part its mask marks (the mask is a file, as the init image).
    pub inpaint: Option<InpaintSettings>,
}

impl Default for GenerationSettings {
    /// A1111 1.10's txt2img defaults: 20 steps, DPM++ 2M (Automatic = Karras), CFG 7, 512x512.
    fn default() -> Self {
        GenerationSettings {
            prompt: String::new(),
            negative_prompt: String::new(),
            steps: 20,
            sampler: RecordedSampler::default(),
            cfg_scale: 7.0,
            seed: 0,
            rng: RngSource::Cpu,
            ensd: 0,
            width: 512,
            height: 512,
            batch_size: 1,
            clip_skip: 1,
            denoising_strength: None,
            hint_strength: None,
            hires: None,
            inpaint: None,
        }
    }
}

/// A1111's hires fix: the picture made at the settings' size, enlarged, then sampled again as img2img at
/// the larger size with `denoising_strength`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HiresSettings {
    /// How many times larger the second pass is (`Hires upscale`).
    pub scale: f64,
    /// How the first pass is enlarged (`Hires upscaler`): one of A1111's latent modes (`Latent`,
    /// `Latent (bicubic antialiased)`, …), `Lanczos`, `Nearest`, `None`, or an upscaler file's name.
    pub upscaler: String,
    /// Steps of the second pass (`Hires steps`); 0: as many as the first.
    pub steps: u32,
}

impl Default for HiresSettings {
    /// A1111's defaults: 2x, `Latent`, the first pass's step count.
    fn default() -> Self {
        HiresSettings { scale: 2.0, upscaler: "Latent".into(), steps: 0 }
    }
}

impl HiresSettings {
    /// The second pass's size for a first pass of `width`×`height`: A1111's `int(side × scale)`, then
    /// down to a multiple of 8 (the size its latents decode to).
    pub fn size(&self, width: u32, height: u32) -> (u32, u32) {
        let side = |side: u32| ((f64::from(side) * self.scale) as u32) / 8 * 8;
        (side(width), side(height))
    }

    /// The second pass's step count with `first` steps in the first.
    pub fn steps_or(&self, first: u32) -> u32 {
        if self.steps == 0 { first } else { self.steps }
    }
}

/// How an img2img mask is used, as A1111's "Inpaint" tab offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InpaintSettings {
    /// Gaussian blur of the mask's edge, in pixels (`Mask blur`).
    pub mask_blur: u32,
    /// The whole picture, or only the masked part enlarged (`Inpaint area`).
    pub area: InpaintArea,
    /// Only masked: pixels around the mask's bounding box taken along (`Masked area padding`).
    pub padding: u32,
    /// What the masked part starts from (`Masked content`).
    pub masked_content: MaskedContent,
    /// The original pixels put back outside the (blurred) mask after decoding, as A1111 always does;
    /// off keeps the decoded picture as it is (Nurie's `Paste back: off`).
    pub paste_back: bool,
    /// Redraw what the mask leaves black instead (`Mask mode: Inpaint not masked`).
    pub invert: bool,
    /// A1111's color correction: the result's colors matched to the starting picture's before it is
    /// pasted back (Nurie's `Color correction: on`; A1111 has it as a global option, unrecorded).
    pub color_correction: bool,
}

impl Default for InpaintSettings {
    /// A1111's defaults: blur 4, whole picture, padding 32, original content, pasted back.
    fn default() -> Self {
        InpaintSettings {
            mask_blur: 4,
            area: InpaintArea::Whole,
            padding: 32,
            masked_content: MaskedContent::Original,
            paste_back: true,
            invert: false,
            color_correction: false,
        }
    }
}

/// A1111's hires fix default denoising strength.
pub const DEFAULT_HIRES_DENOISING_STRENGTH: f64 = 0.7;

/// A1111's img2img default denoising strength, used when an init image comes without one.
pub const DEFAULT_DENOISING_STRENGTH: f64 = 0.75;

/// The hint strength used when color hints come without one: the first half of the steps hold the
/// hinted areas, which leaves them as much freedom as an img2img of the guide at denoising 0.5.
pub const DEFAULT_HINT_STRENGTH: f64 = 0.5;

/// How strongly and when one ControlNet unit guides, as sd-webui-controlnet names it. Serialized flat
/// into a record's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ControlGuidance {
    pub weight: f64,
    /// Fraction of the steps where the unit starts acting, in [0, 1].
    pub guidance_start: f64,
    /// Fraction of the steps after which it stops, in [0, 1].
    pub guidance_end: f64,
    pub control_mode: ControlMode,
}

impl Default for ControlGuidance {
    /// sd-webui-controlnet's defaults: weight 1, the whole schedule, Balanced.
    fn default() -> Self {
        ControlGuidance { weight: 1.0, guidance_start: 0.0, guidance_end: 1.0, control_mode: ControlMode::Balanced }
    }
}

impl ControlGuidance {
    /// sd-webui-controlnet's rule: a unit acts at step i of n unless i/n is before the start or after
    /// the end.
    pub fn active_at(&self, step: usize, steps: usize) -> bool {
        active_between(self.guidance_start, self.guidance_end, step, steps)
    }
}

/// sd-webui-controlnet's rule for every unit kind: acting at step i of n unless i/n is before `start`
/// or after `end`.
fn active_between(start: f64, end: f64, step: usize, steps: usize) -> bool {
    let progress = step as f64 / steps.max(1) as f64;
    !(progress < start || progress > end)
}

/// How one reference unit acts (sd-webui-controlnet's reference preprocessors). Serialized flat into
/// a record's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferenceSettings {
    pub mode: ReferenceMode,
    /// Which blocks take part, 0 to 2: attention in the widest blocks first, AdaIN by its thresholds
    /// (see `model::unet::reference`); 1 reaches every attention block.
    pub weight: f64,
    /// sd-webui-controlnet's "Style Fidelity" (its `Threshold A` for these preprocessors), in [0, 1]:
    /// how much of the unconditional prediction keeps its own result, so CFG leans toward the reference.
    pub style_fidelity: f64,
    /// Fraction of the steps where the unit starts acting, in [0, 1].
    pub guidance_start: f64,
    /// Fraction of the steps after which it stops, in [0, 1].
    pub guidance_end: f64,
}

impl Default for ReferenceSettings {
    /// sd-webui-controlnet's defaults: weight 1, style fidelity 0.5, the whole schedule.
    fn default() -> Self {
        ReferenceSettings { mode: ReferenceMode::Only, weight: 1.0, style_fidelity: 0.5, guidance_start: 0.0, guidance_end: 1.0 }
    }
}

impl ReferenceSettings {
    /// Whether the unit acts at step `step` of `steps` (the same rule as line-art units).
    pub fn active_at(&self, step: usize, steps: usize) -> bool {
        active_between(self.guidance_start, self.guidance_end, step, steps)
    }
}
