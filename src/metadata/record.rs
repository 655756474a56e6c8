//! [`GenerationRecord`]: everything needed to reproduce one image, as Nurie stores it.

use serde::{Deserialize, Serialize};

use super::error::{MetadataError, Result};
use super::extra_params::ExtraParams;
use super::sampler::SamplerId;

/// The settings that made one image. Serialized as-is into Nurie's `nurie` PNG chunk; written as A1111
/// infotext into the `parameters` chunk.
///
/// Settings read from other tools leave what they do not say at the [`Default`] values below.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerationRecord {
    pub prompt: String,
    pub negative_prompt: String,
    pub steps: u32,
    /// A [`SamplerId`] id (`euler`, `euler_a`, `dpmpp_2m`, `dpmpp_2m_karras`, `ddim`, `unipc`).
    pub sampler: String,
    pub cfg_scale: f64,
    /// The seed of this image's own noise (A1111 writes base seed + index in batch).
    pub seed: u64,
    pub rng: RngSource,
    /// A1111's "Eta noise seed delta": added to the seed of ancestral samplers' extra noise.
    pub ensd: i64,
    pub width: u32,
    pub height: u32,
    pub batch_size: u32,
    pub batch_index: u32,
    /// A1111 CLIP skip: 1 = last layer (the default), 2 = penultimate.
    pub clip_skip: u32,
    pub model: ModelRef,
    pub vae: Option<ModelRef>,
    /// img2img only.
    pub denoising_strength: Option<f64>,
    /// img2img only: SHA-256 (hex) of the init image file.
    pub init_image_sha256: Option<String>,
    pub controlnets: Vec<ControlNetUnit>,
    /// The Nurie version that made the image (`env!("CARGO_PKG_VERSION")`); `None` for other tools.
    pub nurie_version: Option<String>,
    /// The model's license tag, e.g. `creativeml-openrail-m`.
    pub model_license: Option<String>,
    /// Infotext pairs Nurie has no field for, kept so that nothing read is lost.
    pub extra: ExtraParams,
}

impl Default for GenerationRecord {
    /// A1111 1.10's txt2img defaults: 20 steps, DPM++ 2M (Automatic = Karras), CFG 7, 512x512.
    fn default() -> Self {
        GenerationRecord {
            prompt: String::new(),
            negative_prompt: String::new(),
            steps: 20,
            sampler: SamplerId::DpmPp2mKarras.id().to_string(),
            cfg_scale: 7.0,
            seed: 0,
            rng: RngSource::Cpu,
            ensd: 0,
            width: 512,
            height: 512,
            batch_size: 1,
            batch_index: 0,
            clip_skip: 1,
            model: ModelRef::default(),
            vae: None,
            denoising_strength: None,
            init_image_sha256: None,
            controlnets: Vec::new(),
            nurie_version: None,
            model_license: None,
            extra: ExtraParams::new(),
        }
    }
}

impl GenerationRecord {
    pub fn sampler_id(&self) -> Option<SamplerId> {
        SamplerId::from_id(&self.sampler)
    }

    /// Checks what would not survive JSON (non-finite numbers) or makes no image (zero sizes).
    pub fn validate(&self) -> Result<()> {
        require(self.steps > 0, "steps", "must be at least 1")?;
        require(self.width > 0 && self.height > 0, "width/height", "must be at least 1")?;
        require(self.batch_size > 0, "batch_size", "must be at least 1")?;
        require(self.batch_index < self.batch_size, "batch_index", "must be below batch_size")?;
        require(self.clip_skip > 0, "clip_skip", "must be at least 1")?;
        require(self.cfg_scale.is_finite(), "cfg_scale", "must be a finite number")?;
        let denoising_ok = self.denoising_strength.is_none_or(|d| d.is_finite());
        require(denoising_ok, "denoising_strength", "must be a finite number")?;
        for (index, unit) in self.controlnets.iter().enumerate() {
            let finite = [unit.weight, unit.guidance_start, unit.guidance_end].iter().all(|x| x.is_finite());
            require(finite, &format!("controlnets[{index}]"), "weight and guidance must be finite numbers")?;
        }
        Ok(())
    }
}

fn require(condition: bool, field: &str, reason: &str) -> Result<()> {
    if condition { Ok(()) } else { Err(MetadataError::InvalidRecord { field: field.to_string(), reason: reason.to_string() }) }
}

/// Where the initial noise comes from. A1111's default "GPU" source is CUDA's Philox generator, which
/// its "NV" source reproduces on any device, so an A1111 image without an `RNG` key reads as `Nv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RngSource {
    /// `torch.randn` on the CPU (A1111 `RNG: CPU`, ComfyUI, InvokeAI's default).
    #[default]
    Cpu,
    /// A1111's `RNG: NV`, equal to `torch.randn` on an NVIDIA GPU.
    Nv,
}

