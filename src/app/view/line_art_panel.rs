//! The line-art units: each shows its line art (zoom and pan shared with the result), the processed
//! hint, and its settings. Files are dropped on a unit, pasted or opened.

use crate::app::file_picker::Purpose;
use crate::app::form::UnitForm;
use crate::app::i18n::Texts;
use crate::app::nurie_app::NurieApp;
use crate::control::{Polarity, Preprocessor, ResizeMode};
use crate::generate::ControlMode;
use crate::model_library::ModelKind;

use super::labelled::{labelled_row, options_combo};
use super::model_bar::models_of;
use super::model_combo::{ComboChoice, ModelCombo, file_name};
use super::picture;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.heading(texts.line_art);
    let mut drop_target = None;
    let mut removed = None;
    for unit in 0..app.settings.form.units.len() {
        let frame = egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            if unit_header(app, ui, unit) {
                removed = Some(unit);
            }
            line_art_view(app, ui, unit);
            unit_settings(app, ui, unit);
        });
        if ui.ctx().input(|i| !i.raw.hovered_files.is_empty()) && frame.response.contains_pointer() {
            drop_target = Some(unit);
            ui.painter().rect_stroke(
                frame.response.rect,
                4.0,
                egui::Stroke::new(2.0, ui.visuals().selection.bg_fill),
                egui::StrokeKind::Inside,
            );
        }
        ui.add_space(6.0);
    }
    if let Some(unit) = removed {
        app.settings.form.units.remove(unit);
        app.units.clear();
    }
    if ui.button(format!("+ {}", texts.add_unit)).clicked() {
        app.settings.form.units.push(UnitForm::default());
    }
    take_dropped_files(app, ui, drop_target);
}

/// "Unit n" with its on/off switch and a remove button; returns whether it was removed.
fn unit_header(app: &mut NurieApp, ui: &mut egui::Ui, unit: usize) -> bool {
    let texts = app.texts();
    let count = app.settings.form.units.len();
    let form = &mut app.settings.form.units[unit];
    let mut removed = false;
    ui.horizontal(|ui| {
        ui.checkbox(&mut form.enabled, egui::RichText::new(format!("{} {}", texts.unit, unit + 1)).strong());
        if count > 1 && ui.small_button(texts.remove_unit).clicked() {
            removed = true;
        }
    });
    removed
}

/// The line art and its hint side by side, or the drop zone when the unit has none.
fn line_art_view(app: &mut NurieApp, ui: &mut egui::Ui, unit: usize) {
    let texts = app.texts();
    let view = app.units.get(unit);
    let textures = view.and_then(|v| v.line_art.clone().zip(v.hint.clone()));
    let aspect = app.settings.form.width as f32 / app.settings.form.height.max(1) as f32;
    match textures {
        Some((art, hint)) => {
            let width = ui.available_width();
            let full_size = view.and_then(|v| v.full_size).unwrap_or((1, 1));
            let form = &app.settings.form;
            let place = picture::placement(full_size, (form.width, form.height), form.units[unit].settings.resize_mode);
            let (_, rect) = picture::frame(ui, egui::vec2(width, width / aspect.max(0.25)), &mut app.view, aspect);
            picture::paint(ui.painter(), rect, rect, &app.view, art.id(), place);
            ui.horizontal(|ui| {
                ui.label(texts.processed_hint);
                let size = egui::vec2(96.0 * aspect.min(2.0), 96.0 / aspect.max(0.5));
                ui.add(egui::Image::new(&hint).fit_to_exact_size(size));
                ui.small(format!("{}×{}", full_size.0, full_size.1));
            });
        }
        None => {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 120.0), egui::Sense::hover());
            ui.painter().rect_stroke(rect, 6.0, egui::Stroke::new(1.0, ui.visuals().weak_text_color()), egui::StrokeKind::Inside);
            let loading = app.settings.form.units[unit].line_art.is_some() && view.is_some_and(|v| v.error.is_none());
            let message = if loading { format!("{}…", texts.loading) } else { texts.drop_line_art.to_string() };
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                message,
                egui::FontId::proportional(14.0),
                ui.visuals().text_color(),
            );
        }
    }
    ui.horizontal(|ui| {
        if ui.button(texts.open_image).clicked() {
            app.pick(Purpose::LineArt(unit), None);
        }
        if ui.button(texts.paste).clicked() {
            app.paste_line_art(unit);
        }
        if let Some(path) = app.settings.form.units[unit].line_art.clone() {
            ui.small(file_name(&path)).on_hover_text(path.display().to_string());
        }
    });
}

