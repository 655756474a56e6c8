//! [`ImageEntry`]: what the history stores about one image file, read from the file or handed over by
//! Nurie right after it saved a picture.

use std::path::{Path, PathBuf};

use super::error::FileError;
use super::file_facts::FileFacts;
use super::png_header::read_png_size;
use super::source::ImageSource;
use crate::metadata::{
    GenerationRecord, MetadataError, ParsedSettings, PngText, ReadLimits, SettingsSource, read_png_text,
    settings_from_text_chunks,
};

#[derive(Debug, Clone, PartialEq)]
pub struct ImageEntry {
    pub path: PathBuf,
    /// The import root the image belongs to.
    pub folder: PathBuf,
    pub facts: FileFacts,
    pub width: u32,
    pub height: u32,
    /// `None`: a picture without (readable) generation settings.
    pub settings: Option<ParsedSettings>,
    /// Why settings chunks in the file could not be read, when they could not.
    pub problems: Vec<String>,
    /// The line art and init image files used, when Nurie knows them (a PNG only holds their hashes).
    pub line_art_path: Option<PathBuf>,
    pub init_image_path: Option<PathBuf>,
}

impl ImageEntry {
    /// Reads the image at `path`: size from its header, settings from its text chunks within `limits`.
    /// A PNG that ends before its `IEND` chunk (half-written, cut short) is refused, so that it is never
    /// shown as a valid image; damaged or hostile settings chunks leave an image without settings.
    pub fn read(path: &Path, folder: &Path, limits: &ReadLimits) -> Result<ImageEntry, FileError> {
        require_utf8(path)?;
        let facts = FileFacts::of(path).map_err(|source| FileError::Io { path: path.to_path_buf(), source })?;
        let (width, height) = read_png_size(path)?;
        let text = read_png_text(path, limits)?;
        if !text.complete {
            return Err(FileError::Incomplete { path: path.to_path_buf() });
        }
        let (settings, problems) = settings_of(&text);
        let entry = ImageEntry::new(path, folder, facts, (width, height), settings);
        Ok(ImageEntry { problems, ..entry })
    }

    /// A picture Nurie has just saved at `path` with `record` in it (no need to parse it back).
    pub fn generated(path: &Path, folder: &Path, record: GenerationRecord) -> Result<ImageEntry, FileError> {
        require_utf8(path)?;
        let facts = FileFacts::of(path).map_err(|source| FileError::Io { path: path.to_path_buf(), source })?;
        let size = read_png_size(path)?;
        let settings = ParsedSettings { source: SettingsSource::Nurie, record, warnings: Vec::new() };
        Ok(ImageEntry::new(path, folder, facts, size, Some(settings)))
    }

    fn new(path: &Path, folder: &Path, facts: FileFacts, size: (u32, u32), settings: Option<ParsedSettings>) -> Self {
        ImageEntry {
            path: path.to_path_buf(),
            folder: folder.to_path_buf(),
            facts,
            width: size.0,
            height: size.1,
            settings,
            problems: Vec::new(),
            line_art_path: None,
            init_image_path: None,
        }
    }

    /// Remembers the line art and init image files the picture was made from.
    pub fn with_inputs(self, line_art_path: Option<PathBuf>, init_image_path: Option<PathBuf>) -> Self {
        ImageEntry { line_art_path, init_image_path, ..self }
    }

    pub fn source(&self) -> ImageSource {
        self.settings.as_ref().map_or(ImageSource::None, |parsed| parsed.source.into())
    }

    pub fn record(&self) -> Option<&GenerationRecord> {
        self.settings.as_ref().map(|parsed| &parsed.record)
    }

    /// The warnings of the settings and the problems, for the detail pane.
    pub fn all_warnings(&self) -> Vec<String> {
        let warnings = self.settings.iter().flat_map(|parsed| parsed.warnings.iter());
        warnings.chain(self.problems.iter()).cloned().collect()
    }
}

/// The settings found in the chunks, or none and why (nothing when the file simply has none).
fn settings_of(text: &PngText) -> (Option<ParsedSettings>, Vec<String>) {
    let skipped = text.skipped.iter().map(|s| format!("a {} chunk was skipped: {}", s.describe(), s.problem));
    match settings_from_text_chunks(&text.chunks) {
        Ok(mut parsed) => {
            parsed.warnings.extend(skipped);
            (Some(parsed), Vec::new())
        }
        Err(MetadataError::NoGenerationMetadata { .. }) => (None, skipped.collect()),
        Err(error) => (None, std::iter::once(format!("the settings cannot be read: {error}")).chain(skipped).collect()),
    }
}

fn require_utf8(path: &Path) -> Result<(), FileError> {
    match path.to_str() {
        Some(_) => Ok(()),
        None => Err(FileError::NonUtf8Path { path: path.to_path_buf() }),
    }
}
