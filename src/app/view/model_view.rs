//! The Model tab: what the chosen checkpoint is (identity, components, how it is stored, what the file
//! says about itself), what is known of its origin and license, and, against a base and references the
//! user picks, the evidence of what it was merged from, with the method explained.

use std::path::Path;

use crate::app::file_picker::Purpose;
use crate::app::i18n::Texts;
use crate::app::nurie_app::NurieApp;

use super::model_combo::{file_name, human_size};
use crate::provenance::composition::Composition;
use crate::provenance::{CommercialUse, LicenseSource, ModelReport};

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            let Some(checkpoint) = app.settings.checkpoint.clone() else {
                ui.label(texts.no_checkpoint_chosen);
                return;
            };
            ui.heading(file_name(&checkpoint));
            ui.small(checkpoint.display().to_string());
            match app.model_info.report(&checkpoint).cloned() {
                Some(report) => {
                    license_box(ui, texts, &report);
                    ui.separator();
                    identity(ui, texts, &report);
                    ui.separator();
                    summary(ui, texts, &report);
                }
                None => waiting(app, ui, texts, &checkpoint),
            }
            ui.separator();
            composition(app, ui, texts, &checkpoint);
        });
    });
}

fn waiting(app: &NurieApp, ui: &mut egui::Ui, texts: &Texts, checkpoint: &Path) {
    if let Some(problem) = app.model_info.failures.get(checkpoint) {
        ui.colored_label(ui.visuals().error_fg_color, problem);
        return;
    }
    match &app.model_info.hashing {
        Some((path, done, total)) if path == checkpoint => {
            let fraction = *done as f32 / (*total).max(1) as f32;
            ui.add(egui::ProgressBar::new(fraction).show_percentage().text(texts.hashing_file));
        }
        _ => {
            ui.spinner();
        }
    }
}

fn license_box(ui: &mut egui::Ui, texts: &Texts, report: &ModelReport) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        match report.license() {
            Some(license) => {
                let from = if license.from == LicenseSource::Registry { texts.from_registry } else { texts.from_file };
                ui.label(egui::RichText::new(format!("{}: {}", texts.license, license.name)).strong());
                ui.small(from);
                let (text, color) = match license.commercial_use {
                    CommercialUse::Allowed => (texts.commercial_allowed, egui::Color32::from_rgb(80, 170, 90)),
                    CommercialUse::NotAllowed => (texts.commercial_not_allowed, ui.visuals().error_fg_color),
                    CommercialUse::Unknown => (texts.commercial_unknown, ui.visuals().weak_text_color()),
                };
                ui.colored_label(color, text);
            }
            None => {
                ui.label(texts.license_unknown);
                ui.colored_label(ui.visuals().weak_text_color(), texts.commercial_unknown);
            }
        }
        match &report.known {
            Some((entry, _)) => {
                ui.label((texts.known_as_entry)(&entry.title, &entry.name, &entry.origin));
                if let Some(notes) = &entry.notes {
                    ui.add(egui::Label::new(notes).wrap());
                }
                ui.horizontal(|ui| {
                    ui.label(format!("{}:", texts.hash_source));
                    ui.hyperlink_to(&entry.source, &entry.source);
                });
            }
            None => {
                ui.label(texts.not_in_registry);
            }
        }
    });
}

fn identity(ui: &mut egui::Ui, texts: &Texts, report: &ModelReport) {
    ui.label(egui::RichText::new(texts.identity).strong());
    egui::Grid::new("model-identity").num_columns(2).show(ui, |ui| {
        let mut row = |name: &str, value: String| {
            ui.label(name);
            ui.add(egui::Label::new(egui::RichText::new(value).monospace()).selectable(true));
            ui.end_row();
        };
        row("SHA-256", report.identity.sha256.clone());
        row("AutoV2", report.identity.autov2().to_string());
        row("AutoV1", report.identity.autov1.clone());
        row(texts.file_size, human_size(report.size));
    });
}

fn summary(ui: &mut egui::Ui, texts: &Texts, report: &ModelReport) {
    let summary = &report.summary;
    egui::Grid::new("model-summary").num_columns(2).striped(true).show(ui, |ui| {
        ui.label(texts.family);
        ui.label((texts.family_name)(summary.family));
        ui.end_row();
        ui.label(texts.components);
        ui.vertical(|ui| {
            for (component, counts) in &summary.components {
                ui.label(format!("{}: {:.1} M", (texts.component_name)(*component), counts.parameters as f64 / 1e6));
            }
        });
        ui.end_row();
        ui.label(texts.stored_as);
        let dtypes: Vec<String> = summary.dtypes.iter().map(|(name, n)| format!("{name} ({:.1} M)", *n as f64 / 1e6)).collect();
        ui.label(dtypes.join(", "));
        ui.end_row();
        if let Some(layout) = summary.text_encoder_layout {
            ui.label(texts.text_encoder_keys);
            ui.label((texts.layout_name)(layout));
            ui.end_row();
        }
    });
    if summary.inpainting {
        ui.label(texts.inpainting_unet);
    }
    if summary.nai_style_text_encoder() {
        ui.add(egui::Label::new(egui::RichText::new(texts.nai_layout_note).italics()).wrap());
    }
    let declared = &summary.declared;
    let fields = [
        &declared.title,
        &declared.author,
        &declared.license,
        &declared.description,
        &declared.architecture,
        &declared.training_notes,
    ];
    if fields.iter().any(|field| field.is_some()) {
        ui.label(egui::RichText::new(texts.declared).strong());
        for field in fields.into_iter().flatten() {
            ui.add(egui::Label::new(field).wrap());
        }
    }
}

