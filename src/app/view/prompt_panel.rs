//! Prompt and negative prompt: multi-line, any script, with the token count per 75-token chunk as the
//! user types and A1111's Ctrl+↑/↓ on a selection (emphasis) or in a `<lora:…>` tag (its weight).
//! "Read settings" (A1111's ↙ button) reads the settings of an infotext pasted into the prompt box; it
//! stands out when the prompt box holds one. Beside it: the LoRA and embedding browser's switch and
//! A1111's saved styles. Under the prompt: what it names that Nurie cannot find or does not do.

use std::ops::Range;

use crate::app::emphasis::adjust_weight;
use crate::app::nurie_app::{NurieApp, looks_like_infotext};
use crate::app::prompt_insert::{insert_at, remove_lora_tags};
use crate::app::prompt_underline::{flagged_spans, underlined_job};
use crate::app::tag_weight::{STEP, adjust_tag_weight};
use crate::app::token_count::TokenCounter;
use crate::prompt::extra_networks::parse_prompt;

/// The editor of the prompt (`negative`: of the negative prompt), where the browser's cards insert.
pub fn editor_id(negative: bool) -> egui::Id {
    egui::Id::unique(if negative { "negative-prompt-editor" } else { "prompt-editor" })
}

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    let label = heading_row(app, ui);
    let (prompt, negative) = (&app.settings.form.settings.prompt, &app.settings.form.settings.negative_prompt);
    let notes = app.prompt_notes.of(prompt, negative, app.networks.listing(), app.networks.generation).to_vec();
    let prompt = &mut app.settings.form.settings.prompt;
    prompt_editor(ui, editor_id(false), prompt, 5, label.id, &flagged_spans(prompt, &notes, true));
    // Counted as generated: without the extra-network tags, which A1111 takes out of the prompt.
    token_line(ui, &mut app.token_counter, &parse_prompt(prompt).text, texts.tokens);
    let warn = ui.visuals().warn_fg_color;
    for note in &notes {
        ui.small(egui::RichText::new(note.text(texts)).color(warn));
    }
    let label = ui.label(texts.negative_prompt).on_hover_text(texts.negative_prompt_hover);
    let negative = &mut app.settings.form.settings.negative_prompt;
    let flagged = flagged_spans(negative, &notes, false);
    prompt_editor(ui, editor_id(true), negative, 3, label.id, &flagged);
    token_line(ui, &mut app.token_counter, negative, texts.tokens);
    ui.small(texts.emphasis_hint);
}

/// "Prompt", ↙, the browser's switch and the Styles menu; the heading names the prompt's editor.
fn heading_row(app: &mut NurieApp, ui: &mut egui::Ui) -> egui::Response {
    let texts = app.texts();
    let (label, read) = ui
        .horizontal_wrapped(|ui| {
            let label = ui.heading(texts.prompt).on_hover_text(texts.prompt_hover);
            let pasted_settings = looks_like_infotext(&app.settings.form.settings.prompt);
            let text = if pasted_settings { texts.read_settings_pasted } else { texts.read_settings };
            let button = egui::Button::new(text).selected(pasted_settings);
            let read = ui.add(button).on_hover_text(texts.read_settings_hover).clicked();
            let open = &mut app.settings.layout.networks_open;
            ui.toggle_value(open, texts.networks.browser).on_hover_text(texts.networks.browser_hover);
            super::style_menu::show(app, ui);
            (label, read)
        })
        .inner;
    if read {
        app.read_settings_from_prompt();
    }
    label
}

