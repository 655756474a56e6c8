//! Which LoRAs and embeddings of a picture are here: each network a record lists, looked up among the
//! user's files by name and by hash, the way A1111 finds them when a picture's settings are pasted
//! (`extensions-builtin/Lora/lora_script.py: infotext_pasted` replaces a `<lora:NAME:` whose short hash
//! belongs to a file under another name with that file's name).
//!
//! A picture's hashes come in several flavours (A1111's 12-digit short hash, Civitai's 10-digit AutoV2,
//! a full SHA-256), and a local file has several full hashes (whole file, addnet, declared); a picture's
//! hash matches a file when it begins one of the file's hashes. Short hashes can collide, so a match is
//! evidence, not proof.

use super::network_hash::NetworkFileHashes;
use crate::metadata::{NetworkKind, NetworkUse};

/// A LoRA or embedding file the user has: the name a prompt calls it by, and its hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalNetwork {
    pub kind: NetworkKind,
    pub name: String,
    pub hashes: NetworkFileHashes,
}

/// Where the user's networks are looked up.
pub trait NetworkLookup {
    /// The file a prompt naming `name` would load as `kind`.
    fn by_name(&self, kind: NetworkKind, name: &str) -> Option<LocalNetwork>;
    /// A file of `kind` whose hashes match `hash` (a hash as pictures carry it).
    fn by_hash(&self, kind: NetworkKind, hash: &str) -> Option<LocalNetwork>;
}

/// A plain list of the user's networks, looked up by exact name.
#[derive(Debug, Clone, Default)]
pub struct LocalNetworks(pub Vec<LocalNetwork>);

impl NetworkLookup for LocalNetworks {
    fn by_name(&self, kind: NetworkKind, name: &str) -> Option<LocalNetwork> {
        self.0.iter().find(|local| local.kind == kind && local.name == name).cloned()
    }

    fn by_hash(&self, kind: NetworkKind, hash: &str) -> Option<LocalNetwork> {
        self.0.iter().find(|local| local.kind == kind && file_matches(&local.hashes, hash)).cloned()
    }
}

/// What was found for one network of a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkPresence {
    /// A file of that name is here; `hash_checked` when the picture had a hash and it matches.
    Found { hash_checked: bool },
    /// No file of that name, but one with the picture's hash under another name: the prompt needs that
    /// name instead.
    FoundUnderOtherName { local_name: String },
    /// A file of that name is here, but its hashes differ from the picture's: another version, most
    /// likely; no file here has the picture's hash.
    DifferentFile,
    /// Neither a file of that name nor one with its hash.
    Missing,
}

/// One network of a picture and what was found for it.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkCheck {
    pub network: NetworkUse,
    pub presence: NetworkPresence,
}

/// Looks up every network of a picture (a record's `networks`) in `lookup`.
pub fn check_networks(networks: &[NetworkUse], lookup: &impl NetworkLookup) -> Vec<NetworkCheck> {
    networks.iter().map(|network| NetworkCheck { network: network.clone(), presence: presence(network, lookup) }).collect()
}

fn presence(network: &NetworkUse, lookup: &impl NetworkLookup) -> NetworkPresence {
    let has_hash = network.known_hashes().next().is_some();
    let by_name = lookup.by_name(network.kind, &network.name);
    if let Some(local) = &by_name
        && (!has_hash || matches_any(network, &local.hashes))
    {
        return NetworkPresence::Found { hash_checked: has_hash };
    }
    let by_hash = network.known_hashes().find_map(|hash| lookup.by_hash(network.kind, hash));
    match (by_hash, by_name) {
        (Some(local), _) if local.name != network.name => NetworkPresence::FoundUnderOtherName { local_name: local.name },
        (Some(_), _) => NetworkPresence::Found { hash_checked: true },
        (None, Some(_)) => NetworkPresence::DifferentFile,
        (None, None) => NetworkPresence::Missing,
    }
}

fn matches_any(network: &NetworkUse, hashes: &NetworkFileHashes) -> bool {
    network.known_hashes().any(|hash| file_matches(hashes, hash))
}

/// Whether `hash` (at least 8 hex digits, any case) begins one of the file's hashes.
pub fn file_matches(hashes: &NetworkFileHashes, hash: &str) -> bool {
    let hash = hash.trim().to_ascii_lowercase();
    hash.len() >= 8 && hashes.all_sha256().any(|full| full.starts_with(&hash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::FileIdentity;

    fn local(kind: NetworkKind, name: &str, sha256: &str, addnet: Option<&str>) -> LocalNetwork {
        let identity = FileIdentity { sha256: sha256.repeat(32), autov1: "00000000".into() };
        let hashes = NetworkFileHashes { identity, addnet_sha256: addnet.map(|a| a.repeat(32)), declared_sha256: None };
        LocalNetwork { kind, name: name.into(), hashes }
    }

    fn files() -> LocalNetworks {
        LocalNetworks(vec![
            local(NetworkKind::Lora, "flat", "aa", Some("bb")),
            local(NetworkKind::Lora, "detail_v2", "cc", Some("dd")),
            local(NetworkKind::Embedding, "easynegative", "ee", None),
        ])
    }

    fn lora(name: &str, short: Option<&str>, autov2: Option<&str>) -> NetworkUse {
        NetworkUse {
            short_hash: short.map(str::to_string),
            autov2: autov2.map(str::to_string),
            ..NetworkUse::named(NetworkKind::Lora, name)
        }
    }

    fn presences(networks: &[NetworkUse]) -> Vec<NetworkPresence> {
        check_networks(networks, &files()).into_iter().map(|check| check.presence).collect()
    }

    #[test]
    fn found_by_name_with_or_without_a_hash_to_check() {
        let networks =
            [lora("flat", Some("bbbbbbbbbbbb"), None), lora("flat", None, Some("AAAAAAAAAA")), lora("flat", None, None)];
        assert_eq!(
            presences(&networks),
            vec![
                NetworkPresence::Found { hash_checked: true },
                NetworkPresence::Found { hash_checked: true },
                NetworkPresence::Found { hash_checked: false },
            ]
        );
    }

    #[test]
    fn found_by_hash_under_another_name() {
        let networks = [lora("detail", Some("dddddddddddd"), None), lora("flat", Some("dddddddddddd"), None)];
        let expected = NetworkPresence::FoundUnderOtherName { local_name: "detail_v2".into() };
        assert_eq!(presences(&networks), vec![expected.clone(), expected]);
    }

    #[test]
    fn a_different_file_and_a_missing_one() {
        let networks =
            [lora("flat", Some("0123456789ab"), None), lora("gone", Some("0123456789ab"), None), lora("gone", None, None)];
        assert_eq!(
            presences(&networks),
            vec![NetworkPresence::DifferentFile, NetworkPresence::Missing, NetworkPresence::Missing]
        );
    }

    #[test]
    fn kinds_do_not_mix_and_short_prefixes_do_not_match() {
        let embedding =
            NetworkUse { short_hash: Some("eeeeeeeeeeee".into()), ..NetworkUse::named(NetworkKind::Embedding, "easynegative") };
        let as_lora = NetworkUse { kind: NetworkKind::Lora, ..embedding.clone() };
        assert_eq!(
            presences(&[embedding, as_lora]),
            vec![NetworkPresence::Found { hash_checked: true }, NetworkPresence::Missing]
        );
        assert!(!file_matches(&files().0[0].hashes, "aaaa"));
    }
}
