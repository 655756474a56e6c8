//! Writes a [`GenerationRecord`] as the `parameters` text A1111 1.10 writes (`create_infotext` in
//! `modules/processing.py`): the prompt, `Negative prompt: …` when there is one, then one line of
//! `Key: value` pairs joined by `, ` in A1111's key order, each value through A1111's `quote()`, the whole
//! text stripped.
//!
//! Keys, in order: `Steps, Sampler, Schedule type, CFG scale, Seed, Size, Model hash, Model, VAE hash,
//! VAE, Denoising strength, Clip skip (only > 1), ENSD (only ≠ 0), Init image hash, RNG`, then what A1111
//! adds from `extra_generation_params`: `ControlNet N` units (sd-webui-controlnet), Nurie's `Line art N
//! hash` / `Line art N inverted`, `Lora hashes` and `TI hashes` (the record's networks), Nurie's `Batch
//! size`, `Batch pos`, `Model license`, the record's `extra` pairs, `Version`, and last Civitai's
//! `Hashes`, a bare JSON object as Civitai's A1111 extension appends it (see `civitai_hashes`).
//!
//! Choices where Nurie cannot simply copy A1111:
//! * `Version: nurie-<version>`. A1111 writes its git tag (`v1.10.1`); a tag of its own keeps A1111's
//!   version-based compatibility switches (`infotext_versions.py`) from treating the image as an old
//!   A1111 one (its version parser gives up on `nurie-…`). A record read from another tool keeps that
//!   tool's `Version` from `extra`.
//! * `RNG` is always written (`CPU` or `NV`); A1111 omits it only for its own "GPU" default.
//! * `ENSD` is written whenever it is not 0. A1111 writes it only for samplers that use it, but the
//!   value does no harm elsewhere and the record survives the round trip.
//! * `Init image hash` carries the SHA-256 of the init image file; A1111 puts an MD5 of the pixels there
//!   (only used to name saved init images).
//! * `Batch size` / `Batch pos` are the keys older A1111 versions wrote; written only for batches > 1.
//! * A `ControlNet N` unit that sd-webui-controlnet would write as an empty string (a `,` or `:` in a
//!   value) is left out.

use super::civitai_hashes::{CIVITAI_HASHES_KEY, is_bare_json};
use super::controlnet_text::controlnet_unit_text;
use super::extra_params::ExtraParams;
use super::infotext_keys::{LEADING_KEYS, TRAILING_KEYS, key_named};
use super::infotext_record::indexed;
use super::network_hash_keys::NETWORK_HASH_KEYS;
use super::python_format::{a1111_quote, python_strip};
use super::record::GenerationRecord;
use super::reference_text::reference_as_unit;

/// The `parameters` text for `record`.
pub fn infotext(record: &GenerationRecord) -> String {
    let settings = &record.settings;
    let negative = if settings.negative_prompt.is_empty() {
        String::new()
    } else {
        format!("\nNegative prompt: {}", settings.negative_prompt)
    };
    let params = settings_line(&settings_pairs(record));
    python_strip(&format!("{}{negative}\n{params}", settings.prompt)).to_string()
}

/// The settings as ordered (key, unquoted value) pairs.
pub fn settings_pairs(record: &GenerationRecord) -> ExtraParams {
    let mut pairs = ExtraParams::new();
    LEADING_KEYS.iter().for_each(|key| (key.write)(record, &mut pairs));
    let written = push_controlnets(&mut pairs, record);
    push_line_art(&mut pairs, record, &written);
    push_references(&mut pairs, record);
    NETWORK_HASH_KEYS.iter().for_each(|key| (key.write)(record, &mut pairs));
    TRAILING_KEYS.iter().for_each(|key| (key.write)(record, &mut pairs));
    push_extra(&mut pairs, &record.extra);
    push_version(&mut pairs, record);
    (CIVITAI_HASHES_KEY.write)(record, &mut pairs);
    pairs
}

/// Each value through A1111's `quote()`, but Civitai's `Hashes` object bare, as Civitai reads it.
fn settings_line(pairs: &ExtraParams) -> String {
    let value =
        |key: &str, value: &'_ str| if is_bare_json(key, value) { value.to_string() } else { a1111_quote(value).into_owned() };
    pairs.iter().map(|(key, v)| format!("{key}: {}", value(key, v))).collect::<Vec<_>>().join(", ")
}

/// `ControlNet N` for each unit that can be written; returns which were.
fn push_controlnets(pairs: &mut ExtraParams, record: &GenerationRecord) -> Vec<bool> {
    let mut written = Vec::with_capacity(record.controlnets.len());
    for (index, unit) in record.controlnets.iter().enumerate() {
        let text = controlnet_unit_text(unit);
        written.push(!text.is_empty());
        if !text.is_empty() {
            pairs.insert(format!("ControlNet {index}"), text);
        }
    }
    written
}

