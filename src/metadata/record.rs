//! [`GenerationRecord`]: everything needed to reproduce one image, as Nurie stores it.

use serde::{Deserialize, Serialize};

use super::error::{MetadataError, Result};
use super::extra_params::ExtraParams;
use super::generation_settings::{ControlGuidance, GenerationSettings, ReferenceSettings};
use super::network_use::NetworkUse;
use crate::vocabulary::ResizeMode;

/// Everything needed to reproduce one image: the settings the user chose, and which files they were
/// applied to. Serialized as-is into Nurie's `nurie` PNG chunk (the settings flat, beside the other
/// fields); written as A1111 infotext into the `parameters` chunk.
///
/// Settings read from other tools leave what they do not say at the [`Default`] values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerationRecord {
    #[serde(flatten)]
    pub settings: GenerationSettings,
    /// The picture's place in its batch (its seed is the batch's first seed + this).
    pub batch_index: u32,
    pub model: ModelRef,
    pub vae: Option<ModelRef>,
    /// img2img only: SHA-256 (hex) of the init image file.
    pub init_image_sha256: Option<String>,
    /// SHA-256 (hex) of the color hints file (an RGBA picture, transparent where nothing is painted).
    pub color_hints_sha256: Option<String>,
    /// Inpainting only: SHA-256 (hex) of the mask file.
    pub mask_sha256: Option<String>,
    pub controlnets: Vec<ControlNetUnit>,
    /// Reference units (written into the infotext as further `ControlNet N` units, after the line-art
    /// ones, as sd-webui-controlnet writes its reference preprocessors).
    pub references: Vec<ReferenceRecord>,
    /// The LoRAs and embeddings used, with the hashes of their files. The prompt keeps its
    /// `<lora:…>` tags as A1111 keeps them; this list is what names the files.
    pub networks: Vec<NetworkUse>,
    /// The Nurie version that made the image (`env!("CARGO_PKG_VERSION")`); `None` for other tools.
    pub nurie_version: Option<String>,
    /// The model's license tag, e.g. `creativeml-openrail-m`.
    pub model_license: Option<String>,
    /// Infotext pairs Nurie has no field for, kept so that nothing read is lost.
    pub extra: ExtraParams,
}

impl GenerationRecord {
    /// Checks what would not survive JSON (non-finite numbers) or makes no image (zero sizes).
    pub fn validate(&self) -> Result<()> {
        let settings = &self.settings;
        require(settings.steps > 0, "steps", "must be at least 1")?;
        require(settings.width > 0 && settings.height > 0, "width/height", "must be at least 1")?;
        require(settings.batch_size > 0, "batch_size", "must be at least 1")?;
        require(self.batch_index < settings.batch_size, "batch_index", "must be below batch_size")?;
        require(settings.clip_skip > 0, "clip_skip", "must be at least 1")?;
        require(settings.cfg_scale.is_finite(), "cfg_scale", "must be a finite number")?;
        let denoising_ok = settings.denoising_strength.is_none_or(|d| d.is_finite());
        require(denoising_ok, "denoising_strength", "must be a finite number")?;
        let hint_ok = settings.hint_strength.is_none_or(|d| d.is_finite());
        require(hint_ok, "hint_strength", "must be a finite number")?;
        for (index, unit) in self.controlnets.iter().enumerate() {
            let guidance = &unit.guidance;
            let finite = [guidance.weight, guidance.guidance_start, guidance.guidance_end].iter().all(|x| x.is_finite());
            require(finite, &format!("controlnets[{index}]"), "weight and guidance must be finite numbers")?;
        }
        for (index, unit) in self.references.iter().enumerate() {
            let settings = &unit.settings;
            let numbers = [settings.weight, settings.style_fidelity, settings.guidance_start, settings.guidance_end];
            require(numbers.iter().all(|x| x.is_finite()), &format!("references[{index}]"), "numbers must be finite")?;
        }
        for (index, network) in self.networks.iter().enumerate() {
            let finite = [network.strength, network.clip_strength].iter().flatten().all(|x| x.is_finite());
            require(finite, &format!("networks[{index}]"), "strengths must be finite numbers")?;
        }
        Ok(())
    }
}

fn require(condition: bool, field: &str, reason: &str) -> Result<()> {
    if condition { Ok(()) } else { Err(MetadataError::InvalidRecord { field: field.to_string(), reason: reason.to_string() }) }
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

/// One reference unit applied during generation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferenceRecord {
    #[serde(flatten)]
    pub settings: ReferenceSettings,
    /// SHA-256 (hex) of the reference picture file the user gave.
    pub picture_sha256: Option<String>,
    /// Unit fields Nurie does not use (`Processor Res`, `Threshold B`, ...), kept as written.
    pub extra: ExtraParams,
}

/// One ControlNet applied during generation, with the fields sd-webui-controlnet writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ControlNetUnit {
    pub model: ModelRef,
    /// The preprocessor ("module") as sd-webui-controlnet names it: `none`, `invert`, `threshold`,
    /// `lineart_standard`, or another tool's.
    pub module: String,
    #[serde(flatten)]
    pub guidance: ControlGuidance,
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
            guidance: ControlGuidance::default(),
            resize_mode: ResizeMode::CropAndResize,
            line_art_sha256: None,
            line_art_inverted: false,
            extra: ExtraParams::new(),
        }
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
    fn validate_refuses_what_json_or_the_engine_cannot_take() {
        assert!(GenerationRecord::default().validate().is_ok());
        let mut nan_cfg = GenerationRecord::default();
        nan_cfg.settings.cfg_scale = f64::NAN;
        assert!(matches!(nan_cfg.validate(), Err(MetadataError::InvalidRecord { field, .. }) if field == "cfg_scale"));
        let bad_unit = GenerationRecord {
            controlnets: vec![ControlNetUnit {
                guidance: ControlGuidance { weight: f64::INFINITY, ..Default::default() },
                ..Default::default()
            }],
            ..Default::default()
        };
        assert!(bad_unit.validate().is_err());
        let mut bad_index = GenerationRecord { batch_index: 2, ..Default::default() };
        bad_index.settings.batch_size = 2;
        assert!(bad_index.validate().is_err());
    }
}
