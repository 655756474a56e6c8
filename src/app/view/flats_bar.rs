//! The result view's "Color | Flats" switch for the finished picture on view, and with Flats the gap
//! slider, "Save flats…" (beside the picture, as `nurie generate --flats` names it) and how saving went.

use std::path::Path;
use std::sync::Arc;

use crate::app::flats_view::ResultLayer;
use crate::app::nurie_app::NurieApp;
use crate::flats::MAX_GAP_PX;
use crate::layered::picture_flats::flats_png_beside;

/// The switch, and the flats' controls while they are on view.
pub fn show(app: &mut NurieApp, ui: &mut egui::Ui, picture: &Path) {
    let texts = app.texts();
    ui.horizontal(|ui| {
        let flats = &mut app.flats;
        ui.selectable_value(&mut flats.showing, ResultLayer::Color, texts.result_colors);
        ui.selectable_value(&mut flats.showing, ResultLayer::Flats, texts.result_flats);
        if flats.showing != ResultLayer::Flats {
            return;
        }
        ui.separator();
        let slider = egui::Slider::new(&mut flats.gap_px, 0..=MAX_GAP_PX).text(texts.flats_gap).suffix(texts.flats_gap_unit);
        ui.add(slider).on_hover_text(texts.flats_gap_help);
        save_button(app, ui, picture);
        save_status(app, ui);
    });
}

/// "Save flats…": enabled once the flats with this gap are made, and while no save runs.
fn save_button(app: &mut NurieApp, ui: &mut egui::Ui, picture: &Path) {
    let texts = app.texts();
    let target = flats_png_beside(picture);
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let made = match app.flats.maker.cached(&app.flats.key(picture)) {
        Some(Ok(made)) => Some(Arc::clone(&made.image)),
        _ => None,
    };
    let enabled = made.is_some() && app.flats.maker.saving().is_none();
    let clicked =
        ui.add_enabled(enabled, egui::Button::new(texts.save_flats)).on_hover_text((texts.save_flats_help)(&name)).clicked();
    if let Some(image) = made.filter(|_| clicked) {
        app.flats.maker.save(image, target);
    }
}

/// Saving, saved, or why not.
fn save_status(app: &NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    if app.flats.maker.saving().is_some() {
        ui.spinner();
        ui.label(texts.saving_flats);
        return;
    }
    match app.flats.maker.saved() {
        Some(Ok(path)) => {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            ui.label((texts.flats_saved)(&name)).on_hover_text(path.display().to_string());
        }
        Some(Err(why)) => {
            ui.colored_label(ui.visuals().error_fg_color, (texts.cannot_save_flats)(why));
        }
        None => {}
    }
}
