//! The top bar: checkpoint and VAE pickers (recent files and a file dialog), device, precision, the
//! loading state, and the menu with language and output folder.

use std::path::{Path, PathBuf};

use super::model_combo::{ComboChoice, ModelCombo};
use crate::app::file_picker::Purpose;
use crate::app::i18n::Language;
use crate::app::nurie_app::{Mode, ModelStatus, NurieApp};
use crate::model_library::ModelKind;
use crate::runtime::{DeviceChoice, Precision};

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new("ぬりえ Nurie").strong());
        ui.selectable_value(&mut app.mode, Mode::Workspace, texts.workspace);
        ui.selectable_value(&mut app.mode, Mode::History, texts.history);
        ui.selectable_value(&mut app.mode, Mode::Model, texts.model_tab);
        ui.selectable_value(&mut app.mode, Mode::Welcome, texts.welcome_tab);
        ui.separator();
        let label = ui.label(texts.checkpoint);
        let combo = ModelCombo {
            label: Some(label.id),
            ..models_of(app, ModelKind::Checkpoint, app.settings.checkpoint.as_deref(), &app.settings.recent.checkpoints)
        };
        let checkpoint = combo.show(ui, texts);
        match checkpoint {
            Some(ComboChoice::Model(Some(path))) => app.choose_checkpoint(&path),
            Some(ComboChoice::AddFolder) => app.pick(Purpose::ModelFolder, None),
            _ => {}
        }
        if ui.button(texts.browse).on_hover_text(texts.checkpoint).clicked() {
            app.pick(Purpose::Checkpoint, None);
        }
        ui.separator();
        let label = ui.label(texts.vae);
        vae_combo(app, ui, label.id);
        ui.separator();
        device_controls(app, ui);
        ui.separator();
        status(app, ui);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| menu(app, ui));
    });
}

/// The picker for models of `kind`: `current`, the `recent` files and the found ones.
pub fn models_of<'a>(app: &'a NurieApp, kind: ModelKind, current: Option<&'a Path>, recent: &'a [PathBuf]) -> ModelCombo<'a> {
    let texts = app.texts();
    let id = match kind {
        ModelKind::Vae => "vae",
        ModelKind::ControlNet => "controlnet",
        _ => "checkpoint",
    };
    ModelCombo {
        id,
        current,
        recent,
        found: app.models.of_kind(kind),
        empty: texts.no_model,
        none_entry: false,
        searching: app.models.is_scanning(),
        width: 220.0,
        label: None,
    }
}

fn vae_combo(app: &mut NurieApp, ui: &mut egui::Ui, label: egui::Id) {
    let texts = app.texts();
    let combo = ModelCombo {
        label: Some(label),
        empty: texts.vae_from_checkpoint,
        none_entry: true,
        width: 160.0,
        ..models_of(app, ModelKind::Vae, app.settings.vae.as_deref(), &app.settings.recent.vaes)
    };
    match combo.show(ui, texts) {
        Some(ComboChoice::Model(choice)) => app.choose_vae(choice.as_deref()),
        Some(ComboChoice::AddFolder) => app.pick(Purpose::ModelFolder, None),
        None => {}
    }
    if ui.button(texts.browse).on_hover_text(texts.vae).clicked() {
        app.pick(Purpose::Vae, None);
    }
}

fn device_controls(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    let (device, precision) = (app.settings.device, app.settings.precision);
    let label = ui.label(texts.device);
    egui::ComboBox::from_id_salt("device")
        .selected_text(device_name(device))
        .show_ui(ui, |ui| {
            for choice in [DeviceChoice::Auto, DeviceChoice::Gpu, DeviceChoice::Cpu] {
                ui.selectable_value(&mut app.settings.device, choice, device_name(choice));
            }
        })
        .response
        .labelled_by(label.id);
    let label = ui.label(texts.precision);
    egui::ComboBox::from_id_salt("precision")
        .selected_text(precision_name(precision))
        .show_ui(ui, |ui| {
            for choice in [Precision::Auto, Precision::F32, Precision::F16] {
                ui.selectable_value(&mut app.settings.precision, choice, precision_name(choice));
            }
        })
        .response
        .on_hover_text(texts.precision_auto)
        .labelled_by(label.id);
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
        Precision::Auto => "Auto",
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
            ui.label((texts.loading_part)(part));
        }
        ModelStatus::Ready { device, precision } => {
            ui.label(format!("{} · {precision}", (texts.ready_on)(&(texts.device_is)(device))));
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
        ui.label((texts.output_folder_is)(&app.output_folder().display().to_string()));
        if ui.button(texts.browse).clicked() {
            app.pick(Purpose::OutputFolder, None);
        }
        if ui.button(texts.open_output_folder).clicked() {
            let _ = opener::open(app.output_folder());
        }
        ui.separator();
        model_folders(app, ui);
        ui.separator();
        super::network_folders::show(app, ui);
        ui.separator();
        super::export_menu::show(app, ui);
    });
}

/// The folders the user added to the model search, each removable, and a button to add one.
fn model_folders(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.label(texts.model_folders);
    let mut removed = None;
    for (index, folder) in app.settings.model_folders.iter().enumerate() {
        ui.horizontal(|ui| {
            if ui.small_button("×").on_hover_text(texts.remove_folder).clicked() {
                removed = Some(index);
            }
            ui.label(folder.display().to_string());
        });
    }
    if let Some(index) = removed {
        app.remove_model_folder(index);
    }
    if ui.button(texts.add_model_folder).clicked() {
        app.pick(Purpose::ModelFolder, None);
    }
}
