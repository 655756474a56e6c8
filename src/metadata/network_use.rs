//! [`NetworkUse`]: a LoRA or textual-inversion embedding a generation used, and the hashes that name
//! its file. A record lists them once (`GenerationRecord::networks`); the infotext writer turns them into
//! A1111's `Lora hashes` / `TI hashes` and Civitai's `Hashes`, Nurie's JSON keeps them whole, and the
//! readers of A1111, ComfyUI and InvokeAI metadata fill them as far as those formats say.
//!
//! The hashes come in three flavours because the tools disagree on what names a file:
//! * `short_hash`: A1111's (12 hex digits). For a LoRA in `.safetensors` it is the SHA-256 of the
//!   tensor data after the header (kohya's "addnet" hash, Civitai's AutoV3), else of the whole file.
//! * `autov2`: the first 10 hex digits of the whole file's SHA-256, what Civitai's `Hashes` carries.
//! * `sha256`: the whole file's SHA-256, in Nurie's JSON only.

use serde::{Deserialize, Serialize};

/// What kind of add-on network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkKind {
    /// A LoRA (or a LyCORIS variant), called by `<lora:NAME:weight>`.
    #[default]
    Lora,
    /// A textual-inversion embedding, called by its name as a word of the prompt.
    Embedding,
}

impl NetworkKind {
    /// The prefix of this kind's entries in Civitai's `Hashes` (`lora:NAME`, `embed:NAME`).
    pub fn civitai_prefix(self) -> &'static str {
        match self {
            NetworkKind::Lora => "lora",
            NetworkKind::Embedding => "embed",
        }
    }

    /// The kind whose `Hashes` prefix is `prefix`.
    pub fn from_civitai_prefix(prefix: &str) -> Option<NetworkKind> {
        [NetworkKind::Lora, NetworkKind::Embedding].into_iter().find(|kind| kind.civitai_prefix() == prefix)
    }
}

/// One LoRA or embedding used by a generation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkUse {
    pub kind: NetworkKind,
    /// The name the prompt calls it by (`flat_color` for `<lora:flat_color:0.8>`), which A1111 also
    /// writes in `Lora hashes` / `TI hashes`; for other tools, their file name without the extension.
    pub name: String,
    /// A1111's short hash, lowercase hex (12 digits as A1111 writes it).
    pub short_hash: Option<String>,
    /// Civitai's AutoV2: the first 10 hex digits of the whole file's SHA-256.
    pub autov2: Option<String>,
    /// SHA-256 of the whole file, lowercase hex.
    pub sha256: Option<String>,
    /// The weight on the UNet where a tool records it apart from the prompt (a ComfyUI loader's
    /// `strength_model`, InvokeAI's `weight`); `None` where the prompt's tag carries it, as in A1111.
    pub strength: Option<f64>,
    /// The weight on the text encoder, where it is recorded apart (`strength_clip`).
    pub clip_strength: Option<f64>,
}

impl NetworkUse {
    /// A network known by kind and name only.
    pub fn named(kind: NetworkKind, name: impl Into<String>) -> NetworkUse {
        NetworkUse { kind, name: name.into(), ..Default::default() }
    }

    /// The hash Civitai's `Hashes` gives it: AutoV2, also derived from the SHA-256.
    pub fn civitai_hash(&self) -> Option<String> {
        let from_sha = self.sha256.as_deref().and_then(|sha| sha.get(..10)).map(str::to_ascii_lowercase);
        self.autov2.clone().or(from_sha)
    }

    /// Every hash it is known by (short hash, AutoV2, SHA-256), for matching against local files.
    pub fn known_hashes(&self) -> impl Iterator<Item = &str> {
        [&self.short_hash, &self.autov2, &self.sha256].into_iter().filter_map(|hash| hash.as_deref())
    }

    /// The entry's key in Civitai's `Hashes` (`lora:flat_color`).
    pub fn civitai_key(&self) -> String {
        format!("{}:{}", self.kind.civitai_prefix(), self.name)
    }
}

/// The network of `kind` named `name` in `networks`, added at the end when there is none.
pub(crate) fn network_entry<'a>(networks: &'a mut Vec<NetworkUse>, kind: NetworkKind, name: &str) -> &'a mut NetworkUse {
    let position = networks.iter().position(|n| n.kind == kind && n.name == name);
    let index = position.unwrap_or_else(|| {
        networks.push(NetworkUse::named(kind, name));
        networks.len() - 1
    });
    &mut networks[index]
}

/// `true` for `digits` hex digits (any case) and nothing else.
pub(crate) fn is_hex_of_len(text: &str, digits: std::ops::RangeInclusive<usize>) -> bool {
    digits.contains(&text.len()) && text.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civitai_hash_falls_back_to_the_sha256() {
        let mut lora = NetworkUse::named(NetworkKind::Lora, "flat");
        assert_eq!(lora.civitai_hash(), None);
        lora.sha256 = Some("ABCDEF0123".repeat(6) + "4567");
        assert_eq!(lora.civitai_hash().as_deref(), Some("abcdef0123"));
        lora.autov2 = Some("0123456789".into());
        assert_eq!(lora.civitai_hash().as_deref(), Some("0123456789"));
        assert_eq!(lora.civitai_key(), "lora:flat");
    }

    #[test]
    fn entries_are_found_by_kind_and_name() {
        let mut networks = vec![NetworkUse::named(NetworkKind::Lora, "x")];
        network_entry(&mut networks, NetworkKind::Embedding, "x").short_hash = Some("ab".into());
        network_entry(&mut networks, NetworkKind::Lora, "x").autov2 = Some("cd".into());
        assert_eq!(networks.len(), 2);
        assert_eq!((networks[0].autov2.as_deref(), networks[1].short_hash.as_deref()), (Some("cd"), Some("ab")));
    }

    #[test]
    fn json_form_is_readable() {
        let lora = NetworkUse { strength: Some(0.8), ..NetworkUse::named(NetworkKind::Embedding, "bad_hands") };
        let json = serde_json::to_string(&lora).unwrap();
        assert!(json.starts_with(r#"{"kind":"embedding","name":"bad_hands","#), "{json}");
        assert_eq!(serde_json::from_str::<NetworkUse>(&json).unwrap(), lora);
        assert_eq!(NetworkKind::from_civitai_prefix("embed"), Some(NetworkKind::Embedding));
    }
}
