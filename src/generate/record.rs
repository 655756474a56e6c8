//! The metadata record of a finished image: the request's settings plus the files' identities.

use crate::control::{LineArtSettings, Preprocessor, ResizeMode};
use crate::metadata::{self, ControlNetUnit, GenerationRecord, ModelRef};
use crate::sampling::noise::RngSource;

use super::control_mode::ControlMode;
use super::request::Request;

/// What the request alone does not say: which files were used, and how each unit's line art was read.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub model: ModelRef,
    pub vae: Option<ModelRef>,
    /// Per ControlNet unit: the ControlNet file, the line-art file's SHA-256, and its settings.
    pub units: Vec<(ModelRef, Option<String>, LineArtSettings, bool)>,
    pub init_image_sha256: Option<String>,
    /// The checkpoint's license, as the known-models registry or the file itself gives it.
    pub model_license: Option<String>,
}

/// The record of image `index` of `request`.
pub fn record_for(request: &Request, index: usize, provenance: &Provenance) -> GenerationRecord {
    GenerationRecord {
        prompt: request.prompt.clone(),
        negative_prompt: request.negative_prompt.clone(),
        steps: request.steps as u32,
        sampler: request.sampler.id().to_string(),
        cfg_scale: request.cfg_scale as f64,
        seed: request.seed.wrapping_add(index as u64),
        rng: request.rng.into(),
        ensd: request.eta_noise_seed_delta as i64,
        width: request.width as u32,
        height: request.height as u32,
        batch_size: request.batch_count as u32,
        batch_index: index as u32,
        clip_skip: request.clip_skip.0 as u32,
        model: provenance.model.clone(),
        vae: provenance.vae.clone(),
        denoising_strength: request.init_image.as_ref().map(|i| i.strength as f64),
        init_image_sha256: provenance.init_image_sha256.clone(),
        controlnets: request
            .control
            .iter()
            .zip(&provenance.units)
            .map(|(unit, (model, art, settings, inverted))| ControlNetUnit {
                model: model.clone(),
                module: preprocessor_id(settings.preprocessor).to_string(),
                weight: unit.weight as f64,
                guidance_start: unit.start as f64,
                guidance_end: unit.end as f64,
                control_mode: unit.mode.into(),
                resize_mode: settings.resize_mode.into(),
                line_art_sha256: art.clone(),
                line_art_inverted: *inverted,
                ..ControlNetUnit::default()
            })
            .collect(),
        nurie_version: Some(metadata::NURIE_VERSION.to_string()),
        model_license: provenance.model_license.clone(),
        ..GenerationRecord::default()
    }
}

/// sd-webui-controlnet's module name of a preprocessor.
pub fn preprocessor_id(preprocessor: Preprocessor) -> &'static str {
    match preprocessor {
        Preprocessor::None => "none",
        Preprocessor::Invert => "invert",
        Preprocessor::Binarize => "threshold",
        Preprocessor::LineartStandard => "lineart_standard",
    }
}

/// The preprocessor of a module name (ours or sd-webui-controlnet's).
pub fn preprocessor_from_id(id: &str) -> Option<Preprocessor> {
    match id.trim().to_lowercase().as_str() {
        "none" => Some(Preprocessor::None),
        "invert" | "invert (from white bg & black line)" => Some(Preprocessor::Invert),
        "threshold" | "binarize" | "binary" => Some(Preprocessor::Binarize),
        "lineart_standard" | "lineart_standard (from white bg & black line)" => Some(Preprocessor::LineartStandard),
        _ => None,
    }
}

/// The record's file-format enums and the engine's, in both directions (one place for each pair).
macro_rules! same_variants {
    ($engine:ty, $record:ty, $($variant:ident),+) => {
        impl From<$engine> for $record {
            fn from(value: $engine) -> Self {
                match value { $(<$engine>::$variant => <$record>::$variant),+ }
            }
        }
        impl From<$record> for $engine {
            fn from(value: $record) -> Self {
                match value { $(<$record>::$variant => <$engine>::$variant),+ }
            }
        }
    };
}

same_variants!(RngSource, metadata::RngSource, Cpu, Nv);
same_variants!(ControlMode, metadata::ControlMode, Balanced, PromptMoreImportant, ControlNetMoreImportant);
same_variants!(ResizeMode, metadata::ResizeMode, JustResize, CropAndResize, ResizeAndFill);
