//! Characters: the people of a story as the user keeps them, each a reference picture (a crop of its
//! character sheet) with how its reference unit acts, and the named colors of its parts (hair, eyes,
//! skin, uniform…). Kept under Nurie's home (`characters/`), one folder each; shared as one file.
//!
//! Choosing characters for a page adds their reference units, so the page shares their look.

mod character;
mod library;
mod share;

pub use character::{Character, CharacterError, PartColor};
pub use library::{CharacterLibrary, KeptCharacter};
pub use share::{CHARACTER_FILE_EXTENSION, export_character, import_character};
