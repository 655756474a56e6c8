//! The characters under Nurie's home: `characters/NAME/character.json` and `reference.png`.

use std::path::{Path, PathBuf};

use super::character::{Character, CharacterError};
use crate::atomic_write::write_file_atomically;

const SETTINGS_FILE: &str = "character.json";
const PICTURE_FILE: &str = "reference.png";

/// A character as kept in the library, with the folder holding it.
#[derive(Debug, Clone)]
pub struct KeptCharacter {
    pub character: Character,
    pub folder: PathBuf,
}

impl KeptCharacter {
    /// The character's reference picture.
    pub fn picture(&self) -> PathBuf {
        self.folder.join(PICTURE_FILE)
    }
}

/// The characters of one home.
#[derive(Debug, Clone)]
pub struct CharacterLibrary {
    folder: PathBuf,
}

impl CharacterLibrary {
    pub fn in_home(home: &Path) -> Self {
        Self { folder: home.join("characters") }
    }

    /// Every character that reads, sorted by name, and a message for each folder that does not.
    pub fn list(&self) -> (Vec<KeptCharacter>, Vec<String>) {
        let Ok(entries) = std::fs::read_dir(&self.folder) else { return (vec![], vec![]) };
        let (mut characters, mut problems) = (Vec::new(), Vec::new());
        for folder in entries.filter_map(Result::ok).map(|entry| entry.path()).filter(|path| path.is_dir()) {
            match read_kept(&folder) {
                Ok(kept) => characters.push(kept),
                Err(e) => problems.push(e.to_string()),
            }
        }
        characters.sort_by(|a, b| a.character.name.cmp(&b.character.name));
        (characters, problems)
    }

    /// The character called `name`.
    pub fn find(&self, name: &str) -> Result<KeptCharacter, CharacterError> {
        let (characters, _) = self.list();
        let known: Vec<String> = characters.iter().map(|kept| kept.character.name.clone()).collect();
        characters.into_iter().find(|kept| kept.character.name == name.trim()).ok_or_else(|| CharacterError::Unknown {
            name: name.to_string(),
            known: if known.is_empty() {
                " (the library is empty: add one with `nurie character add`)".to_string()
            } else {
                format!("; the characters are: {}", known.join(", "))
            },
        })
    }

    /// Keeps `character` with its reference `picture` (PNG bytes are written as given).
    pub fn add(&self, character: Character, picture_png: &[u8]) -> Result<KeptCharacter, CharacterError> {
        Character::check_name(&character.name)?;
        let folder = self.folder.join(character.name.trim());
        if folder.exists() {
            return Err(CharacterError::Exists(character.name.clone()));
        }
        let file_error =
            |path: &Path, e: &dyn std::fmt::Display| CharacterError::File { path: path.to_path_buf(), message: e.to_string() };
        std::fs::create_dir_all(&folder).map_err(|e| file_error(&folder, &e))?;
        let json = serde_json::to_vec_pretty(&character).map_err(|e| file_error(&folder, &e))?;
        let picture = folder.join(PICTURE_FILE);
        write_file_atomically(&picture, picture_png).map_err(|e| file_error(&picture, &e))?;
        // The settings last: a folder without them is not a character yet (a write cut short).
        let settings = folder.join(SETTINGS_FILE);
        write_file_atomically(&settings, &json).map_err(|e| file_error(&settings, &e))?;
        Ok(KeptCharacter { character, folder })
    }

    /// Removes the character called `name` (its folder, with the copy of its picture).
    pub fn remove(&self, name: &str) -> Result<(), CharacterError> {
        let kept = self.find(name)?;
        std::fs::remove_dir_all(&kept.folder).map_err(|e| CharacterError::File { path: kept.folder, message: e.to_string() })
    }
}

fn read_kept(folder: &Path) -> Result<KeptCharacter, CharacterError> {
    let settings = folder.join(SETTINGS_FILE);
    let file_error = |message: String| CharacterError::File { path: settings.clone(), message };
    let text = std::fs::read_to_string(&settings).map_err(|e| file_error(e.to_string()))?;
    let character: Character = serde_json::from_str(&text).map_err(|e| file_error(format!("not a character's settings: {e}")))?;
    if !folder.join(PICTURE_FILE).is_file() {
        return Err(file_error(format!("the character has no {PICTURE_FILE} beside it")));
    }
    Ok(KeptCharacter { character, folder: folder.to_path_buf() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::characters::PartColor;

    fn character(name: &str) -> Character {
        Character { name: name.into(), reference: Default::default(), parts: vec![PartColor::parse("髪=#2a1c5e").unwrap()] }
    }

    #[test]
    fn characters_are_added_listed_found_and_removed() {
        let home = tempfile::tempdir().unwrap();
        let library = CharacterLibrary::in_home(home.path());
        assert!(library.find("ハル").unwrap_err().to_string().contains("the library is empty"));
        library.add(character("ハル"), b"png").unwrap();
        library.add(character("Aki"), b"png").unwrap();
        assert!(matches!(library.add(character("ハル"), b"png"), Err(CharacterError::Exists(_))));
        std::fs::create_dir_all(home.path().join("characters/broken")).unwrap();
        let (characters, problems) = library.list();
        let names: Vec<&str> = characters.iter().map(|kept| kept.character.name.as_str()).collect();
        assert_eq!(names, ["Aki", "ハル"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        let hal = library.find("ハル").unwrap();
        assert_eq!(hal.character.parts[0].rgb(), [0x2a, 0x1c, 0x5e]);
        assert_eq!(std::fs::read(hal.picture()).unwrap(), b"png");
        library.remove("Aki").unwrap();
        assert!(library.find("Aki").unwrap_err().to_string().contains("the characters are: ハル"));
    }
}
