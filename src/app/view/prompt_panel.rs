//! Prompt and negative prompt: multi-line, any script, with the token count per 75-token chunk as the
//! user types and A1111's Ctrl+↑/↓ emphasis on a selection. "Read settings" (A1111's ↙ button) reads the
//! settings of an infotext pasted into the prompt box; it stands out when the prompt box holds one.

use crate::app::emphasis::adjust_weight;
use crate::app::i18n::Texts;
use crate::app::nurie_app::{NurieApp, looks_like_infotext};
use crate::app::token_count::TokenCounter;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    let (label, read) = ui
        .horizontal(|ui| {
            let label = ui.heading(texts.prompt).on_hover_text(texts.prompt_hover);
            let pasted_settings = looks_like_infotext(&app.settings.form.settings.prompt);
            let text = if pasted_settings { texts.read_settings_pasted } else { texts.read_settings };
            let button = egui::Button::new(text).selected(pasted_settings);
            (label, ui.add(button).on_hover_text(texts.read_settings_hover).clicked())
        })
        .inner;
    if read {
        app.read_settings_from_prompt();
    }
    let prompt = &mut app.settings.form.settings.prompt;
    prompt_editor(ui, "prompt", prompt, 5, label.id);
    token_line(ui, &mut app.token_counter, prompt, texts.tokens);
    prompt_notes(ui, prompt, texts);
    let label = ui.label(texts.negative_prompt).on_hover_text(texts.negative_prompt_hover);
    let negative = &mut app.settings.form.settings.negative_prompt;
    prompt_editor(ui, "negative-prompt", negative, 3, label.id);
    token_line(ui, &mut app.token_counter, negative, texts.tokens);
    ui.small(texts.emphasis_hint);
}

/// A multi-line editor; Ctrl+↑/↓ changes the weight of the selected words (A1111's behaviour).
fn prompt_editor(ui: &mut egui::Ui, id: &str, text: &mut String, rows: usize, label: egui::Id) {
    let output = egui::TextEdit::multiline(text).id_salt(id).desired_rows(rows).desired_width(f32::INFINITY).show(ui);
    let _ = output.response.response.clone().labelled_by(label);
    if !output.response.has_focus() {
        return;
    }
    let delta = ui.input_mut(|input| {
        if input.consume_key(egui::Modifiers::COMMAND, egui::Key::ArrowUp) {
            Some(0.1)
        } else if input.consume_key(egui::Modifiers::COMMAND, egui::Key::ArrowDown) {
            Some(-0.1)
        } else {
            None
        }
    });
    let (Some(delta), Some(range)) = (delta, output.cursor_range) else { return };
    let chars = range.as_sorted_char_range();
    if let Some((new_text, selection)) = adjust_weight(text, chars.start.0..chars.end.0, delta) {
        *text = new_text;
        let mut state = output.state;
        let (start, end) = (egui::text::CCursor::new(selection.start), egui::text::CCursor::new(selection.end));
        state.cursor.set_char_range(Some(egui::text::CCursorRange::two(start, end)));
        state.store(ui.ctx(), output.response.id);
    }
}

/// What the prompt asks that Nurie does not do yet, said where the user types it.
fn prompt_notes(ui: &mut egui::Ui, prompt: &str, texts: &Texts) {
    if prompt.len() > crate::generate::MAX_PROMPT_CHARS {
        return;
    }
    let warn = ui.visuals().warn_fg_color;
    if !crate::prompt::extra_networks::parse_prompt(prompt).tags.is_empty() {
        ui.small(egui::RichText::new(texts.networks_not_applied).color(warn));
    }
    if crate::prompt::composable::uses_and(prompt) {
        ui.small(egui::RichText::new(texts.and_not_supported).color(warn));
    }
}

fn token_line(ui: &mut egui::Ui, counter: &mut TokenCounter, text: &str, tokens: &str) {
    let counts = counter.count(text);
    let shown: Vec<String> = counts.iter().map(|n| format!("{n}/75")).collect();
    ui.small(format!("{}: {}", tokens, shown.join(" · ")));
}
