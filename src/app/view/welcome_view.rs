//! The first-run screen: which models Nurie found on this computer (per tool), a button to add a
//! folder, what to get for line-art coloring with the license notes (Nurie downloads nothing), and
//! what the pictures will be computed on. "Start coloring" leaves it; the model bar brings it back.

use crate::app::file_picker::Purpose;
use crate::app::i18n::Texts;
use crate::app::nurie_app::NurieApp;
use crate::model_library::{FoundModel, ModelKind, Source};

use super::model_combo::file_name;

/// Widest the text runs, so the paragraphs stay readable on a large window.
const TEXT_WIDTH: f32 = 760.0;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            ui.set_max_width(TEXT_WIDTH);
            ui.add_space(8.0);
            ui.heading(texts.welcome_title);
            ui.label(texts.welcome_intro);
            ui.add_space(12.0);
            found_models(app, ui, texts);
            ui.add_space(12.0);
            what_to_get(ui, texts);
            ui.add_space(12.0);
            device(app, ui, texts);
            ui.add_space(16.0);
            if ui.button(egui::RichText::new(texts.welcome_start).heading()).clicked() {
                app.finish_welcome();
            }
        });
    });
}

fn found_models(app: &mut NurieApp, ui: &mut egui::Ui, texts: &Texts) {
    ui.strong(texts.welcome_found_heading);
    ui.label(egui::RichText::new(texts.welcome_found_where).small());
    if app.models.is_scanning() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(texts.searching_models);
        });
    } else if app.models.found().is_empty() {
        ui.label(texts.welcome_found_none);
    }
    for source in [Source::A1111, Source::Forge, Source::ComfyUI, Source::InvokeAI, Source::Downloads, Source::AddedFolder] {
        let models: Vec<&FoundModel> = app.models.found().iter().filter(|m| m.source == source).collect();
        if !models.is_empty() {
            ui.label(format!("• {}: {}", source_label(source, texts), counts(&models, texts)));
        }
    }
    let mut removed = None;
    for (index, folder) in app.settings.model_folders.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.label(format!("📁 {}", folder.display()));
            if ui.small_button(texts.remove_folder).clicked() {
                removed = Some(index);
            }
        });
    }
    if let Some(index) = removed {
        app.remove_model_folder(index);
    }
    if ui.button(texts.add_model_folder).clicked() {
        app.pick(Purpose::ModelFolder, None);
    }
    match app.settings.checkpoint.as_deref() {
        Some(checkpoint) => ui.label(format!("● {} {}", texts.welcome_chosen_checkpoint, file_name(checkpoint))),
        None => ui.label(texts.welcome_choose_checkpoint),
    };
}

fn source_label(source: Source, texts: &Texts) -> &'static str {
    match source {
        Source::AddedFolder => texts.model_folders,
        Source::Downloads => texts.welcome_downloads,
        other => other.label(),
    }
}

/// "2 checkpoints · 3 ControlNets (2 line art) · 1 VAE", leaving out kinds with none.
fn counts(models: &[&FoundModel], texts: &Texts) -> String {
    let of = |kind| models.iter().filter(|m| m.kind == kind).count();
    let line_art = models.iter().filter(|m| m.kind == ModelKind::ControlNet && m.line_art.is_some()).count();
    (texts.found_counts)(of(ModelKind::Checkpoint), of(ModelKind::ControlNet), line_art, of(ModelKind::Vae))
}

fn what_to_get(ui: &mut egui::Ui, texts: &Texts) {
    ui.strong(texts.welcome_needs_heading);
    for (number, need) in
        [texts.welcome_need_checkpoint, texts.welcome_need_controlnet, texts.welcome_need_vae].iter().enumerate()
    {
        ui.label(format!("{}. {need}", number + 1));
    }
    ui.label(texts.welcome_need_where);
}

fn device(app: &NurieApp, ui: &mut egui::Ui, texts: &Texts) {
    ui.strong(texts.welcome_device_heading);
    match &app.device {
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(texts.welcome_device_checking);
            });
        }
        Some(report) if report.is_gpu => {
            ui.label(format!("● {} {}", texts.welcome_device_gpu, (texts.device_is)(&report.summary)));
        }
        Some(report) => {
            ui.colored_label(ui.visuals().warn_fg_color, texts.no_gpu_notice);
            let detail = match &report.fallback {
                Some(reason) => (texts.fallback_reason)(reason),
                None => (texts.device_is)(&report.summary),
            };
            ui.label(egui::RichText::new(detail).small());
        }
    }
}
