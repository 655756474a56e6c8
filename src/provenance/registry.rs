//! Known model files: hash → name, origin, license and whether commercial use is allowed, each with
//! the public source of the hash. Nurie ships `assets/known_models.toml`; a user adds or corrects
//! entries in `known_models.toml` under Nurie's home (same format; the user's entries win). A file
//! that matches no entry is unknown, and Nurie says so rather than guess.

use std::path::{Path, PathBuf};

use super::hash::FileIdentity;

/// The registry shipped with Nurie.
const BUILTIN: &str = include_str!("../../assets/known_models.toml");
pub const USER_REGISTRY_FILE_NAME: &str = "known_models.toml";

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{origin}: {reason}")]
    Invalid { origin: String, reason: String },
}

/// Whether a model's license allows using its outputs commercially, as far as is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommercialUse {
    Allowed,
    NotAllowed,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KnownModel {
    pub sha256: Option<String>,
    pub autov2: Option<String>,
    pub autov1: Option<String>,
    /// The file name it was published under.
    pub name: String,
    pub title: String,
    /// checkpoint, vae, controlnet or lora.
    pub kind: String,
    pub origin: String,
    pub license: String,
    pub commercial_use: CommercialUse,
    /// Where the hash is published.
    pub source: String,
    pub license_source: Option<String>,
    pub notes: Option<String>,
}

/// How a file matched an entry: the full SHA-256 is certain; the short hashes can collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    Sha256,
    Autov2,
    Autov1,
}

#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: Vec<KnownModel>,
}

impl Registry {
    /// The shipped registry.
    pub fn builtin() -> Result<Self, RegistryError> {
        Ok(Self { entries: parse(BUILTIN, "assets/known_models.toml")? })
    }

    /// The shipped registry plus the user's file in `home`; a broken user file is reported in the
    /// second value and left out.
    pub fn load(home: &Path) -> (Self, Option<String>) {
        let mut problem = None;
        let mut entries = Vec::new();
        let user_file = user_registry_path(home);
        if let Ok(text) = std::fs::read_to_string(&user_file) {
            match parse(&text, &user_file.display().to_string()) {
                Ok(user) => entries.extend(user),
                Err(e) => problem = Some(e.to_string()),
            }
        }
        match Self::builtin() {
            Ok(builtin) => entries.extend(builtin.entries),
            Err(e) => problem = Some(e.to_string()),
        }
        (Self { entries }, problem)
    }

    pub fn entries(&self) -> &[KnownModel] {
        &self.entries
    }

    /// The entry for a file: by SHA-256 first, then by an entry's AutoV2 or AutoV1 when that is all
    /// the entry has (the earliest matching entry, so the user's file wins).
    pub fn lookup(&self, identity: &FileIdentity) -> Option<(&KnownModel, MatchedBy)> {
        let by = |matched: MatchedBy, test: &dyn Fn(&KnownModel) -> bool| {
            self.entries.iter().find(|entry| test(entry)).map(|entry| (entry, matched))
        };
        by(MatchedBy::Sha256, &|e| e.sha256.as_deref() == Some(&identity.sha256))
            .or_else(|| by(MatchedBy::Autov2, &|e| e.sha256.is_none() && e.autov2.as_deref() == Some(identity.autov2())))
            .or_else(|| {
                by(MatchedBy::Autov1, &|e| {
                    e.sha256.is_none() && e.autov2.is_none() && e.autov1.as_deref() == Some(&identity.autov1)
                })
            })
    }
}

/// The file's `[[model]]` tables as read.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    model: Vec<RawEntry>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    sha256: Option<String>,
    autov2: Option<String>,
    autov1: Option<String>,
    name: String,
    title: String,
    kind: String,
    origin: String,
    license: String,
    commercial_use: toml::Value,
    source: String,
    license_source: Option<String>,
    notes: Option<String>,
}

/// Reads a registry file's text; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Vec<KnownModel>, RegistryError> {
    let invalid = |reason: String| RegistryError::Invalid { origin: origin.to_string(), reason };
    let file: RegistryFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    file.model
        .into_iter()
        .enumerate()
        .map(|(index, raw)| entry(raw).map_err(|reason| invalid(format!("model {}: {reason}", index + 1))))
        .collect()
}

fn entry(raw: RawEntry) -> Result<KnownModel, String> {
    let sha256 = hex_field(raw.sha256, 64, "sha256")?;
    let autov2 = hex_field(raw.autov2, 10, "autov2")?;
    let autov1 = hex_field(raw.autov1, 8, "autov1")?;
    if sha256.is_none() && autov2.is_none() && autov1.is_none() {
        return Err(format!("{} has no sha256, autov2 or autov1", raw.name));
    }
    if let (Some(full), Some(short)) = (&sha256, &autov2)
        && !full.starts_with(short.as_str())
    {
        return Err(format!("{}: autov2 {short} is not the start of sha256 {full}", raw.name));
    }
    if raw.source.trim().is_empty() {
        return Err(format!("{} has no source for its hash", raw.name));
    }
    let commercial_use = match &raw.commercial_use {
        toml::Value::Boolean(true) => CommercialUse::Allowed,
        toml::Value::Boolean(false) => CommercialUse::NotAllowed,
        toml::Value::String(text) if text == "unknown" => CommercialUse::Unknown,
        other => return Err(format!("commercial_use must be true, false or \"unknown\", not {other}")),
    };
    Ok(KnownModel {
        sha256,
        autov2,
        autov1,
        name: raw.name,
        title: raw.title,
        kind: raw.kind,
        origin: raw.origin,
        license: raw.license,
        commercial_use,
        source: raw.source,
        license_source: raw.license_source,
        notes: raw.notes,
    })
}