fn composition(app: &mut NurieApp, ui: &mut egui::Ui, texts: &Texts, checkpoint: &Path) {
    ui.label(egui::RichText::new(texts.composition).strong());
    ui.add(egui::Label::new(egui::RichText::new(texts.composition_method).small()).wrap());
    ui.horizontal(|ui| {
        ui.label(texts.base_model);
        ui.label(app.model_info.base.as_deref().map_or_else(|| "—".to_string(), file_name));
        if ui.button(texts.choose_file).on_hover_text(texts.base_model).clicked() {
            app.pick(Purpose::CompositionBase, None);
        }
    });
    ui.label(texts.references);
    let mut removed = None;
    for (index, reference) in app.model_info.references.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.label(file_name(reference)).on_hover_text(reference.display().to_string());
            if ui.small_button("×").on_hover_text(texts.remove_unit).clicked() {
                removed = Some(index);
            }
        });
    }
    if let Some(index) = removed {
        app.model_info.references.remove(index);
    }
    if ui.button(texts.add_reference).clicked() {
        app.pick(Purpose::CompositionReference, None);
    }
    analysis_controls(app, ui, texts, checkpoint);
    if let Some(problem) = &app.model_info.analysis_error {
        ui.colored_label(ui.visuals().error_fg_color, problem);
    }
    if let Some((target, result, seconds)) = &app.model_info.composition
        && target == checkpoint
    {
        ui.small((texts.composition_totals)(result.tensors, result.parameters as f64 / 1e6, *seconds));
        results_table(ui, texts, result);
    }
}

fn analysis_controls(app: &mut NurieApp, ui: &mut egui::Ui, texts: &Texts, checkpoint: &Path) {
    if let Some(analysis) = &app.model_info.analysis {
        let progress = analysis.progress;
        let fraction = progress.done as f32 / progress.total.max(1) as f32;
        ui.horizontal(|ui| {
            ui.add(egui::ProgressBar::new(fraction).show_percentage().text(texts.analyzing).desired_width(280.0));
            if ui.button(texts.cancel).clicked() {
                app.model_info.cancel_analysis();
            }
        });
        return;
    }
    let ready = app.model_info.base.is_some() && !app.model_info.references.is_empty();
    if ui.add_enabled(ready, egui::Button::new(texts.analyze)).clicked() {
        app.model_info.analyze(checkpoint.to_path_buf());
    }
}

fn results_table(ui: &mut egui::Ui, texts: &Texts, composition: &Composition) {
    egui::Grid::new("model-composition").striped(true).show(ui, |ui| {
        ui.label(egui::RichText::new(texts.part).strong());
        for reference in &composition.references {
            ui.label(egui::RichText::new(reference).strong());
        }
        ui.label(egui::RichText::new(texts.residual).strong());
        ui.label(egui::RichText::new(texts.cosine).strong());
        ui.end_row();
        for group in &composition.groups {
            ui.label(&group.name).on_hover_text(composition.describe(group));
            for coefficient in &group.fit.coefficients {
                ui.label(coefficient.map_or_else(|| "?".to_string(), |a| format!("{a:.2}")));
            }
            ui.label(group.fit.residual.map_or_else(|| "?".to_string(), |r| format!("{:.0} %", r * 100.0)));
            ui.label(group.fit.cosine.map_or_else(|| "—".to_string(), |c| format!("{c:.3}")));
            ui.end_row();
        }
    });
}

/// The question before generating with a model whose license forbids commercial use.
pub fn license_question(app: &mut NurieApp, ctx: &egui::Context) {
    let Some(question) = app.license_question.clone() else { return };
    let texts = app.texts();
    let modal = egui::Modal::new(egui::Id::unique("license-question")).show(ctx, |ui| {
        ui.set_max_width(480.0);
        ui.heading(texts.license_question_title);
        ui.label((texts.license_question_for)(&file_name(&question.model)));
        ui.label(egui::RichText::new(&question.license).strong());
        ui.horizontal(|ui| {
            if ui.button(texts.generate_anyway).clicked() {
                app.answer_license_question(true, false);
            }
            if ui.button(texts.dont_ask_again).clicked() {
                app.answer_license_question(true, true);
            }
            if ui.button(texts.cancel).clicked() {
                app.answer_license_question(false, false);
            }
        });
    });
    if modal.should_close() && app.license_question.is_some() {
        app.answer_license_question(false, false);
    }
}