impl RngSource {
    pub fn a1111_label(self) -> &'static str {
        match self {
            RngSource::Cpu => "CPU",
            RngSource::Nv => "NV",
        }
    }
}

/// A model file and the hashes A1111 and Civitai identify it by.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelRef {
    /// The file name (`counterfeitV30_v30.safetensors`); empty when unknown. Settings read from infotext
    /// have the name A1111 shows, usually without the extension.
    pub file_name: String,
    /// SHA-256 of the whole file, lowercase hex.
    pub sha256: Option<String>,
    /// A1111's "AutoV2" hash: the first 10 hex digits of the SHA-256.
    pub autov2: Option<String>,
    /// A1111's legacy "AutoV1" hash (8 hex digits; still what sd-webui-controlnet shows in brackets).
    pub autov1: Option<String>,
}

impl ModelRef {
    /// A file known by name and full SHA-256; the AutoV2 hash is derived from it.
    pub fn from_sha256(file_name: impl Into<String>, sha256: &str) -> ModelRef {
        let sha256 = sha256.to_ascii_lowercase();
        let autov2 = sha256.get(..10).map(str::to_string);
        ModelRef { file_name: file_name.into(), sha256: Some(sha256), autov2, autov1: None }
    }

    /// The hash A1111 writes as `Model hash`: AutoV2 (also derived from the SHA-256), else AutoV1.
    pub fn a1111_hash(&self) -> Option<String> {
        let from_sha = self.sha256.as_deref().and_then(|s| s.get(..10)).map(str::to_ascii_lowercase);
        self.autov2.clone().or(from_sha).or_else(|| self.autov1.clone())
    }

    /// The name A1111 shows for a checkpoint: the file name without a model extension.
    pub fn display_name(&self) -> &str {
        const MODEL_EXTENSIONS: [&str; 6] = [".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".sft"];
        let name = self.file_name.as_str();
        MODEL_EXTENSIONS.iter().find_map(|ext| strip_suffix_ignore_case(name, ext)).unwrap_or(name)
    }

    pub fn is_unknown(&self) -> bool {
        self.file_name.is_empty() && self.sha256.is_none() && self.autov2.is_none() && self.autov1.is_none()
    }
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let split = text.len().checked_sub(suffix.len())?;
    let (head, tail) = (text.get(..split)?, text.get(split..)?);
    (tail.eq_ignore_ascii_case(suffix) && !head.is_empty()).then_some(head)
}

/// One ControlNet applied during generation, with the fields sd-webui-controlnet writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ControlNetUnit {
    pub model: ModelRef,
    /// The preprocessor ("module"): `none`, `invert`, `lineart_standard`, ...
    pub module: String,
    pub weight: f64,
    pub guidance_start: f64,
    pub guidance_end: f64,
    pub control_mode: ControlMode,
    pub resize_mode: ResizeMode,
    /// SHA-256 (hex) of the line-art file the user gave.
    pub line_art_sha256: Option<String>,
    /// Whether Nurie inverted the line art (black on white → white on black) before use.
    pub line_art_inverted: bool,
    /// Unit fields Nurie does not use (`Processor Res`, `Pixel Perfect`, ...), kept as written.
    pub extra: ExtraParams,
}

impl Default for ControlNetUnit {
    /// sd-webui-controlnet's defaults: weight 1, the whole schedule, Balanced, Crop and Resize.
    fn default() -> Self {
        ControlNetUnit {
            model: ModelRef::default(),
            module: "none".to_string(),
            weight: 1.0,
            guidance_start: 0.0,
            guidance_end: 1.0,
            control_mode: ControlMode::Balanced,
            resize_mode: ResizeMode::CropAndResize,
            line_art_sha256: None,
            line_art_inverted: false,
            extra: ExtraParams::new(),
        }
    }
}

/// sd-webui-controlnet's control mode (`scripts/enums.py`, `ControlMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlMode {
    #[default]
    Balanced,
    PromptMoreImportant,
    ControlNetMoreImportant,
}

impl ControlMode {
    const LABELS: [(ControlMode, &'static str); 3] = [
        (ControlMode::Balanced, "Balanced"),
        (ControlMode::PromptMoreImportant, "My prompt is more important"),
        (ControlMode::ControlNetMoreImportant, "ControlNet is more important"),
    ];

    pub fn a1111_label(self) -> &'static str {
        Self::LABELS.iter().find(|(mode, _)| *mode == self).map_or("Balanced", |(_, label)| label)
    }

    /// Reads the label, or the index 0/1/2 that API-made infotexts contain.
    pub fn from_a1111(text: &str) -> Option<ControlMode> {
        let text = text.trim();
        let by_index = text.parse::<usize>().ok().and_then(|i| Self::LABELS.get(i)).map(|(mode, _)| *mode);
        by_index.or_else(|| Self::LABELS.iter().find(|(_, label)| *label == text).map(|(mode, _)| *mode))
    }
}

