//! Civitai's `Hashes` key: `Hashes: {"model": "6ce0161689", "lora:flat_color": "3b8aa1d351", "embed:easynegative":
//! "c74b4e810b"}`, each value the AutoV2 (first 10 hex digits of the whole file's SHA-256) of the file
//! used. Civitai links a picture's resources from it.
//!
//! A1111 itself does not write it: Civitai's A1111 extension appends it (`scripts/info.py` of
//! `civitai/sd_civitai_extension`: `infotext + ", Hashes: " + json.dumps(hashes)`, values `hash[:10]`
//! of the plain SHA-256), and ComfyUI's Image Saver writes the same. The value is a bare JSON object, not
//! a quoted string: Civitai finds it with `/, Hashes:\s*({[^}]+})/` (`src/utils/metadata/
//! automatic.metadata.ts` of `civitai/civitai`) before it splits the other pairs. So Nurie writes it
//! bare too, after `Version` where the extension puts it, with `}` inside names escaped as `\u007d`
//! (Civitai's pattern stops at the first `}`), and reads it bare or quoted.
//!
//! Entries Nurie has no field for (`hypernet:…`, a hash of another length) are kept in the record's
//! extras under `Hashes` and written back after Nurie's own.

use super::extra_params::ExtraParams;
use super::infotext_keys::{Key, Reading};
use super::network_use::{NetworkKind, is_hex_of_len, network_entry};
use super::python_format::json_quote;
use super::record::{GenerationRecord, ModelRef};

/// The key's name.
pub const HASHES_KEY: &str = "Hashes";

/// Written last, after `Version`, as Civitai's extension appends it.
pub const CIVITAI_HASHES_KEY: Key = Key { names: &[HASHES_KEY], write: write_hashes, read: read_hashes };

const AUTOV2_DIGITS: std::ops::RangeInclusive<usize> = 10..=10;

fn write_hashes(record: &GenerationRecord, out: &mut ExtraParams) {
    let entries = hash_entries(record);
    if !entries.is_empty() {
        out.insert(HASHES_KEY, json_object(&entries));
    }
}

/// The entries: the checkpoint's and VAE's AutoV2, each network's, then the kept ones. Written only
/// when there is a network or a kept entry: the model's hash alone is `Model hash` already.
fn hash_entries(record: &GenerationRecord) -> ExtraParams {
    let networks: Vec<(String, String)> =
        record.networks.iter().filter_map(|n| Some((n.civitai_key(), n.civitai_hash()?))).collect();
    let kept = kept_entries(record);
    let mut entries = ExtraParams::new();
    if networks.is_empty() && kept.is_empty() {
        return entries;
    }
    if let Some(hash) = autov2_of(&record.model) {
        entries.insert("model", hash);
    }
    if let Some(hash) = record.vae.as_ref().and_then(autov2_of) {
        entries.insert("vae", hash);
    }
    networks.into_iter().for_each(|(key, hash)| entries.insert(key, hash));
    for (key, hash) in kept.iter().filter(|(key, _)| !entries.contains_key(key)).collect::<Vec<_>>() {
        entries.insert(key, hash);
    }
    entries
}

fn kept_entries(record: &GenerationRecord) -> ExtraParams {
    record.extra.get(HASHES_KEY).and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default()
}

fn autov2_of(model: &ModelRef) -> Option<String> {
    model.a1111_hash().filter(|hash| is_hex_of_len(hash, AUTOV2_DIGITS))
}

/// `{"key": "value", …}` as Python's `json.dumps` spaces it, without a literal `}` inside.
fn json_object(entries: &ExtraParams) -> String {
    let quote = |text: &str| json_quote(text).replace('}', "\\u007d");
    let body: Vec<String> = entries.iter().map(|(key, value)| format!("{}: {}", quote(key), quote(value))).collect();
    format!("{{{}}}", body.join(", "))
}

/// Whether `value` of `key` is written bare: Nurie's own `Hashes` object (one line, its only `}` last).
pub fn is_bare_json(key: &str, value: &str) -> bool {
    key == HASHES_KEY
        && value.find('}') == Some(value.len().saturating_sub(1))
        && !value.contains(['\n', '\r'])
        && serde_json::from_str::<ExtraParams>(value).is_ok()
}

fn read_hashes(reading: &mut Reading, key: &str, value: &str) -> Result<(), String> {
    let entries: ExtraParams =
        serde_json::from_str(value).map_err(|_| format!("{key} is not a JSON object of hashes; kept as written"))?;
    let mut kept = ExtraParams::new();
    for (name, hash) in entries.iter() {
        if !take_entry(reading, name, hash) {
            kept.insert(name, hash);
        }
    }
    if !kept.is_empty() {
        let text = serde_json::to_string(&kept).map_err(|e| e.to_string())?;
        reading.record.extra.insert(HASHES_KEY, text);
    }
    Ok(())
}

/// Puts one entry into the record; `false` when it has no place there.
fn take_entry(reading: &mut Reading, name: &str, hash: &str) -> bool {
    if !is_hex_of_len(hash, AUTOV2_DIGITS) {
        return false;
    }
    let hash = hash.to_ascii_lowercase();
    match name {
        "model" => take_model_hash(&mut reading.record.model, &hash, name, &mut reading.warnings),
        "vae" => {
            let vae = reading.record.vae.get_or_insert_with(ModelRef::default);
            take_model_hash(vae, &hash, name, &mut reading.warnings)
        }
        _ => take_network_hash(&mut reading.record, name, hash),
    }
}

