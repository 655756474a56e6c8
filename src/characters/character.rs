//! One character: its name, reference settings and part colors, as `character.json` holds them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::metadata::ReferenceSettings;

/// What can go wrong with characters, naming the character or the file.
#[derive(Debug, thiserror::Error)]
pub enum CharacterError {
    #[error("a character needs a name")]
    NoName,
    #[error("the character name `{0}` has characters no file name can hold (/ \\ : * ? \" < > |) or is too long")]
    BadName(String),
    #[error("there is already a character called `{0}`: choose another name, or remove it first")]
    Exists(String),
    #[error("there is no character called `{name}`{known}")]
    Unknown { name: String, known: String },
    #[error("the part color `{0}` is not PART=#RRGGBB (e.g. hair=#2a1c5e)")]
    BadColor(String),
    #[error("the reference picture {path}: {message}")]
    Picture { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

/// A part of the character and its color (`hair`, `#2a1c5e`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartColor {
    pub part: String,
    /// `#rrggbb`.
    pub color: String,
}

impl PartColor {
    /// `PART=#RRGGBB` (the `#` may be left out), as the command line takes it.
    pub fn parse(text: &str) -> Result<Self, CharacterError> {
        let bad = || CharacterError::BadColor(text.to_string());
        let (part, color) = text.split_once('=').ok_or_else(bad)?;
        let digits = color.trim().trim_start_matches('#');
        if part.trim().is_empty() || digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Self { part: part.trim().to_string(), color: format!("#{}", digits.to_ascii_lowercase()) })
    }

    /// The color as RGB bytes.
    pub fn rgb(&self) -> [u8; 3] {
        let digits = self.color.trim_start_matches('#');
        let channel = |i: usize| digits.get(2 * i..2 * i + 2).and_then(|hex| u8::from_str_radix(hex, 16).ok()).unwrap_or(0);
        [channel(0), channel(1), channel(2)]
    }
}

/// A character as `character.json` stores it; its picture is `reference.png` beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Character {
    pub name: String,
    /// How the character's reference unit acts.
    #[serde(default)]
    pub reference: ReferenceSettings,
    #[serde(default)]
    pub parts: Vec<PartColor>,
}

impl Character {
    /// Checks the name can be a folder's name on every system Nurie runs on.
    pub fn check_name(name: &str) -> Result<(), CharacterError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(CharacterError::NoName);
        }
        let forbidden = |c: char| "/\\:*?\"<>|".contains(c) || c.is_control();
        if name.chars().any(forbidden) || name.len() > 120 || name == "." || name == ".." || name.ends_with('.') {
            return Err(CharacterError::BadName(name.to_string()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_colors_parse_with_or_without_the_hash() {
        let hair = PartColor::parse("髪=#2A1C5E").unwrap();
        assert_eq!((hair.part.as_str(), hair.color.as_str(), hair.rgb()), ("髪", "#2a1c5e", [0x2a, 0x1c, 0x5e]));
        assert_eq!(PartColor::parse("eyes = 00ff80").unwrap().rgb(), [0, 255, 128]);
        for bad in ["hair", "=#123456", "hair=#12345", "hair=#gggggg"] {
            assert!(PartColor::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_that_cannot_be_folders_are_refused() {
        assert!(Character::check_name("ハル").is_ok());
        for bad in ["", "  ", "a/b", "what?", "..", "dot."] {
            assert!(Character::check_name(bad).is_err(), "{bad}");
        }
    }
}
