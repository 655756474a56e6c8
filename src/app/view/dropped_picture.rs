//! The question a dropped picture with generation settings asks (A1111's PNG Info): use its settings,
//! use it as line art, or both.

use crate::app::nurie_app::NurieApp;
use crate::provenance::hash::file_name;

pub fn question(app: &mut NurieApp, ctx: &egui::Context) {
    let Some(dropped) = &app.dropped_picture else { return };
    let texts = app.texts();
    let tool = dropped.settings.source.tool_name();
    let intro = (texts.dropped_picture_has_settings)(&file_name(&dropped.path), tool);
    let prompt = dropped.settings.record.settings.prompt.clone();
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique("dropped-picture")).show(ctx, |ui| {
        ui.set_max_width(520.0);
        ui.heading(texts.dropped_picture_title);
        ui.label(intro);
        if !prompt.is_empty() {
            let shown: String = prompt.chars().take(200).collect();
            ui.label(egui::RichText::new(shown).italics());
        }
        ui.horizontal(|ui| {
            if ui.button(texts.use_its_settings).clicked() {
                answer = Some((true, false));
            }
            if ui.button(texts.use_as_line_art).clicked() {
                answer = Some((false, true));
            }
            if ui.button(texts.cancel).clicked() {
                answer = Some((false, false));
            }
        });
    });
    if modal.should_close() && answer.is_none() {
        answer = Some((false, false));
    }
    if let Some((use_settings, as_line_art)) = answer {
        app.answer_dropped_picture(use_settings, as_line_art);
    }
}
