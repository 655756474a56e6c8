//! A character as one file to hand to an assistant: a zip archive of its `character.json` and
//! `reference.png`, which `import_character` reads into another library.

use std::io::{Read, Write};
use std::path::Path;

use super::character::{Character, CharacterError};
use super::library::{CharacterLibrary, KeptCharacter};
use crate::atomic_write::write_file_atomically_with;

/// The extension of a shared character's file.
pub const CHARACTER_FILE_EXTENSION: &str = "nurie-character";

/// Largest part of a shared file read (the picture is a crop; this only guards against a bad file).
const LARGEST_ENTRY: u64 = 256 << 20;

/// Writes `kept` into `file` (atomically).
pub fn export_character(kept: &KeptCharacter, file: &Path) -> Result<(), CharacterError> {
    let file_error = |e: &dyn std::fmt::Display| CharacterError::File { path: file.to_path_buf(), message: e.to_string() };
    let picture_path = kept.picture();
    let picture =
        std::fs::read(&picture_path).map_err(|e| CharacterError::File { path: picture_path.clone(), message: e.to_string() })?;
    let json = serde_json::to_vec_pretty(&kept.character).map_err(|e| file_error(&e))?;
    write_file_atomically_with(file, |out| {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("character.json", options).map_err(std::io::Error::other)?;
        zip.write_all(&json)?;
        // The picture is a PNG already: stored, not compressed again.
        zip.start_file("reference.png", options.compression_method(zip::CompressionMethod::Stored))
            .map_err(std::io::Error::other)?;
        zip.write_all(&picture)?;
        let bytes = zip.finish().map_err(std::io::Error::other)?.into_inner();
        out.write_all(&bytes)
    })
    .map_err(|e| file_error(&e))
}

/// Reads a shared character from `file` into `library`, under `rename` when given.
pub fn import_character(file: &Path, library: &CharacterLibrary, rename: Option<&str>) -> Result<KeptCharacter, CharacterError> {
    let file_error = |message: String| CharacterError::File { path: file.to_path_buf(), message };
    let reader = std::fs::File::open(file).map_err(|e| file_error(e.to_string()))?;
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| file_error(format!("not a shared character (a zip archive): {e}")))?;
    let mut entry = |name: &str| -> Result<Vec<u8>, CharacterError> {
        let found = archive.by_name(name).map_err(|_| file_error(format!("the file has no {name}: not a shared character")))?;
        let mut bytes = Vec::new();
        found.take(LARGEST_ENTRY).read_to_end(&mut bytes).map_err(|e| file_error(format!("{name}: {e}")))?;
        Ok(bytes)
    };
    let json = entry("character.json")?;
    let picture = entry("reference.png")?;
    let mut character: Character = serde_json::from_slice(&json)
        .map_err(|e| file_error(format!("its character.json is not a character's settings: {e}")))?;
    image::load_from_memory_with_format(&picture, image::ImageFormat::Png)
        .map_err(|e| file_error(format!("its reference.png is not a picture: {e}")))?;
    if let Some(name) = rename {
        character.name = name.trim().to_string();
    }
    library.add(character, &picture)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::characters::PartColor;

    fn png() -> Vec<u8> {
        let mut bytes = Vec::new();
        image::RgbImage::from_pixel(4, 4, image::Rgb([200, 10, 10]))
            .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
            .unwrap();
        bytes
    }

    #[test]
    fn a_character_travels_in_one_file() {
        let (mine, theirs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let library = CharacterLibrary::in_home(mine.path());
        let character = Character {
            name: "ハル".into(),
            reference: Default::default(),
            parts: vec![PartColor::parse("eyes=#00ff80").unwrap()],
        };
        let kept = library.add(character.clone(), &png()).unwrap();
        let file = mine.path().join(format!("ハル.{CHARACTER_FILE_EXTENSION}"));
        export_character(&kept, &file).unwrap();
        let other = CharacterLibrary::in_home(theirs.path());
        let imported = import_character(&file, &other, None).unwrap();
        assert_eq!(imported.character, character);
        assert_eq!(std::fs::read(imported.picture()).unwrap(), png());
        assert!(matches!(import_character(&file, &other, None), Err(CharacterError::Exists(_))));
        assert_eq!(import_character(&file, &other, Some("ハル2")).unwrap().character.name, "ハル2");
    }

    #[test]
    fn a_file_that_is_not_a_character_says_so() {
        let home = tempfile::tempdir().unwrap();
        let library = CharacterLibrary::in_home(home.path());
        let file = home.path().join("x.nurie-character");
        std::fs::write(&file, b"not a zip").unwrap();
        assert!(import_character(&file, &library, None).unwrap_err().to_string().contains("not a shared character"));
    }
}
