//! The layered-file settings in the ≡ menu: "always export" with its formats and options.

use crate::app::nurie_app::NurieApp;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    let export = &mut app.settings.export;
    ui.label(texts.layered_files);
    ui.checkbox(&mut export.always, texts.always_export);
    ui.add_enabled_ui(export.always, |ui| {
        ui.checkbox(&mut export.psd, texts.format_psd);
        ui.checkbox(&mut export.ora, texts.format_ora);
        ui.checkbox(&mut export.options.color_trace, texts.color_trace);
        ui.checkbox(&mut export.options.flats, texts.flats_layer);
        ui.checkbox(&mut export.options.transparent, texts.transparent_background);
    });
}