/// The model's AutoV2 where `Model hash` / `VAE hash` gave none; a different one is only reported.
fn take_model_hash(model: &mut ModelRef, hash: &str, name: &str, warnings: &mut Vec<String>) -> bool {
    match &model.autov2 {
        None => model.autov2 = Some(hash.to_string()),
        Some(known) if known == hash => {}
        Some(known) => {
            warnings.push(format!("Hashes gives the {name} hash {hash}, the {name}'s own key {known}; {known} is kept"));
            return false;
        }
    }
    true
}

fn take_network_hash(record: &mut GenerationRecord, name: &str, hash: String) -> bool {
    let Some((prefix, network)) = name.split_once(':') else { return false };
    let Some(kind) = NetworkKind::from_civitai_prefix(prefix).filter(|_| !network.is_empty()) else { return false };
    network_entry(&mut record.networks, kind, network).autov2 = Some(hash);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::infotext_record::settings_from_infotext;
    use crate::metadata::infotext_write::infotext;
    use crate::metadata::network_use::NetworkUse;

    fn record_with_networks() -> GenerationRecord {
        GenerationRecord {
            model: ModelRef { file_name: "m".into(), autov2: Some("6ce0161689".into()), ..Default::default() },
            networks: vec![
                NetworkUse { autov2: Some("3b8aa1d351".into()), ..NetworkUse::named(NetworkKind::Lora, "flat}color") },
                NetworkUse { sha256: Some("c7".repeat(32)), ..NetworkUse::named(NetworkKind::Embedding, "easynegative") },
                NetworkUse::named(NetworkKind::Lora, "unhashed"),
            ],
            ..Default::default()
        }
    }

    /// Civitai's own pattern, `/, Hashes:\s*({[^}]+})/`, must find the whole object.
    #[test]
    fn written_bare_after_version_where_civitai_finds_it() {
        let text = infotext(&record_with_networks());
        let expected =
            r#", Hashes: {"model": "6ce0161689", "lora:flat\u007dcolor": "3b8aa1d351", "embed:easynegative": "c7c7c7c7c7"}"#;
        assert!(text.ends_with(expected), "{text}");
        let civitai = regex::Regex::new(r#", Hashes:\s*(\{[^}]+\})"#).unwrap();
        let object: serde_json::Value = serde_json::from_str(&civitai.captures(&text).unwrap()[1]).unwrap();
        assert_eq!(object["lora:flat}color"], "3b8aa1d351");
    }

    #[test]
    fn no_hashes_key_without_a_network_hash() {
        let mut record = record_with_networks();
        record.networks.truncate(0);
        assert!(!infotext(&record).contains("Hashes"));
    }

    #[test]
    fn read_bare_or_quoted_with_unknown_entries_kept() {
        for hashes in [
            r#"{"vae": "DF3C506E51", "lora:flat": "3b8aa1d351", "hypernet:x": "0123456789", "model": "6ce0161689"}"#,
            r#""{\"vae\": \"DF3C506E51\", \"lora:flat\": \"3b8aa1d351\", \"hypernet:x\": \"0123456789\", \"model\": \"6ce0161689\"}""#,
        ] {
            let text = format!("cat <lora:flat:1>\nSteps: 20, Sampler: Euler, Model hash: 6ce0161689, Hashes: {hashes}, Seed: 3");
            let parsed = settings_from_infotext(&text);
            assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
            let record = &parsed.record;
            assert_eq!((record.settings.seed, record.vae.as_ref().unwrap().autov2.as_deref()), (3, Some("df3c506e51")));
            assert_eq!(
                record.networks,
                vec![NetworkUse { autov2: Some("3b8aa1d351".into()), ..NetworkUse::named(NetworkKind::Lora, "flat") }]
            );
            assert_eq!(record.extra.get(HASHES_KEY), Some(r#"{"hypernet:x":"0123456789"}"#));
            let written = infotext(record);
            assert!(
                written.ends_with(r#"Hashes: {"model": "6ce0161689", "vae": "df3c506e51", "lora:flat": "3b8aa1d351", "hypernet:x": "0123456789"}"#),
                "{written}"
            );
            assert_eq!(&settings_from_infotext(&written).record, record);
        }
    }

    #[test]
    fn a_conflicting_model_hash_is_reported_and_not_taken() {
        let parsed = settings_from_infotext("cat\nSteps: 20, Model hash: 6ce0161689, Hashes: {\"model\": \"0000000000\"}");
        assert_eq!(parsed.record.model.autov2.as_deref(), Some("6ce0161689"));
        assert!(parsed.warnings.iter().any(|w| w.contains("0000000000")), "{:?}", parsed.warnings);
    }

    #[test]
    fn broken_hashes_are_kept_as_written() {
        let parsed = settings_from_infotext("cat\nSteps: 20, Sampler: Euler, Hashes: {\"model\": 5}, Seed: 2");
        assert_eq!(parsed.record.extra.get(HASHES_KEY), Some("{\"model\": 5}"));
        assert_eq!(parsed.record.settings.seed, 2);
        assert!(!is_bare_json(HASHES_KEY, "{\"a\": \"}\"}"));
        assert!(is_bare_json(HASHES_KEY, "{\"a\": \"b\"}"));
    }
}
