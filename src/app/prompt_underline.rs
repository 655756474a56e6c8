//! The parts of a prompt a note under it is about — the `<lora:…>` tag of a LoRA that is in no folder,
//! a tag Nurie cannot read, an `embedding:NAME` that names no embedding — underlined in the editor in
//! the warning color, so the user sees where, not only what.

use std::ops::Range;

use egui::text::{LayoutJob, TextFormat};

use super::prompt_notes::PromptNote;
use crate::prompt::extra_networks::{NetworkKind, parse_prompt};

/// Byte ranges of `text` that `notes` are about. Tags count in the positive prompt only (A1111 leaves
/// those of the negative prompt as text).
pub fn flagged_spans(text: &str, notes: &[PromptNote], positive: bool) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    if positive {
        for tag in parse_prompt(text).tags.into_iter().filter(|tag| tag.network_kind() == NetworkKind::Lora) {
            let flagged = match tag.lora_weights() {
                Ok(weights) => {
                    notes.iter().any(|note| matches!(note, PromptNote::LoraMissing { name, .. } if *name == weights.name))
                }
                Err(_) => {
                    notes.iter().any(|note| matches!(note, PromptNote::TagUnreadable { tag: t } if *t == text[tag.span.clone()]))
                }
            };
            if flagged {
                spans.push(tag.span);
            }
        }
    }
    for note in notes {
        if let PromptNote::EmbeddingMissing { name, .. } = note {
            let word = format!("embedding:{name}");
            spans.extend(text.match_indices(&word).map(|(start, _)| start..start + word.len()));
        }
    }
    spans.sort_by_key(|span| span.start);
    spans
}

/// `text` laid out as the editor lays it out, with `spans` underlined in `warn`.
pub fn underlined_job(
    text: &str,
    spans: &[Range<usize>],
    font: &egui::FontId,
    color: egui::Color32,
    warn: egui::Color32,
) -> LayoutJob {
    let plain = TextFormat { font_id: font.clone(), color, ..TextFormat::default() };
    let flagged = TextFormat { underline: egui::Stroke::new(1.5, warn), ..plain.clone() };
    let mut job = LayoutJob::default();
    let mut at = 0;
    for span in spans {
        if span.start < at || span.end > text.len() {
            continue;
        }
        job.append(&text[at..span.start], 0.0, plain.clone());
        job.append(&text[span.clone()], 0.0, flagged.clone());
        at = span.end;
    }
    job.append(&text[at..], 0.0, plain);
    job.keep_trailing_whitespace = true;
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_loras_unreadable_tags_and_embeddings_are_flagged_where_they_are() {
        let notes = [
            PromptNote::LoraMissing { name: "ink".into(), folders: vec![] },
            PromptNote::TagUnreadable { tag: "<lora:a:b>".into() },
            PromptNote::EmbeddingMissing { name: "bad".into(), folders: vec![] },
        ];
        let text = "1girl <lora:flat:1> <lora:ink:0.5> <lora:a:b> embedding:bad";
        let flagged: Vec<&str> = flagged_spans(text, &notes, true).into_iter().map(|span| &text[span]).collect();
        assert_eq!(flagged, ["<lora:ink:0.5>", "<lora:a:b>", "embedding:bad"]);
        let negative: Vec<&str> = flagged_spans(text, &notes, false).into_iter().map(|span| &text[span]).collect();
        assert_eq!(negative, ["embedding:bad"], "tags are text in the negative prompt");
    }

    #[test]
    fn the_job_keeps_every_character_once() {
        let text = "日本語 <lora:ink:1> end";
        let span = text.find('<').unwrap()..text.find('>').unwrap() + 1;
        let job =
            underlined_job(text, std::slice::from_ref(&span), &egui::FontId::default(), egui::Color32::WHITE, egui::Color32::RED);
        assert_eq!(job.text, text);
        assert_eq!(job.sections.len(), 3);
        assert!(job.sections[1].format.underline.width > 0.0 && job.sections[0].format.underline.width == 0.0);
    }
}
