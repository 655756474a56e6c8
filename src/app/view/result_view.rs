//! The result: the live preview while a job runs, then the finished picture; the line art can be
//! laid over it (multiplied) or compared with a before/after slider, under the shared zoom/pan.

use crate::app::nurie_app::NurieApp;

use super::picture;

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
    let Some(shown) = app.shown.as_ref().map(|s| s.texture.clone()) else {
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
    picture::paint(ui.painter(), rect, result_clip, &app.view, shown.id(), whole);
    if let Some((art, lines, place)) = line_art {
        if app.compare {
            let before_clip = egui::Rect::from_min_max(rect.min, egui::pos2(split, rect.bottom()));
            picture::paint(ui.painter(), rect, before_clip, &app.view, art.id(), place);
        }
        if app.settings.layout.overlay_lines {
            picture::paint(ui.painter(), rect, result_clip, &app.view, lines.id(), place);
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
    let finished = app.shown.as_ref().is_some_and(|shown| !shown.is_preview);
    let Some(picture) = app.gallery.selected().filter(|_| finished).map(|item| item.path.clone()) else { return };
    if ui.button(app.texts().export_layers).clicked() {
        app.open_export_dialog(&picture);
    }
}
