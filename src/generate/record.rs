//! The metadata record of a finished image: the request's settings plus the files' identities.

use crate::control::LineArtSettings;
use crate::metadata::{self, ControlNetUnit, GenerationRecord, GenerationSettings, ModelRef, ReferenceRecord};
use crate::vocabulary::Choice;

use super::request::Request;

/// What the request alone does not say: which files were used, and how each unit's line art was read.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub model: ModelRef,
    pub vae: Option<ModelRef>,
    /// One per ControlNet unit of the request, in its order.
    pub units: Vec<UnitProvenance>,
    /// One per reference unit of the request, in its order: SHA-256 (hex) of its picture file.
    pub reference_pictures: Vec<Option<String>>,
    pub init_image_sha256: Option<String>,
    pub color_hints_sha256: Option<String>,
    pub mask_sha256: Option<String>,
    /// The checkpoint's license, as the known-models registry or the file itself gives it.
    pub model_license: Option<String>,
    /// The LoRAs and embeddings the prompts used, with their files' hashes.
    pub networks: Vec<metadata::NetworkUse>,
}

/// Where one unit's guidance came from.
#[derive(Debug, Clone, Default)]
pub struct UnitProvenance {
    /// The ControlNet file.
    pub controlnet: ModelRef,
    /// SHA-256 (hex) of the line-art file; `None` when it could not be read again for hashing.
    pub line_art_sha256: Option<String>,
    pub line_art_settings: LineArtSettings,
    /// Whether the line art was black on white (and so inverted into the hint).
    pub line_art_inverted: bool,
}

/// The record of image `index` of `request`.
pub fn record_for(request: &Request, index: usize, provenance: &Provenance) -> GenerationRecord {
    let settings = GenerationSettings {
        seed: request.settings.seed.wrapping_add(index as u64),
        // A denoising strength is recorded for img2img and hires fix only, as A1111 does.
        denoising_strength: (request.init_image.is_some() || request.hires.is_some()).then(|| request.strength()),
        hires: request.settings.hires.clone().filter(|_| request.hires.is_some()),
        hint_strength: request.color_guide.as_ref().map(|_| request.hint_strength()),
        ..request.settings.clone()
    };
    GenerationRecord {
        settings,
        batch_index: index as u32,
        model: provenance.model.clone(),
        vae: provenance.vae.clone(),
        init_image_sha256: provenance.init_image_sha256.clone(),
        color_hints_sha256: request.color_guide.as_ref().and(provenance.color_hints_sha256.clone()),
        mask_sha256: request.init_image.as_ref().and_then(|init| init.mask.as_ref()).and(provenance.mask_sha256.clone()),
        controlnets: request.control.iter().zip(&provenance.units).map(|(unit, from)| recorded_unit(unit, from)).collect(),
        references: request
            .reference
            .iter()
            .enumerate()
            .map(|(i, unit)| ReferenceRecord {
                settings: unit.settings,
                picture_sha256: provenance.reference_pictures.get(i).cloned().flatten(),
                ..ReferenceRecord::default()
            })
            .collect(),
        nurie_version: Some(metadata::NURIE_VERSION.to_string()),
        model_license: provenance.model_license.clone(),
        networks: provenance.networks.clone(),
        ..GenerationRecord::default()
    }
}

fn recorded_unit(unit: &super::ControlUnit, from: &UnitProvenance) -> ControlNetUnit {
    ControlNetUnit {
        model: from.controlnet.clone(),
        module: from.line_art_settings.preprocessor.label().to_string(),
        guidance: unit.guidance,
        resize_mode: from.line_art_settings.resize_mode,
        line_art_sha256: from.line_art_sha256.clone(),
        line_art_inverted: from.line_art_inverted,
        ..ControlNetUnit::default()
    }
}
