//! Which tool's settings an indexed image carries, as stored in the `images.source` column.

use crate::metadata::SettingsSource;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageSource {
    Nurie,
    A1111,
    ComfyUi,
    InvokeAi,
    /// A picture without generation settings (or with settings that could not be read).
    None,
}

impl ImageSource {
    pub const ALL: [ImageSource; 5] =
        [ImageSource::Nurie, ImageSource::A1111, ImageSource::ComfyUi, ImageSource::InvokeAi, ImageSource::None];

    pub fn as_str(self) -> &'static str {
        match self {
            ImageSource::Nurie => "nurie",
            ImageSource::A1111 => "a1111",
            ImageSource::ComfyUi => "comfyui",
            ImageSource::InvokeAi => "invokeai",
            ImageSource::None => "none",
        }
    }

    /// The tool that made the picture, by its own name; `None` for a picture without settings.
    pub fn tool_name(self) -> Option<&'static str> {
        let settings = match self {
            ImageSource::Nurie => SettingsSource::Nurie,
            ImageSource::A1111 => SettingsSource::A1111,
            ImageSource::ComfyUi => SettingsSource::ComfyUi,
            ImageSource::InvokeAi => SettingsSource::InvokeAi,
            ImageSource::None => return None,
        };
        Some(settings.tool_name())
    }

    pub fn from_stored(text: &str) -> Option<ImageSource> {
        ImageSource::ALL.into_iter().find(|source| source.as_str() == text)
    }
}

impl From<SettingsSource> for ImageSource {
    fn from(source: SettingsSource) -> Self {
        match source {
            SettingsSource::Nurie => ImageSource::Nurie,
            SettingsSource::A1111 => ImageSource::A1111,
            SettingsSource::ComfyUi => ImageSource::ComfyUi,
            SettingsSource::InvokeAi => ImageSource::InvokeAi,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip_and_match_the_schema_check() {
        for source in ImageSource::ALL {
            assert_eq!(ImageSource::from_stored(source.as_str()), Some(source));
            assert!(super::super::schema::V1.contains(&format!("'{}'", source.as_str())));
        }
        assert_eq!(ImageSource::from_stored("NURIE"), None);
    }
}
