//! The layered export in the status bar: a spinner while files are written, then where the last one
//! went, with "Show in folder" (failures are notices, naming the picture).

use crate::app::nurie_app::NurieApp;

/// The export thread at work, then where the last file went, with "Show in folder".
pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    if let Some(writing) = app.exporter.waiting().first() {
        ui.spinner();
        ui.label((texts.exporting)(&crate::provenance::hash::file_name(writing)));
        return;
    }
    let Some(written) = app.last_export.clone() else { return };
    ui.label((texts.layers_written)(&written.display().to_string()));
    if ui.small_button(texts.reveal).clicked() {
        app.reveal(&written);
    }
    if ui.small_button("×").on_hover_text(texts.dismiss).clicked() {
        app.last_export = None;
    }
    ui.separator();
}