/// Nurie's `Line art N hash` / `Line art N inverted`, after the units they belong to; none for a unit
/// left out, whose line art would be read back as belonging to no unit.
fn push_line_art(pairs: &mut ExtraParams, record: &GenerationRecord, written: &[bool]) {
    let units = record.controlnets.iter().enumerate().filter(|(index, _)| written.get(*index) == Some(&true));
    for (index, unit) in units {
        if let Some(hash) = &unit.line_art_sha256 {
            pairs.insert(format!("Line art {index} hash"), hash.clone());
        }
        if unit.line_art_inverted {
            pairs.insert(format!("Line art {index} inverted"), "True");
        }
    }
}

/// Reference units as `ControlNet N` after the line-art units, each with its picture's `Reference N hash`.
fn push_references(pairs: &mut ExtraParams, record: &GenerationRecord) {
    for (offset, reference) in record.references.iter().enumerate() {
        let index = record.controlnets.len() + offset;
        let text = controlnet_unit_text(&reference_as_unit(reference));
        if text.is_empty() {
            continue;
        }
        pairs.insert(format!("ControlNet {index}"), text);
        if let Some(hash) = &reference.picture_sha256 {
            pairs.insert(format!("Reference {index} hash"), hash.clone());
        }
    }
}

/// `extra` pairs, except keys the writer owns and keys A1111's pattern could not read back.
fn push_extra(pairs: &mut ExtraParams, extra: &ExtraParams) {
    for (key, value) in extra.iter() {
        if is_writable_key(key) && !is_reserved(key) && !pairs.contains_key(key) {
            pairs.insert(key, value);
        }
    }
}

fn push_version(pairs: &mut ExtraParams, record: &GenerationRecord) {
    match (&record.nurie_version, record.extra.get("Version")) {
        (Some(version), _) => pairs.insert("Version", format!("nurie-{version}")),
        (None, Some(version)) => pairs.insert("Version", version),
        (None, None) => {}
    }
}

/// Keys the writer produces itself; `extra` entries with these names are not written again. The
/// indexed keys belong to the record's units: an `extra` entry under one is what could not be read as
/// (or had no) unit, and written back it would be read as part of whichever unit has that index now.
fn is_reserved(key: &str) -> bool {
    let indexed_key = [("ControlNet ", ""), ("Line art ", " hash"), ("Line art ", " inverted")]
        .iter()
        .any(|(prefix, suffix)| indexed(key, prefix, suffix).is_some());
    indexed_key || key_named(key).is_some() || ["Version", "Negative prompt"].contains(&key)
}

