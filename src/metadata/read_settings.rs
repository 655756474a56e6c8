//! Reading generation settings back from an image, whichever tool made it.
//!
//! Chunks are tried in this order, the first readable one wins: Nurie's `nurie` JSON (authoritative:
//! lossless), A1111's `parameters` text (also written by Nurie, Forge, SD.Next, …), ComfyUI's `prompt`
//! graph, InvokeAI's `invokeai_metadata`. A chunk that is present but unreadable adds a warning and the
//! next one is tried.

use std::path::Path;

use super::comfyui::{COMFYUI_KEYWORD, settings_from_comfyui_prompt};
use super::error::{MetadataError, Result};
use super::infotext_record::settings_from_infotext;
use super::invokeai::{INVOKEAI_KEYWORD, settings_from_invokeai_metadata};
use super::nurie_json::{NURIE_KEYWORD, settings_from_nurie_json};
use super::parsed_settings::ParsedSettings;
use super::png_read::{ReadLimits, TextChunk, read_png_text};

/// A1111's keyword for its infotext.
pub const A1111_KEYWORD: &str = "parameters";

/// Reads the settings stored in a PNG file.
pub fn read_settings_from_png(path: &Path) -> Result<ParsedSettings> {
    let text = read_png_text(path, &ReadLimits::default())?;
    let mut parsed = settings_from_text_chunks(&text.chunks).map_err(|error| match error {
        MetadataError::NoGenerationMetadata { .. } => MetadataError::NoGenerationMetadata { path: path.to_path_buf() },
        other => other,
    })?;
    for skipped in &text.skipped {
        parsed.warnings.push(format!("a {} chunk was skipped: {}", skipped.describe(), skipped.problem));
    }
    if !text.complete {
        parsed.warnings.push("the file ends early (incomplete download?); its settings were read anyway".to_string());
    }
    Ok(parsed)
}

type Reader = fn(&str) -> Result<ParsedSettings>;

/// Picks and reads the best settings chunk among a PNG's text chunks.
pub fn settings_from_text_chunks(chunks: &[TextChunk]) -> Result<ParsedSettings> {
    let readers: [(&str, Reader); 4] = [
        (NURIE_KEYWORD, settings_from_nurie_json),
        (A1111_KEYWORD, |text| Ok(settings_from_infotext(text))),
        (COMFYUI_KEYWORD, settings_from_comfyui_prompt),
        (INVOKEAI_KEYWORD, settings_from_invokeai_metadata),
    ];
    let mut earlier_failures = Vec::new();
    let mut last_error = None;
    for (keyword, read) in readers {
        let Some(chunk) = chunks.iter().find(|chunk| chunk.keyword == keyword) else { continue };
        match read(&chunk.text) {
            Ok(mut parsed) => {
                let lossy =
                    chunk.lossy.then(|| format!("the `{keyword}` chunk is not valid UTF-8; damaged characters were replaced"));
                let mut warnings = earlier_failures;
                warnings.extend(lossy);
                warnings.append(&mut parsed.warnings);
                parsed.warnings = warnings;
                return Ok(parsed);
            }
            Err(error) => {
                earlier_failures.push(format!("{error}; trying the next metadata chunk"));
                last_error = Some(error);
            }
        }
    }
    Err(last_error.unwrap_or(MetadataError::NoGenerationMetadata { path: "<image>".into() }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::GenerationRecord;
    use crate::metadata::infotext_write::infotext;
    use crate::metadata::nurie_json::to_nurie_json;
    use crate::metadata::parsed_settings::SettingsSource;
    use crate::metadata::png_read::TextChunkKind;
    use crate::vocabulary::SamplerKind;

    fn chunk(keyword: &str, text: &str) -> TextChunk {
        TextChunk { keyword: keyword.into(), text: text.into(), kind: TextChunkKind::Text, compressed: false, lossy: false }
    }

    #[test]
    fn nurie_chunk_wins_over_parameters() {
        let mut record = GenerationRecord::default();
        record.settings.prompt = "from nurie".into();
        let chunks = [
            chunk("parameters", "from a1111\nSteps: 5, Sampler: Euler, CFG scale: 3"),
            chunk("nurie", &to_nurie_json(&record).unwrap()),
        ];
        let parsed = settings_from_text_chunks(&chunks).unwrap();
        assert_eq!(parsed.source, SettingsSource::Nurie);
        assert_eq!(parsed.record.settings.prompt, "from nurie");
    }

    #[test]
    fn broken_nurie_chunk_falls_back_to_parameters_with_a_warning() {
        let mut record = GenerationRecord::default();
        (record.settings.prompt, record.settings.sampler) = ("cat".into(), SamplerKind::Euler.into());
        let chunks = [chunk("nurie", "{broken"), chunk("parameters", &infotext(&record))];
        let parsed = settings_from_text_chunks(&chunks).unwrap();
        assert_eq!(parsed.source, SettingsSource::A1111);
        assert_eq!(parsed.record.settings.prompt, "cat");
        assert!(parsed.warnings[0].contains("nurie"), "{:?}", parsed.warnings);
    }

    #[test]
    fn no_known_chunk_is_an_error_and_all_broken_gives_the_last_error() {
        assert!(matches!(settings_from_text_chunks(&[chunk("Software", "x")]), Err(MetadataError::NoGenerationMetadata { .. })));
        let broken = [chunk("nurie", "]"), chunk("prompt", "nope")];
        assert!(matches!(settings_from_text_chunks(&broken), Err(MetadataError::BadComfyUiPrompt { .. })));
    }

    #[test]
    fn lossy_chunks_are_reported() {
        let mut parameters = chunk("parameters", "caf\u{fffd}\nSteps: 5, Sampler: Euler, CFG scale: 3");
        parameters.lossy = true;
        let parsed = settings_from_text_chunks(&[parameters]).unwrap();
        assert!(parsed.warnings.iter().any(|w| w.contains("not valid UTF-8")));
    }
}
