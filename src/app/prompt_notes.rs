//! What the window says under the prompt about the networks and syntax it names: a `<lora:…>` whose
//! file is in none of the folders (with the folders looked in), a ComfyUI `embedding:NAME` likewise, a
//! tag A1111 would refuse, a tag kind Nurie does not apply (`hypernet`), and `AND`. Worked out again
//! only when a prompt or the browser's listing changes.

use std::path::PathBuf;

use super::i18n::Texts;
use super::network_browser::{Listing, folder_list};
use crate::prompt::comfy_embedding::{Segment, candidate_names, split_references};
use crate::prompt::extra_networks::{NetworkKind, parse_prompt};

/// One note, put into words in the window's language by [`PromptNote::text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptNote {
    LoraMissing { name: String, folders: Vec<PathBuf> },
    EmbeddingMissing { name: String, folders: Vec<PathBuf> },
    TagUnreadable { tag: String },
    TagNotSupported { kind: String },
    And,
}

impl PromptNote {
    pub fn text(&self, texts: &Texts) -> String {
        let words = texts.networks;
        match self {
            PromptNote::LoraMissing { name, folders } => (words.lora_missing)(name, &folder_list(folders, words.no_folder)),
            PromptNote::EmbeddingMissing { name, folders } => {
                (words.embedding_missing)(name, &folder_list(folders, words.no_folder))
            }
            PromptNote::TagUnreadable { tag } => (words.lora_tag_unreadable)(tag),
            PromptNote::TagNotSupported { kind } => (words.tag_not_supported)(kind),
            PromptNote::And => texts.and_not_supported.to_string(),
        }
    }
}

/// The notes of the latest prompts, kept until they or the listing change.
#[derive(Default)]
pub struct PromptNotes {
    seen: Option<(String, String, u64)>,
    notes: Vec<PromptNote>,
}

impl PromptNotes {
    /// The notes for `prompt` and `negative` against `listing` (number `generation`; `None` while the
    /// folders are being looked in, when no file is said to be missing).
    pub fn of(&mut self, prompt: &str, negative: &str, listing: Option<&Listing>, generation: u64) -> &[PromptNote] {
        let unchanged = self.seen.as_ref().is_some_and(|(p, n, g)| p == prompt && n == negative && *g == generation);
        if !unchanged {
            self.notes = notes(prompt, negative, listing);
            self.seen = Some((prompt.to_string(), negative.to_string(), generation));
        }
        &self.notes
    }
}

/// Every note, each once, in the order of the prompt. A prompt longer than any prompt can be is not
/// looked at (generating says it is too long).
pub fn notes(prompt: &str, negative: &str, listing: Option<&Listing>) -> Vec<PromptNote> {
    if prompt.len() > crate::generate::MAX_PROMPT_CHARS || negative.len() > crate::generate::MAX_PROMPT_CHARS {
        return Vec::new();
    }
    let mut notes = tag_notes(prompt, listing);
    if let Some(listing) = listing {
        notes.extend(embedding_notes(prompt, listing));
        notes.extend(embedding_notes(negative, listing));
    }
    if crate::prompt::composable::uses_and(prompt) {
        notes.push(PromptNote::And);
    }
    let mut unique = Vec::with_capacity(notes.len());
    for note in notes {
        if !unique.contains(&note) {
            unique.push(note);
        }
    }
    unique
}

/// The positive prompt's extra-network tags (A1111 leaves those of the negative prompt as text).
fn tag_notes(prompt: &str, listing: Option<&Listing>) -> Vec<PromptNote> {
    let mut notes = Vec::new();
    for tag in parse_prompt(prompt).tags {
        if tag.network_kind() != NetworkKind::Lora {
            notes.push(PromptNote::TagNotSupported { kind: tag.kind.clone() });
            continue;
        }
        match tag.lora_weights() {
            Err(_) => notes.push(PromptNote::TagUnreadable { tag: prompt[tag.span.clone()].to_string() }),
            Ok(weights) => {
                if let Some(listing) = listing.filter(|listing| !listing.has_lora(&weights.name)) {
                    notes.push(PromptNote::LoraMissing { name: weights.name, folders: listing.lora_folders.clone() });
                }
            }
        }
    }
    notes
}

/// ComfyUI's `embedding:NAME` words whose NAME is no embedding (A1111's plain-word embeddings cannot be
/// told from words, so they are not noted).
fn embedding_notes(text: &str, listing: &Listing) -> Vec<PromptNote> {
    split_references(text)
        .into_iter()
        .filter_map(|segment| match segment {
            Segment::Reference { name, .. } => Some(name),
            Segment::Text(_) => None,
        })
        .filter(|name| candidate_names(name).iter().all(|candidate| listing.embeddings.resolve_name(candidate).is_none()))
        .map(|name| PromptNote::EmbeddingMissing {
            name: candidate_names(name)[1].to_string(),
            folders: listing.embedding_folders.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::networks::lora::FoundLora;

    fn listing() -> Listing {
        let lora = FoundLora { name: "flat".into(), relative: "styles/flat".into(), path: "/l/styles/flat.safetensors".into() };
        Listing { lora_folders: vec!["/l".into()], loras: vec![lora], embedding_folders: vec!["/e".into()], ..Listing::default() }
    }

    #[test]
    fn a_missing_lora_is_named_with_the_folders_looked_in() {
        let notes = notes("1girl, <lora:FLAT:0.8>, <lora:Ink:1>, <lora:Ink:0.5>", "", Some(&listing()));
        assert_eq!(notes, [PromptNote::LoraMissing { name: "Ink".into(), folders: vec!["/l".into()] }]);
        let text = notes[0].text(crate::app::i18n::Language::English.texts());
        assert_eq!(text, "No LoRA named Ink in /l: generating will stop with this message");
        assert!(!notes[0].text(crate::app::i18n::Language::Japanese.texts()).contains("No LoRA"));
    }

    #[test]
    fn nothing_is_missing_while_the_folders_are_being_looked_in() {
        assert_eq!(notes("<lora:ink:1>", "", None), []);
    }

    #[test]
    fn hypernetworks_unreadable_tags_embeddings_and_and() {
        let notes =
            notes("<hypernet:x:1> <lora:a:b> a AND b embedding:missing, embedding:flat", "embedding:bad", Some(&listing()));
        assert_eq!(
            notes,
            [
                PromptNote::TagNotSupported { kind: "hypernet".into() },
                PromptNote::TagUnreadable { tag: "<lora:a:b>".into() },
                PromptNote::EmbeddingMissing { name: "missing".into(), folders: vec!["/e".into()] },
                PromptNote::EmbeddingMissing { name: "flat".into(), folders: vec!["/e".into()] },
                PromptNote::EmbeddingMissing { name: "bad".into(), folders: vec!["/e".into()] },
                PromptNote::And,
            ]
        );
        assert_eq!(self::notes("<lora:flat:0.8>", "", Some(&listing())), [], "LoRAs are applied: no note");
    }
}
