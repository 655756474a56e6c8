//! What reading a picture's settings gives: the record, which tool's metadata it came from, and what
//! could not be read exactly.

use super::record::GenerationRecord;

/// The tool whose metadata the settings were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsSource {
    Nurie,
    A1111,
    ComfyUi,
    InvokeAi,
}

impl SettingsSource {
    /// The tool's own name.
    pub fn tool_name(self) -> &'static str {
        match self {
            SettingsSource::Nurie => "Nurie",
            SettingsSource::A1111 => "AUTOMATIC1111",
            SettingsSource::ComfyUi => "ComfyUI",
            SettingsSource::InvokeAi => "InvokeAI",
        }
    }
}

/// Settings read from an image: the record (fields the source did not say are at their defaults) and
/// what the user should know (approximations, unsupported features, unreadable values).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedSettings {
    pub source: SettingsSource,
    pub record: GenerationRecord,
    pub warnings: Vec<String>,
}