/// A lowercase hex hash of `length` digits, or an error naming the field.
fn hex_field(value: Option<String>, length: usize, field: &str) -> Result<Option<String>, String> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim().to_ascii_lowercase();
    if value.len() != length || !value.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("{field} must be {length} hex digits, not {value:?}"));
    }
    Ok(Some(value))
}

/// Where the user's registry file is, for messages and the UI.
pub fn user_registry_path(home: &Path) -> PathBuf {
    home.join(USER_REGISTRY_FILE_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(sha256: &str, autov1: &str) -> FileIdentity {
        FileIdentity { sha256: sha256.to_string(), autov1: autov1.to_string() }
    }

    #[test]
    fn the_shipped_registry_reads_and_names_sd15_and_the_leak() {
        let registry = Registry::builtin().unwrap();
        assert!(registry.entries().len() >= 19);
        let sd15 = identity("6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa", "00000000");
        let (entry, matched) = registry.lookup(&sd15).unwrap();
        assert_eq!(
            (entry.name.as_str(), matched, entry.commercial_use),
            ("v1-5-pruned-emaonly.safetensors", MatchedBy::Sha256, CommercialUse::Allowed)
        );
        let leak = identity("89d59c3dde4c56c6d5c41da34cc55ce479d93b4007046980934b14db71bdb2a8", "925997e9");
        assert_eq!(registry.lookup(&leak).unwrap().0.commercial_use, CommercialUse::NotAllowed);
        let unknown = identity(&"ab".repeat(32), "12345678");
        assert!(registry.lookup(&unknown).is_none(), "an unknown file is unknown");
        assert!(registry.entries().iter().all(|e| e.source.starts_with("https://")));
    }

    #[test]
    fn short_hashes_match_only_entries_that_have_nothing_longer() {
        let text = r#"
            [[model]]
            autov1 = "925997E9"
            name = "model.ckpt"
            title = "an AutoV1-only entry"
            kind = "checkpoint"
            origin = "somewhere"
            license = "unknown"
            commercial_use = "unknown"
            source = "https://example.org/hash"

            [[model]]
            autov2 = "6ce0161689"
            name = "short.safetensors"
            title = "an AutoV2-only entry"
            kind = "checkpoint"
            origin = "somewhere"
            license = "MIT"
            commercial_use = true
            source = "https://example.org/hash"
        "#;
        let registry = Registry { entries: parse(text, "test").unwrap() };
        let by_v1 = registry.lookup(&identity(&"0".repeat(64), "925997e9")).unwrap();
        assert_eq!((by_v1.0.name.as_str(), by_v1.1), ("model.ckpt", MatchedBy::Autov1));
        let by_v2 =
            registry.lookup(&identity("6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa", "ffffffff")).unwrap();
        assert_eq!(by_v2.1, MatchedBy::Autov2);
    }

    #[test]
    fn the_users_file_is_read_first_and_a_broken_one_is_reported() {
        let home = tempfile::tempdir().unwrap();
        let own = r#"
            [[model]]
            sha256 = "6CE0161689B3853ACAA03779EC93EAFE75A02F4CED659BEE03F50797806FA2FA"
            name = "my-copy.safetensors"
            title = "my note on SD 1.5"
            kind = "checkpoint"
            origin = "me"
            license = "CreativeML OpenRAIL-M"
            commercial_use = true
            source = "https://example.org/my-notes"
        "#;
        std::fs::write(user_registry_path(home.path()), own).unwrap();
        let (registry, problem) = Registry::load(home.path());
        assert_eq!(problem, None);
        let sd15 = identity("6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa", "0");
        assert_eq!(registry.lookup(&sd15).unwrap().0.name, "my-copy.safetensors");

        std::fs::write(user_registry_path(home.path()), "[[model]]\nname = 3").unwrap();
        let (registry, problem) = Registry::load(home.path());
        assert!(problem.is_some_and(|p| p.contains("known_models.toml")));
        assert_eq!(registry.lookup(&sd15).unwrap().0.name, "v1-5-pruned-emaonly.safetensors", "the shipped entries remain");
    }

    #[test]
    fn entries_without_a_source_or_with_bad_hashes_are_refused() {
        let entry = |fields: &str| {
            format!(
                "[[model]]\n{fields}\nname = \"x\"\ntitle = \"x\"\nkind = \"vae\"\norigin = \"x\"\nlicense = \"x\"\ncommercial_use = false\n"
            )
        };
        assert!(parse(&entry("sha256 = \"abc\"\nsource = \"https://x\""), "t").is_err(), "too short");
        assert!(parse(&entry("source = \"https://x\""), "t").is_err(), "no hash");
        assert!(parse(&entry("autov1 = \"12345678\"\nsource = \"\""), "t").is_err(), "no source");
        let mismatch = format!("sha256 = \"{}\"\nautov2 = \"ffffffffff\"\nsource = \"https://x\"", "a".repeat(64));
        assert!(parse(&entry(&mismatch), "t").is_err(), "autov2 must start the sha256");
        assert!(parse(&entry("autov1 = \"12345678\"\nsource = \"https://x\"\nextra = 1"), "t").is_err(), "unknown field");
    }
}