/// A1111's key pattern `\w[\w \-/]+`, without trailing blanks (the writer's `: ` follows the key).
fn is_writable_key(key: &str) -> bool {
    let mut chars = key.chars();
    let first_ok = chars.next().is_some_and(is_word_char);
    let rest_ok = chars.all(|c| is_word_char(c) || matches!(c, ' ' | '-' | '/'));
    first_ok && rest_ok && key.chars().count() >= 2 && !key.ends_with(' ')
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::generation_settings::GenerationSettings;
    use crate::metadata::infotext_record::settings_from_infotext;
    use crate::metadata::network_use::{NetworkKind, NetworkUse};
    use crate::metadata::record::{ControlNetUnit, ModelRef};
    use crate::vocabulary::{ControlMode, ResizeMode, RngSource, SamplerKind};

    fn lineart_record() -> GenerationRecord {
        GenerationRecord {
            settings: GenerationSettings {
                prompt: "1girl, (masterpiece:1.2), 桜".into(),
                negative_prompt: "lowres, bad anatomy".into(),
                steps: 28,
                sampler: SamplerKind::Dpmpp2mKarras.into(),
                cfg_scale: 7.0,
                seed: 1234,
                rng: RngSource::Nv,
                width: 512,
                height: 768,
                clip_skip: 2,
                ..Default::default()
            },
            model: ModelRef::from_sha256(
                "counterfeitV30_v30.safetensors",
                "cbfba64e662e2a4e0d2f8a4cbb3e4c10e79a0f7f70b4a5c6d7e8f9a0b1c2d3e4",
            ),
            vae: Some(ModelRef {
                file_name: "kl-f8-anime2.ckpt".into(),
                autov2: Some("df3c506e51".into()),
                ..Default::default()
            }),
            controlnets: vec![ControlNetUnit {
                model: ModelRef {
                    file_name: "control_v11p_sd15_lineart.pth".into(),
                    autov1: Some("43d4be0d".into()),
                    ..Default::default()
                },
                module: "invert".into(),
                guidance: crate::metadata::ControlGuidance { control_mode: ControlMode::Balanced, ..Default::default() },
                resize_mode: ResizeMode::CropAndResize,
                line_art_sha256: Some("ab".repeat(32)),
                line_art_inverted: true,
                ..Default::default()
            }],
            nurie_version: Some("0.1.0".into()),
            ..Default::default()
        }
    }

    #[test]
    fn writes_the_a1111_layout_and_key_order() {
        let expected = format!(
            "1girl, (masterpiece:1.2), 桜\nNegative prompt: lowres, bad anatomy\n\
             Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234, Size: 512x768, \
             Model hash: cbfba64e66, Model: counterfeitV30_v30, VAE hash: df3c506e51, VAE: kl-f8-anime2.ckpt, \
             Clip skip: 2, RNG: NV, \
             ControlNet 0: \"Module: invert, Model: control_v11p_sd15_lineart [43d4be0d], Weight: 1.0, Resize Mode: Crop and Resize, Guidance Start: 0.0, Guidance End: 1.0, Control Mode: Balanced\", \
             Line art 0 hash: {}, Line art 0 inverted: True, Version: nurie-0.1.0",
            "ab".repeat(32)
        );
        assert_eq!(infotext(&lineart_record()), expected);
    }

    #[test]
    fn optional_keys_appear_only_when_set() {
        let mut record = GenerationRecord::default();
        (record.settings.prompt, record.settings.sampler, record.settings.cfg_scale) =
            ("cat".into(), SamplerKind::EulerA.into(), 7.5);
        assert_eq!(
            infotext(&record),
            "cat\nSteps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7.5, Seed: 0, Size: 512x512, RNG: CPU"
        );
        record.settings.denoising_strength = Some(0.75);
        record.settings.ensd = 31337;
        record.settings.batch_size = 4;
        record.batch_index = 2;
        record.model_license = Some("creativeml-openrail-m".into());
        assert_eq!(
            infotext(&record),
            "cat\nSteps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7.5, Seed: 0, Size: 512x512, \
             Denoising strength: 0.75, ENSD: 31337, RNG: CPU, Batch size: 4, Batch pos: 2, Model license: creativeml-openrail-m"
        );
    }

    #[test]
    fn values_are_quoted_like_a1111() {
        let mut record = GenerationRecord {
            model: ModelRef { file_name: "my: model, v2".into(), ..Default::default() },
            ..Default::default()
        };
        let mut lora = NetworkUse::named(NetworkKind::Lora, "flat");
        lora.short_hash = Some("0123456789ab".into());
        record.networks.push(lora);
        record.extra.insert("ADetailer model", "face_yolov8n.pt");
        let text = infotext(&record);
        assert!(text.contains(r#"Model: "my: model, v2""#), "{text}");
        assert!(text.contains(r#"Lora hashes: "flat: 0123456789ab", ADetailer model: face_yolov8n.pt"#), "{text}");
    }

    #[test]
    fn reserved_and_unreadable_extra_keys_are_not_written() {
        let mut record = GenerationRecord::default();
        record.extra.insert("Steps", "99");
        record.extra.insert("bad:key", "x");
        record.extra.insert("x", "single-letter keys do not match A1111's pattern");
        let text = infotext(&record);
        assert!(text.contains("Steps: 20") && !text.contains("99") && !text.contains("bad") && !text.contains("single"));
    }

    #[test]
    fn version_from_extra_when_not_made_by_nurie() {
        let mut record = GenerationRecord::default();
        record.extra.insert("Version", "v1.10.1");
        assert!(infotext(&record).ends_with(", Version: v1.10.1"));
        record.nurie_version = Some("0.2.0".into());
        assert!(infotext(&record).ends_with(", Version: nurie-0.2.0"));
    }

    #[test]
    fn empty_prompts_give_just_the_settings_line() {
        let mut record = GenerationRecord::default();
        record.settings.negative_prompt = "neg".into();
        assert!(infotext(&record).starts_with("Negative prompt: neg\nSteps: 20,"));
        assert!(infotext(&GenerationRecord::default()).starts_with("Steps: 20,"));
    }

    /// Fuzzing found a unit's line art moving to another unit: unit 0 could not be written (a `:` in a
    /// value), so unit 1 was read back as unit 0 and took unit 0's `Line art 0 inverted`; orphaned
    /// line-art pairs kept as extras did the same one save later.
    #[test]
    fn line_art_goes_only_with_the_units_written() {
        let hash = "cd".repeat(32);
        let text = format!(
            "cat\nSteps: 20, ControlNet 0: Module: a:b, ControlNet 1: Module: canny, Line art 0 inverted: True, \
             Line art 3 hash: {hash}"
        );
        let parsed = settings_from_infotext(&text).record;
        assert_eq!(parsed.controlnets.len(), 2);
        let once = settings_from_infotext(&infotext(&parsed)).record;
        assert_eq!(once.controlnets.len(), 1);
        assert!(!once.controlnets[0].line_art_inverted && once.extra.is_empty(), "{once:?}");
        assert_eq!(settings_from_infotext(&infotext(&once)).record, once);
    }
}