/// sd-webui-controlnet's resize mode (`scripts/enums.py`, `ResizeMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResizeMode {
    JustResize,
    #[default]
    CropAndResize,
    ResizeAndFill,
}

impl ResizeMode {
    const LABELS: [(ResizeMode, &'static str); 3] = [
        (ResizeMode::JustResize, "Just Resize"),
        (ResizeMode::CropAndResize, "Crop and Resize"),
        (ResizeMode::ResizeAndFill, "Resize and Fill"),
    ];

    /// Older names sd-webui-controlnet still accepts (`internal_controlnet/args.py`).
    const ALIASES: [(ResizeMode, &'static str); 4] = [
        (ResizeMode::CropAndResize, "Inner Fit (Scale to Fit)"),
        (ResizeMode::ResizeAndFill, "Outer Fit (Shrink to Fit)"),
        (ResizeMode::CropAndResize, "Scale to Fit (Inner Fit)"),
        (ResizeMode::ResizeAndFill, "Envelope (Outer Fit)"),
    ];

    pub fn a1111_label(self) -> &'static str {
        Self::LABELS.iter().find(|(mode, _)| *mode == self).map_or("Crop and Resize", |(_, label)| label)
    }

    /// Reads the label, an old alias, or the index 0/1/2 that API-made infotexts contain.
    pub fn from_a1111(text: &str) -> Option<ResizeMode> {
        let text = text.trim();
        let by_index = text.parse::<usize>().ok().and_then(|i| Self::LABELS.get(i)).map(|(mode, _)| *mode);
        let by_name = || Self::LABELS.iter().chain(Self::ALIASES.iter()).find(|(_, label)| *label == text).map(|(mode, _)| *mode);
        by_index.or_else(by_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autov2_is_the_first_ten_hex_digits_of_the_sha256() {
        let sha = "6CE0161689B3853ACAA03779EC93EAFE75A02F4CED659BEE03F50797806FA2FA";
        let model = ModelRef::from_sha256("v1-5-pruned-emaonly.safetensors", sha);
        assert_eq!(model.autov2.as_deref(), Some("6ce0161689"));
        assert_eq!(model.a1111_hash().as_deref(), Some("6ce0161689"));
        assert_eq!(model.display_name(), "v1-5-pruned-emaonly");
    }

    #[test]
    fn a1111_hash_falls_back_to_autov1() {
        let model = ModelRef { file_name: "m".into(), autov1: Some("45dee52b".into()), ..Default::default() };
        assert_eq!(model.a1111_hash().as_deref(), Some("45dee52b"));
        assert_eq!(ModelRef::default().a1111_hash(), None);
    }

    #[test]
    fn display_name_strips_only_model_extensions() {
        let name = |file: &str| ModelRef { file_name: file.into(), ..Default::default() }.display_name().to_string();
        assert_eq!(name("anything-v4.5"), "anything-v4.5");
        assert_eq!(name("model.CKPT"), "model");
        assert_eq!(name("control_v11p_sd15_lineart.pth"), "control_v11p_sd15_lineart");
        assert_eq!(name(".safetensors"), ".safetensors");
        assert_eq!(name("二次元_mix.safetensors"), "二次元_mix");
    }

    #[test]
    fn control_and_resize_modes_read_labels_aliases_and_indices() {
        assert_eq!(ControlMode::from_a1111("My prompt is more important"), Some(ControlMode::PromptMoreImportant));
        assert_eq!(ControlMode::from_a1111("2"), Some(ControlMode::ControlNetMoreImportant));
        assert_eq!(ControlMode::from_a1111("Balanced?"), None);
        assert_eq!(ResizeMode::from_a1111("Envelope (Outer Fit)"), Some(ResizeMode::ResizeAndFill));
        assert_eq!(ResizeMode::from_a1111("0"), Some(ResizeMode::JustResize));
        for mode in [ResizeMode::JustResize, ResizeMode::CropAndResize, ResizeMode::ResizeAndFill] {
            assert_eq!(ResizeMode::from_a1111(mode.a1111_label()), Some(mode));
        }
    }

    #[test]
    fn validate_refuses_what_json_or_the_engine_cannot_take() {
        assert!(GenerationRecord::default().validate().is_ok());
        let nan_cfg = GenerationRecord { cfg_scale: f64::NAN, ..Default::default() };
        assert!(matches!(nan_cfg.validate(), Err(MetadataError::InvalidRecord { field, .. }) if field == "cfg_scale"));
        let bad_unit = GenerationRecord {
            controlnets: vec![ControlNetUnit { weight: f64::INFINITY, ..Default::default() }],
            ..Default::default()
        };
        assert!(bad_unit.validate().is_err());
        let bad_index = GenerationRecord { batch_size: 2, batch_index: 2, ..Default::default() };
        assert!(bad_index.validate().is_err());
    }
}