/// A multi-line editor; Ctrl+↑/↓ changes the weight of a `<lora:…>` tag around the cursor, else of the
/// selected words (A1111's behaviour). `flagged` parts (what a note is about) are underlined.
fn prompt_editor(ui: &mut egui::Ui, id: egui::Id, text: &mut String, rows: usize, label: egui::Id, flagged: &[Range<usize>]) {
    if ui.memory(|memory| memory.has_focus(id)) {
        step_weight(ui, id, text);
    }
    let font = egui::TextStyle::Body.resolve(ui.style());
    let (color, warn) = (ui.visuals().widgets.inactive.text_color(), ui.visuals().warn_fg_color);
    let line_height = ui.fonts_mut(|fonts| fonts.row_height(&font)) + ui.spacing().extra_text_line_spacing;
    let mut layouter = |ui: &egui::Ui, buffer: &dyn egui::TextBuffer, wrap_width: f32| {
        let mut job = underlined_job(buffer.as_str(), flagged, &font, color, warn);
        job.wrap.max_width = wrap_width;
        job.sections.iter_mut().for_each(|section| section.format.line_height = Some(line_height));
        ui.fonts_mut(|fonts| fonts.layout_job(job))
    };
    let editor = egui::TextEdit::multiline(text).id(id).desired_rows(rows).desired_width(f32::INFINITY);
    let editor = if flagged.is_empty() { editor } else { editor.layouter(&mut layouter) };
    let output = editor.show(ui);
    let _ = output.response.response.labelled_by(label);
}

/// Ctrl+↑/↓ in the focused editor `id`, taken before the editor sees them (it would move the cursor to
/// the start or the end of the text).
fn step_weight(ui: &mut egui::Ui, id: egui::Id, text: &mut String) {
    let delta = ui.input_mut(|input| {
        if input.consume_key(egui::Modifiers::COMMAND, egui::Key::ArrowUp) {
            Some(1.0)
        } else if input.consume_key(egui::Modifiers::COMMAND, egui::Key::ArrowDown) {
            Some(-1.0)
        } else {
            None
        }
    });
    let Some(delta) = delta else { return };
    let Some(mut state) = egui::TextEdit::load_state(ui.ctx(), id) else { return };
    let Some(range) = state.cursor.char_range() else { return };
    let chars = range.as_sorted_char_range();
    let selection = chars.start.0..chars.end.0;
    let changed =
        adjust_tag_weight(text, selection.clone(), delta * STEP).or_else(|| adjust_weight(text, selection, delta * 0.1));
    if let Some((new_text, selection)) = changed {
        *text = new_text;
        let (start, end) = (egui::text::CCursor::new(selection.start), egui::text::CCursor::new(selection.end));
        state.cursor.set_char_range(Some(egui::text::CCursorRange::two(start, end)));
        state.store(ui.ctx(), id);
    }
}

/// A card of the browser was clicked: its LoRA tag (or embedding name) goes where the cursor of the
/// prompt (`negative`: of the negative prompt) was, and the editor takes the focus back; a LoRA whose
/// tag is there already is taken out instead, as A1111's cards do.
pub fn insert_network(app: &mut NurieApp, ctx: &egui::Context, negative: bool, snippet: &str, lora: Option<&str>) {
    let form = &mut app.settings.form.settings;
    let text = if negative { &mut form.negative_prompt } else { &mut form.prompt };
    let id = editor_id(negative);
    let mut state = egui::TextEdit::load_state(ctx, id).unwrap_or_default();
    let cursor = match lora.and_then(|name| remove_lora_tags(text, name)) {
        Some(removed) => {
            *text = removed;
            text.chars().count()
        }
        None => {
            let at = state.cursor.char_range().map_or(usize::MAX, |range| range.primary.index.0);
            let (inserted, cursor) = insert_at(text, at, snippet);
            *text = inserted;
            cursor
        }
    };
    state.cursor.set_char_range(Some(egui::text::CCursorRange::one(egui::text::CCursor::new(cursor))));
    state.store(ctx, id);
    ctx.memory_mut(|memory| memory.request_focus(id));
}

fn token_line(ui: &mut egui::Ui, counter: &mut TokenCounter, text: &str, tokens: &str) {
    let counts = counter.count(text);
    let shown: Vec<String> = counts.iter().map(|n| format!("{n}/75")).collect();
    ui.small(format!("{}: {}", tokens, shown.join(" · ")));
}
