//! A1111's `Lora hashes` and `TI hashes` keys: `"flat_color: 3b8aa1d351ef, detail: 0123456789ab"`, one
//! `name: short hash` per network that has a short hash, in the record's order.
//!
//! A1111 writes them from `extra_generation_params` (`extensions-builtin/Lora/extra_networks_lora.py`
//! and `modules/sd_hijack_clip.py` in 1.10): the name as the prompt mentions it with `:` and `,` removed,
//! the short hash its first 12 hex digits. It reads `Lora hashes` back (`lora_script.py`,
//! `infotext_pasted`) by splitting at `,` and then at the first `:`, stripping both sides; Nurie reads
//! both keys that way. A value that is not such a list is kept as written, with a warning.

use super::extra_params::ExtraParams;
use super::infotext_keys::{Key, Reading};
use super::network_use::{NetworkKind, NetworkUse, is_hex_of_len, network_entry};
use super::record::GenerationRecord;

/// `Lora hashes` and `TI hashes`, in A1111's order (LoRAs are activated before the prompt is encoded).
pub const NETWORK_HASH_KEYS: [Key; 2] = [
    Key {
        names: &["Lora hashes"],
        write: |r, out| write_hashes(r, out, NetworkKind::Lora),
        read: |reading, key, value| read_hashes(reading, key, value, NetworkKind::Lora),
    },
    Key {
        names: &["TI hashes"],
        write: |r, out| write_hashes(r, out, NetworkKind::Embedding),
        read: |reading, key, value| read_hashes(reading, key, value, NetworkKind::Embedding),
    },
];

/// Short hashes are A1111's 12 digits; 8 to 64 are read, for older or other writers.
const SHORT_HASH_DIGITS: std::ops::RangeInclusive<usize> = 8..=64;

fn key_of(kind: NetworkKind) -> &'static str {
    match kind {
        NetworkKind::Lora => "Lora hashes",
        NetworkKind::Embedding => "TI hashes",
    }
}

fn write_hashes(record: &GenerationRecord, out: &mut ExtraParams, kind: NetworkKind) {
    let entries: Vec<String> = record.networks.iter().filter(|n| n.kind == kind).filter_map(hash_entry).collect();
    if !entries.is_empty() {
        out.insert(key_of(kind), entries.join(", "));
    }
}

/// `name: hash`, the name cleaned as A1111 cleans it; none without a hash or a name.
fn hash_entry(network: &NetworkUse) -> Option<String> {
    let hash = network.short_hash.as_deref()?;
    let name: String = network.name.chars().filter(|c| !matches!(c, ':' | ',')).collect();
    (!name.trim().is_empty()).then(|| format!("{name}: {hash}"))
}

fn read_hashes(reading: &mut Reading, key: &str, value: &str, kind: NetworkKind) -> Result<(), String> {
    for (name, hash) in parse_hash_list(key, value)? {
        network_entry(&mut reading.record.networks, kind, &name).short_hash = Some(hash);
    }
    Ok(())
}

/// The `(name, lowercase hash)` pairs of a hash list; a repeated name keeps its first place and its
/// last hash, as in A1111's dict.
pub fn parse_hash_list(key: &str, value: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for entry in value.split(',') {
        let (name, hash) = entry.split_once(':').ok_or_else(|| format!("{key}: `{}` is not `name: hash`", entry.trim()))?;
        let (name, hash) = (name.trim(), hash.trim().to_ascii_lowercase());
        if name.is_empty() || !is_hex_of_len(&hash, SHORT_HASH_DIGITS) {
            return Err(format!("{key}: `{}` is not `name: hash`", entry.trim()));
        }
        match pairs.iter_mut().find(|(known, _)| known == name) {
            Some(pair) => pair.1 = hash,
            None => pairs.push((name.to_string(), hash)),
        }
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::infotext_record::settings_from_infotext;

    #[test]
    fn a1111_lists_are_read_in_order_with_dict_semantics() {
        let pairs =
            parse_hash_list("Lora hashes", " flat color: 3B8AA1D351EF,detail:0123456789ab, flat color: aaaaaaaaaaaa").unwrap();
        assert_eq!(pairs, vec![("flat color".into(), "aaaaaaaaaaaa".into()), ("detail".into(), "0123456789ab".into())]);
        for bad in ["", "name", ": 0123456789ab", "x: nothex", "x: 0123"] {
            assert!(parse_hash_list("TI hashes", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_lose_colons_and_commas_as_in_a1111() {
        let network = NetworkUse { short_hash: Some("0123456789ab".into()), ..NetworkUse::named(NetworkKind::Lora, "a:b,c") };
        assert_eq!(hash_entry(&network).as_deref(), Some("abc: 0123456789ab"));
        assert_eq!(hash_entry(&NetworkUse::named(NetworkKind::Lora, "no hash")), None);
        let unnamed = NetworkUse { name: ":,".into(), ..network };
        assert_eq!(hash_entry(&unnamed), None);
    }

    #[test]
    fn both_keys_fill_the_networks_and_bad_lists_are_kept() {
        let parsed = settings_from_infotext(
            "cat, <lora:flat:0.8>, easynegative\nSteps: 20, Lora hashes: \"flat: 3b8aa1d351ef\", TI hashes: \"easynegative: c74b4e810b03\"",
        );
        assert!(parsed.warnings.iter().all(|w| !w.contains("hashes")), "{:?}", parsed.warnings);
        let networks = &parsed.record.networks;
        assert_eq!(networks.len(), 2);
        assert_eq!((networks[0].kind, networks[0].name.as_str()), (NetworkKind::Lora, "flat"));
        assert_eq!(networks[1].short_hash.as_deref(), Some("c74b4e810b03"));
        let bad = settings_from_infotext("cat\nSteps: 20, Sampler: Euler, Lora hashes: \"flat\"");
        assert!(bad.record.networks.is_empty());
        assert_eq!(bad.record.extra.get("Lora hashes"), Some("flat"));
        assert!(bad.warnings.iter().any(|w| w.contains("Lora hashes")), "{:?}", bad.warnings);
    }
}
