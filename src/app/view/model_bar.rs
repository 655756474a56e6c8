//! The top bar: checkpoint and VAE pickers (recent files and a file dialog), device, precision, the
//! loading state, and the menu with language and output folder.

use std::path::{Path, PathBuf};

use crate::app::file_picker::Purpose;
use crate::app::i18n::Language;
use crate::app::nurie_app::{ModelStatus, NurieApp};
use crate::runtime::{DeviceChoice, Precision};

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new("ぬりえ Nurie").strong());
        ui.separator();
        ui.label(texts.checkpoint);
        let current = app.settings.checkpoint.clone();
        let recent = app.settings.recent.checkpoints.clone();
        if let Some(path) = file_combo(ui, "checkpoint", current.as_deref(), &recent, texts.no_model) {
            app.choose_checkpoint(&path);
        }
        if ui.button(texts.browse).on_hover_text(texts.checkpoint).clicked() {
            app.pick(Purpose::Checkpoint, None);
        }
        ui.separator();
        ui.label(texts.vae);
        vae_combo(app, ui);
        ui.separator();
        device_controls(app, ui);
        ui.separator();
        status(app, ui);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| menu(app, ui));
    });
}

/// A combo box of `files` showing `current`; returns the newly chosen file.
pub fn file_combo(ui: &mut egui::Ui, id: &str, current: Option<&Path>, files: &[PathBuf], empty: &str) -> Option<PathBuf> {
    let mut chosen = None;
    let shown = current.map_or_else(|| empty.to_string(), file_name);
    egui::ComboBox::from_id_salt(id).selected_text(shown).width(220.0).show_ui(ui, |ui| {
        for file in files {
            let response = ui.selectable_label(current == Some(file.as_path()), file_name(file)).on_hover_text(file.display().to_string());
            if response.clicked() {
                chosen = Some(file.clone());
            }
        }
    });
    chosen
}

pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn vae_combo(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    let current = app.settings.vae.clone();
    let shown = current.as_deref().map_or_else(|| texts.vae_from_checkpoint.to_string(), file_name);
    let mut chosen: Option<Option<PathBuf>> = None;
    egui::ComboBox::from_id_salt("vae").selected_text(shown).width(160.0).show_ui(ui, |ui| {
        if ui.selectable_label(current.is_none(), texts.vae_from_checkpoint).clicked() {
            chosen = Some(None);
        }
        for file in &app.settings.recent.vaes {
            if ui.selectable_label(current.as_ref() == Some(file), file_name(file)).clicked() {
                chosen = Some(Some(file.clone()));
            }
        }
    });
    if let Some(choice) = chosen {
        app.choose_vae(choice.as_deref());
    }
    if ui.button(texts.browse).on_hover_text(texts.vae).clicked() {
        app.pick(Purpose::Vae, None);
    }
}

fn device_controls(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    let (device, precision) = (app.settings.device, app.settings.precision);
    ui.label(texts.device);
    egui::ComboBox::from_id_salt("device").selected_text(device_name(device)).show_ui(ui, |ui| {
        for choice in [DeviceChoice::Auto, DeviceChoice::Gpu, DeviceChoice::Cpu] {
            ui.selectable_value(&mut app.settings.device, choice, device_name(choice));
        }
    });
    ui.label(texts.precision);
    egui::ComboBox::from_id_salt("precision").selected_text(precision_name(precision)).show_ui(ui, |ui| {
        for choice in [Precision::F32, Precision::F16] {
            ui.selectable_value(&mut app.settings.precision, choice, precision_name(choice));
        }
    });
    if (device, precision) != (app.settings.device, app.settings.precision) {
        app.preload();
    }
}

fn device_name(device: DeviceChoice) -> &'static str {
    match device {
        DeviceChoice::Auto => "Auto",
        DeviceChoice::Gpu => "GPU",
        DeviceChoice::Cpu => "CPU",
    }
}

fn precision_name(precision: Precision) -> &'static str {
    match precision {
        Precision::F32 => "f32",
        Precision::F16 => "f16",
    }
}

fn status(app: &NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    match &app.model_status {
        ModelStatus::NotLoaded => {}
        ModelStatus::Loading(part) => {
            ui.spinner();
            ui.label(format!("{} {part}…", texts.model_loading));
        }
        ModelStatus::Ready { device } => {
            ui.label(format!("● {} {device}", texts.model_ready));
        }
        ModelStatus::Failed => {
            ui.colored_label(ui.visuals().error_fg_color, "×");
        }
    }
}

fn menu(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.menu_button("≡", |ui| {
        ui.label(texts.language);
        let mut language = app.settings.language;
        ui.radio_value(&mut language, None, texts.follow_system);
        for choice in Language::ALL {
            ui.radio_value(&mut language, Some(choice), choice.native_name());
        }
        app.settings.language = language;
        ui.separator();
        ui.label(format!("{}: {}", texts.output_folder, app.output_folder().display()));
        if ui.button(texts.browse).clicked() {
            app.pick(Purpose::OutputFolder, None);
        }
        if ui.button(texts.open_folder).clicked() {
            let _ = opener::open(app.output_folder());
        }
    });
}