fn unit_settings(app: &mut NurieApp, ui: &mut egui::Ui, unit: usize) {
    let texts = app.texts();
    ui.horizontal(|ui| {
        let label = ui.label(texts.controlnet);
        let id = format!("controlnet-{unit}");
        let current = app.settings.form.units[unit].controlnet.as_deref();
        let combo = ModelCombo {
            id: &id,
            label: Some(label.id),
            ..models_of(app, ModelKind::ControlNet, current, &app.settings.recent.controlnets)
        };
        match combo.show(ui, texts) {
            Some(ComboChoice::Model(Some(path))) => app.choose_controlnet(unit, &path),
            Some(ComboChoice::AddFolder) => app.pick(Purpose::ModelFolder, None),
            _ => {}
        }
        if ui.button(texts.browse).on_hover_text(texts.controlnet).clicked() {
            app.pick(Purpose::ControlNet(unit), None);
        }
    });
    let form = &mut app.settings.form.units[unit];
    egui::Grid::new(("unit-settings", unit)).num_columns(2).show(ui, |ui| {
        choice(ui, texts.polarity, ("polarity", unit), &mut form.settings.polarity, &polarities(texts));
        choice(ui, texts.preprocessor, ("preprocessor", unit), &mut form.settings.preprocessor, &PREPROCESSORS);
        if form.settings.preprocessor == Preprocessor::Binarize {
            labelled_row(ui, texts.threshold, egui::Slider::new(&mut form.settings.threshold, 0..=255));
        }
        choice(ui, texts.resize_mode, ("resize", unit), &mut form.settings.resize_mode, &resize_modes(texts));
        labelled_row(ui, texts.weight, egui::Slider::new(&mut form.weight, 0.0..=2.0).step_by(0.05));
        labelled_row(ui, texts.guidance_start, egui::Slider::new(&mut form.start, 0.0..=1.0).step_by(0.01));
        labelled_row(ui, texts.guidance_end, egui::Slider::new(&mut form.end, 0.0..=1.0).step_by(0.01));
        choice(ui, texts.control_mode, ("mode", unit), &mut form.mode, &control_modes(texts));
    });
    if form.start > form.end {
        form.end = form.start;
    }
}

/// A labelled combo box over `options` (value, label), as one grid row.
fn choice<T: PartialEq + Copy>(
    ui: &mut egui::Ui,
    label: &str,
    id: impl std::hash::Hash + std::fmt::Debug,
    value: &mut T,
    options: &[(T, &str)],
) {
    let label = ui.label(label);
    options_combo(ui, id, value, options).labelled_by(label.id);
    ui.end_row();
}

fn polarities(texts: &Texts) -> [(Polarity, &'static str); 3] {
    [
        (Polarity::Auto, texts.polarity_auto),
        (Polarity::BlackOnWhite, texts.polarity_black_on_white),
        (Polarity::WhiteOnBlack, texts.polarity_white_on_black),
    ]
}

const PREPROCESSORS: [(Preprocessor, &str); 4] = [
    (Preprocessor::None, "none"),
    (Preprocessor::Invert, "invert"),
    (Preprocessor::Binarize, "binarize"),
    (Preprocessor::LineartStandard, "lineart_standard"),
];

fn resize_modes(texts: &Texts) -> [(ResizeMode, &'static str); 3] {
    [
        (ResizeMode::JustResize, texts.resize_just),
        (ResizeMode::CropAndResize, texts.resize_crop),
        (ResizeMode::ResizeAndFill, texts.resize_fill),
    ]
}

fn control_modes(texts: &Texts) -> [(ControlMode, &'static str); 3] {
    [
        (ControlMode::Balanced, texts.mode_balanced),
        (ControlMode::PromptMoreImportant, texts.mode_prompt),
        (ControlMode::ControlNetMoreImportant, texts.mode_controlnet),
    ]
}

/// Files dropped on the window: images become line art of the unit under the pointer (or the first
/// unit without line art); model files are offered as checkpoint or ControlNet by their name.
fn take_dropped_files(app: &mut NurieApp, ui: &egui::Ui, target: Option<usize>) {
    let dropped: Vec<std::path::PathBuf> =
        ui.ctx().input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
    for path in dropped {
        let unit = target.or_else(|| app.settings.form.units.iter().position(|u| u.line_art.is_none())).unwrap_or(0);
        app.set_line_art(unit, &path);
    }
}
