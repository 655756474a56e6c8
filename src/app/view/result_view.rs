//! The result: the live preview while a job runs, then the finished picture; the line art can be
//! laid over it (multiplied) or compared with a before/after slider, under the shared zoom/pan.

use std::path::{Path, PathBuf};

use crate::app::flats_view::{FlatsOnView, ResultLayer};
use crate::app::i18n::Texts;
use crate::app::layer_export::ExportFailure;
use crate::app::nurie_app::NurieApp;

use super::{flats_bar, picture};

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.horizontal(|ui| {
        ui.heading(texts.result);
        ui.checkbox(&mut app.settings.layout.overlay_lines, texts.overlay_lines);
        ui.checkbox(&mut app.compare, texts.before_after);
        if ui.button(texts.fit).clicked() {
            app.view = Default::default();
        }
        if let Some(shown) = &app.shown {
            let [w, h] = shown.texture.size();
            ui.small(if shown.is_preview { (texts.preview_size)(w, h) } else { format!("{w}×{h}") });
        }
        export_button(app, ui);
    });
    let finished = finished_picture(app);
    if let Some(picture) = &finished {
        flats_bar::show(app, ui, picture);
    }
    let Some(colors) = app.shown.as_ref().map(|s| s.texture.clone()) else {
        ui.centered_and_justified(|ui| ui.label(egui::RichText::new(texts.nothing_yet).weak()));
        return;
    };
    let form = &app.settings.form;
    let aspect = form.settings.width as f32 / form.settings.height.max(1) as f32;
    let (_, rect) = picture::frame(ui, ui.available_size(), &mut app.view, aspect);
    let whole = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
    let line_art = first_line_art(app);
    let split = if app.compare { compare_slider(ui, rect, &mut app.compare_at) } else { rect.left() };
    let result_clip = egui::Rect::from_min_max(egui::pos2(split, rect.top()), rect.max);
    let (shown, note) = colors_or_flats(app, ui.ctx(), finished.as_deref(), colors);
    if let Some(shown) = &shown {
        picture::paint(ui.painter(), rect, result_clip, &app.view, shown.id(), whole);
    }
    if let Some((art, lines, place)) = line_art {
        if app.compare {
            let before_clip = egui::Rect::from_min_max(rect.min, egui::pos2(split, rect.bottom()));
            picture::paint(ui.painter(), rect, before_clip, &app.view, art.id(), place);
        }
        if app.settings.layout.overlay_lines {
            picture::paint(ui.painter(), rect, result_clip, &app.view, lines.id(), place);
        }
    }
    if let Some(note) = note {
        show_note(ui, rect, &note, texts);
    }
}

/// The finished picture on view (not the running job's preview), by its file.
fn finished_picture(app: &NurieApp) -> Option<PathBuf> {
    let finished = app.shown.as_ref().is_some_and(|shown| !shown.is_preview);
    app.gallery.selected().filter(|_| finished).map(|item| item.path.clone())
}

/// Said over the result: the flats being made, or why there are none.
enum Note {
    Making,
    NoFlats(String),
}

/// What the result shows: the colors, or the flats when they are chosen for a finished picture (the
/// flats shown last, or the colors, while they are made); and what to say over it.
fn colors_or_flats(
    app: &mut NurieApp,
    ctx: &egui::Context,
    picture: Option<&Path>,
    colors: egui::TextureHandle,
) -> (Option<egui::TextureHandle>, Option<Note>) {
    let Some(picture) = picture.filter(|_| app.flats.showing == ResultLayer::Flats) else { return (Some(colors), None) };
    let texts = app.texts();
    match app.flats.on_view(picture, ctx) {
        FlatsOnView::Ready(flats) => (Some(flats), None),
        FlatsOnView::Making(last) => (Some(last.unwrap_or(colors)), Some(Note::Making)),
        FlatsOnView::Failed(why) => {
            let why = match why {
                ExportFailure::NoLineArt => texts.no_line_art_for_flats.to_string(),
                ExportFailure::LineArtGone => texts.line_art_gone.to_string(),
                ExportFailure::Other(message) => message,
            };
            (None, Some(Note::NoFlats((texts.no_flats)(&why))))
        }
    }
}

/// The note over the frame: a spinner at its top while the flats are made, the reason in its middle.
fn show_note(ui: &mut egui::Ui, rect: egui::Rect, note: &Note, texts: &Texts) {
    let area = rect.shrink(12.0);
    match note {
        Note::Making => {
            ui.scope_builder(egui::UiBuilder::new().max_rect(area), |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(texts.making_flats);
                    });
                });
            });
        }
        Note::NoFlats(text) => {
            let layout = egui::Layout::centered_and_justified(egui::Direction::TopDown);
            ui.scope_builder(egui::UiBuilder::new().max_rect(area).layout(layout), |ui| ui.label(text.as_str()));
        }
    }
}

/// The first unit's line art, its lines mask and where it lands in the result.
fn first_line_art(app: &NurieApp) -> Option<(egui::TextureHandle, egui::TextureHandle, egui::Rect)> {
    let form = &app.settings.form;
    app.units.iter().zip(&form.units).find_map(|(view, unit)| {
        let (art, lines, size) = (view.line_art.clone()?, view.lines.clone()?, view.full_size?);
        let target = (form.settings.width, form.settings.height);
        Some((art, lines, picture::placement(size, target, unit.line_art_settings.resize_mode)))
    })
}

/// A vertical handle across the picture; returns its x position.
fn compare_slider(ui: &mut egui::Ui, rect: egui::Rect, at: &mut f32) -> f32 {
    let x = rect.left() + rect.width() * *at;
    let handle = egui::Rect::from_center_size(egui::pos2(x, rect.center().y), egui::vec2(12.0, rect.height()));
    let response = ui.interact(handle, ui.make_persistent_id("compare-slider"), egui::Sense::drag());
    if let Some(pointer) = response.interact_pointer_pos() {
        *at = ((pointer.x - rect.left()) / rect.width()).clamp(0.0, 1.0);
    }
    let x = rect.left() + rect.width() * *at;
    ui.painter().vline(x, rect.y_range(), egui::Stroke::new(2.0, ui.visuals().selection.bg_fill));
    ui.painter().circle_filled(egui::pos2(x, rect.center().y), 6.0, ui.visuals().selection.bg_fill);
    x
}

/// "Export layers…" for the finished picture on view.
fn export_button(app: &mut NurieApp, ui: &mut egui::Ui) {
    let Some(picture) = finished_picture(app) else { return };
    if ui.button(app.texts().export_layers).clicked() {
        app.open_export_dialog(&picture);
    }
}
