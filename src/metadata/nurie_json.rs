//! Nurie's own PNG chunk: iTXt keyword `nurie`, UTF-8 JSON holding the whole [`GenerationRecord`]
//! plus a `format` number. It is lossless where A1111 text is not (full hashes, file extensions,
//! whitespace), so when an image has both, this chunk is the one that counts.
//!
//! `{"format": 1, "prompt": "…", "steps": 28, "sampler": "dpmpp_2m_karras", …}`
//!
//! Format 1 is this file's [`GenerationRecord`]. A reader meets a newer format by reading the fields it
//! knows and warning; missing fields take their defaults, with a warning for the ones that matter.

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::{MetadataError, Result};
use super::parsed_settings::{ParsedSettings, SettingsSource};
use super::record::GenerationRecord;

/// The PNG text keyword.
pub const NURIE_KEYWORD: &str = "nurie";

/// The `format` this code writes.
pub const NURIE_FORMAT_VERSION: u64 = 1;

/// Fields without which a record cannot reproduce an image; their absence is reported.
const ESSENTIAL_FIELDS: [&str; 8] = ["prompt", "steps", "sampler", "cfg_scale", "seed", "width", "height", "model"];

#[derive(Serialize)]
struct NurieChunk<'a> {
    format: u64,
    #[serde(flatten)]
    record: &'a GenerationRecord,
}

/// The chunk text for `record`. Fails only for records [`GenerationRecord::validate`] refuses.
pub fn to_nurie_json(record: &GenerationRecord) -> Result<String> {
    record.validate()?;
    serde_json::to_string(&NurieChunk { format: NURIE_FORMAT_VERSION, record })
        .map_err(|e| MetadataError::InvalidRecord { field: "record".to_string(), reason: e.to_string() })
}

/// Reads a `nurie` chunk. Broken JSON, a non-object or wrongly typed fields are errors.
pub fn settings_from_nurie_json(text: &str) -> Result<ParsedSettings> {
    let value: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Value::Object(mut object) = value else {
        return Err(bad("the JSON is not an object".to_string()));
    };
    let mut warnings = format_warnings(object.remove("format"))?;
    warnings.extend(missing_field_warnings(&object));
    // Read from the text, not from `object`: serde_json's map sorts its keys, which reordered the
    // extra pairs (found by fuzzing). `format` is not a record field and is ignored here.
    let record: GenerationRecord = serde_json::from_str(text).map_err(|e| bad(format!("a field has the wrong type: {e}")))?;
    Ok(ParsedSettings { source: SettingsSource::Nurie, record, warnings })
}

fn format_warnings(format: Option<Value>) -> Result<Vec<String>> {
    let Some(format) = format else {
        return Ok(vec!["the nurie chunk has no `format`; read as format 1".to_string()]);
    };
    let version = format.as_u64().ok_or_else(|| bad(format!("`format` is {format}, not a number")))?;
    match version {
        0 => Err(bad("`format` 0 does not exist".to_string())),
        v if v > NURIE_FORMAT_VERSION => Ok(vec![format!(
            "the image was saved by a newer Nurie (settings format {v}); fields this version does not know were ignored"
        )]),
        _ => Ok(Vec::new()),
    }
}

fn missing_field_warnings(object: &Map<String, Value>) -> Vec<String> {
    ESSENTIAL_FIELDS
        .iter()
        .filter(|field| !object.contains_key(**field))
        .map(|field| format!("the nurie chunk has no `{field}`; using the default"))
        .collect()
}

fn bad(reason: String) -> MetadataError {
    MetadataError::BadNurieChunk { reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::GenerationSettings;
    use crate::metadata::record::{ControlNetUnit, ModelRef};
    use crate::vocabulary::RngSource;

    fn full_record() -> GenerationRecord {
        let mut record = GenerationRecord {
            settings: GenerationSettings {
                prompt: "  leading space, 桜\n(emphasis:1.3)  ".into(),
                negative_prompt: "bad".into(),
                seed: u64::MAX,
                rng: RngSource::Nv,
                ensd: -3,
                denoising_strength: Some(0.55),
                ..Default::default()
            },
            model: ModelRef::from_sha256("m.safetensors", &"ab".repeat(32)),
            controlnets: vec![ControlNetUnit {
                line_art_sha256: Some("cd".repeat(32)),
                line_art_inverted: true,
                ..Default::default()
            }],
            nurie_version: Some("0.1.0".into()),
            model_license: Some("creativeml-openrail-m".into()),
            ..Default::default()
        };
        // Extra pairs out of alphabetical order: their order must survive (fuzzing found it sorted).
        record.extra.insert("Hires upscale", "2");
        record.extra.insert("ADetailer model", "face_yolov8n.pt");
        record.controlnets[0].extra.insert("Processor Res", "512");
        record.controlnets[0].extra.insert("Pixel Perfect", "False");
        // Networks keep what A1111 text cannot carry: full hashes and loader strengths.
        record.networks = crate::metadata::round_trip_tests::sample_networks();
        record.networks[0].sha256 = Some("7e".repeat(32));
        (record.networks[1].strength, record.networks[1].clip_strength) = (Some(0.8), Some(0.25));
        record
    }

    #[test]
    fn round_trip_is_exact() {
        let record = full_record();
        let json = to_nurie_json(&record).unwrap();
        assert!(json.starts_with(r#"{"format":1,"prompt":"#), "{json}");
        let parsed = settings_from_nurie_json(&json).unwrap();
        assert_eq!(parsed.source, SettingsSource::Nurie);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(parsed.record, record);
    }

    #[test]
    fn invalid_records_are_not_written() {
        let mut record = GenerationRecord::default();
        record.settings.cfg_scale = f64::NAN;
        assert!(matches!(to_nurie_json(&record), Err(MetadataError::InvalidRecord { .. })));
        let mut record = full_record();
        record.networks[0].strength = Some(f64::INFINITY);
        assert!(matches!(to_nurie_json(&record), Err(MetadataError::InvalidRecord { field, .. }) if field == "networks[0]"));
    }

    #[test]
    fn newer_format_and_missing_fields_warn() {
        let parsed = settings_from_nurie_json(r#"{"format": 7, "prompt": "p", "future_field": [1, 2]}"#).unwrap();
        assert_eq!(parsed.record.settings.prompt, "p");
        assert!(parsed.warnings[0].contains("newer Nurie"));
        assert_eq!(parsed.warnings.len(), 1 + ESSENTIAL_FIELDS.len() - 1, "{:?}", parsed.warnings);
    }

    #[test]
    fn broken_input_is_a_typed_error() {
        for text in [
            "",
            "{",
            "[1,2]",
            r#"{"format": "one"}"#,
            r#"{"format": 0}"#,
            r#"{"format": 1, "steps": -4}"#,
            r#"{"format": 1, "seed": 1.5}"#,
            r#"{"format":1,"controlnets":{}}"#,
        ] {
            assert!(matches!(settings_from_nurie_json(text), Err(MetadataError::BadNurieChunk { .. })), "{text}");
        }
    }
}
