//! The "Export layers…" window: format, 色トレス, flats and transparent background, then Export (beside
//! the picture) or Save as… (the system's save dialog). The writing happens on the export thread; its
//! progress and outcome show in the status bar ([`super::export_status`]).

use crate::app::nurie_app::NurieApp;
use crate::layered::LayeredFormat;

/// What the user chose in the window this frame.
enum Answer {
    Beside,
    Elsewhere,
    Cancel,
}

pub fn show(app: &mut NurieApp, ctx: &egui::Context) {
    let texts = app.texts();
    let choosing_elsewhere = app.picker.is_open();
    let Some(dialog) = app.export_dialog.as_mut() else { return };
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique("export-layers")).show(ctx, |ui| {
        ui.heading(texts.export_layers_title);
        ui.add_enabled_ui(!choosing_elsewhere, |ui| {
            ui.label(dialog.picture.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
            ui.radio_value(&mut dialog.format, LayeredFormat::Psd, texts.format_psd);
            ui.radio_value(&mut dialog.format, LayeredFormat::Ora, texts.format_ora);
            ui.separator();
            ui.checkbox(&mut dialog.options.color_trace, texts.color_trace);
            ui.checkbox(&mut dialog.options.flats, texts.flats_layer);
            ui.checkbox(&mut dialog.options.transparent, texts.transparent_background);
            ui.separator();
            let target = dialog.default_target();
            let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            ui.label((texts.export_beside)(&name));
            ui.horizontal(|ui| {
                if ui.button(texts.export).clicked() {
                    answer = Some(Answer::Beside);
                }
                if ui.button(texts.save_as).clicked() {
                    answer = Some(Answer::Elsewhere);
                }
                if ui.button(texts.cancel).clicked() {
                    answer = Some(Answer::Cancel);
                }
            });
        });
    });
    if modal.should_close() && answer.is_none() && !choosing_elsewhere {
        answer = Some(Answer::Cancel);
    }
    match answer {
        Some(Answer::Beside) => app.export_from_dialog(None),
        Some(Answer::Elsewhere) => app.choose_export_target(),
        Some(Answer::Cancel) => app.export_dialog = None,
        None => {}
    }
}
