//! The history: a search bar with filters, a virtualized grid of thumbnails (only the rows on screen
//! are fetched and drawn), and a detail pane with the picture, its line art, every setting, and what
//! can be done with it.

use crate::app::file_picker::Purpose;
use crate::app::history::{Period, PictureState, THUMBNAIL_SIDE};
use crate::app::i18n::Texts;
use crate::app::nurie_app::NurieApp;
use crate::history::{ImageDetails, ImageId, Sort};

use super::inpaint_panel::InpaintTexts;
use super::labelled::options_combo;
use super::settings_panel::SettingTexts;

/// A grid cell's side, in points.
const CELL: f32 = 168.0;
/// The detail pane's picture size asked for.
const DETAIL_SIDE: u32 = 1024;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    app.history.refresh_if_changed();
    egui::Panel::top("history-search").show(ui, |ui| search_bar(app, ui));
    egui::Panel::left("history-sidebar").resizable(true).default_size(200.0).show(ui, |ui| super::history_sidebar::show(app, ui));
    if app.history.selected.is_some() {
        egui::Panel::right("history-details").resizable(true).default_size(460.0).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| details_pane(app, ui));
        });
    }
    egui::CentralPanel::default().show(ui, |ui| grid(app, ui));
    app.history.end_frame();
}

fn search_bar(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.horizontal_wrapped(|ui| {
        let search = egui::TextEdit::singleline(&mut app.history.search_text).hint_text(texts.search_hint).desired_width(420.0);
        ui.add(search).accessible_name(texts.search_hint).on_hover_text(texts.search_hint);
        let filters = &mut app.history.filters;
        ui.checkbox(&mut filters.favorites_only, texts.favorites_only);
        ui.checkbox(&mut filters.with_controlnet, texts.with_controlnet);
        let periods = Period::ALL.map(|p| (p, period_name(texts, p)));
        option_combo(ui, "history-period", texts.created, &mut filters.period, &periods);
        let sorts = [(Sort::Newest, texts.sort_newest), (Sort::Oldest, texts.sort_oldest), (Sort::Prompt, texts.sort_prompt)];
        option_combo(ui, "history-sort", texts.sort_by, &mut filters.sort, &sorts);
        ui.label((texts.pictures_count)(app.history.total));
        ui.separator();
        scan_controls(app, ui, texts);
    });
}

fn scan_controls(app: &mut NurieApp, ui: &mut egui::Ui, texts: &Texts) {
    if let Some(scan) = &app.history.scan {
        let progress = scan.progress;
        let fraction = if progress.total == 0 { 0.0 } else { progress.done as f32 / progress.total as f32 };
        ui.spinner();
        let text = (texts.reading_progress)(progress.done, progress.total);
        ui.add(egui::ProgressBar::new(fraction).desired_width(160.0).text(text));
        if ui.button(texts.cancel).clicked() {
            app.history.cancel_scan();
        }
        return;
    }
    if ui.button(texts.import_folder).clicked() {
        app.pick(Purpose::HistoryFolder, None);
    }
    if ui.button(texts.rebuild_index).clicked() {
        let outputs = app.output_folder();
        app.history.scan(vec![outputs], true);
    }
}

/// A combo without a visible label beside it; `name` is what screen readers call it.
fn option_combo<T: PartialEq + Copy>(ui: &mut egui::Ui, id: &str, name: &str, value: &mut T, options: &[(T, &str)]) {
    options_combo(ui, id, value, options).accessible_name(name).on_hover_text(name);
}

fn period_name(texts: &Texts, period: Period) -> &'static str {
    match period {
        Period::All => texts.period_all,
        Period::Day => texts.period_day,
        Period::Week => texts.period_week,
        Period::Month => texts.period_month,
        Period::Year => texts.period_year,
    }
}

/// Only the rows in view are laid out, fetched and given thumbnails.
fn grid(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    let total = app.history.total;
    if total == 0 {
        ui.centered_and_justified(|ui| ui.label(texts.no_pictures));
        return;
    }
    let columns = ((ui.available_width() / CELL).floor() as usize).max(1);
    let rows = total.div_ceil(columns);
    egui::ScrollArea::vertical().auto_shrink(false).show_rows(ui, CELL, rows, |ui, visible| {
        for row in visible {
            ui.horizontal(|ui| {
                for index in row * columns..((row + 1) * columns).min(total) {
                    cell(app, ui, index);
                }
            });
        }
    });
}

fn cell(app: &mut NurieApp, ui: &mut egui::Ui, index: usize) {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(CELL - 8.0, CELL - 8.0), egui::Sense::click());
    let Some(row) = app.history.row(index).cloned() else {
        ui.painter().rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
        return;
    };
    let selected = app.history.selected == Some(row.id);
    let fill = if selected { ui.visuals().selection.bg_fill } else { ui.visuals().faint_bg_color };
    ui.painter().rect_filled(rect, 4.0, fill);
    match app.history.picture(&row.path, THUMBNAIL_SIDE) {
        PictureState::Ready(texture) => {
            let placed = fit(texture.size_vec2(), rect.shrink(4.0));
            ui.painter().image(
                texture.id(),
                placed,
                egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                egui::Color32::WHITE,
            );
        }
        PictureState::Loading => {}
        PictureState::Unreadable => {
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "?",
                egui::FontId::proportional(24.0),
                ui.visuals().weak_text_color(),
            );
        }
    }
    if row.favorite {
        ui.painter().text(
            rect.left_top() + egui::vec2(6.0, 4.0),
            egui::Align2::LEFT_TOP,
            "★",
            egui::FontId::proportional(18.0),
            egui::Color32::GOLD,
        );
    }
    let name = cell_name(&row);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Button, true, &name));
    let response = response.on_hover_text(format!("{}\n{}", row.prompt, row.path.display()));
    if response.clicked() {
        app.history.select(row.id);
    }
}

/// What a screen reader says of a cell: the file name and the start of the prompt.
fn cell_name(row: &crate::history::ImageRow) -> String {
    let file = row.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let prompt: String = row.prompt.chars().take(80).collect();
    if prompt.is_empty() { file } else { format!("{file}: {prompt}") }
}

/// `size` scaled to fit inside `area`, centred.
fn fit(size: egui::Vec2, area: egui::Rect) -> egui::Rect {
    let scale = (area.width() / size.x).min(area.height() / size.y).min(1.0);
    egui::Rect::from_center_size(area.center(), size * scale)
}

fn details_pane(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    let Some(details) = app.history.details.clone() else {
        ui.spinner();
        return;
    };
    pictures_side_by_side(app, ui, &details);
    actions(app, ui, &details);
    same_drawing(app, ui, &details);
    ui.separator();
    let language = app.settings.language();
    settings_grid(ui, texts, (SettingTexts::of(language), InpaintTexts::of(language)), &details);
    ui.separator();
    tags(app, ui, details.row.id, &details.tags);
}

/// The picture and the line art it was made from.
fn pictures_side_by_side(app: &mut NurieApp, ui: &mut egui::Ui, details: &ImageDetails) {
    let texts = app.texts();
    let line_art = details.line_art_path.clone().or_else(|| {
        let hash = details.record.as_ref()?.controlnets.first()?.line_art_sha256.clone()?;
        app.kept_inputs.find(&hash)
    });
    let width = ui.available_width();
    let side = if line_art.is_some() { (width - 8.0) / 2.0 } else { width };
    ui.horizontal(|ui| {
        for path in std::iter::once(&details.row.path).chain(line_art.as_ref()) {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
            match app.history.picture(path, DETAIL_SIDE) {
                PictureState::Ready(texture) => {
                    let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
                    ui.painter().image(texture.id(), fit(texture.size_vec2(), rect), uv, egui::Color32::WHITE);
                }
                PictureState::Loading => {
                    ui.put(rect, egui::Spinner::new());
                }
                PictureState::Unreadable => {
                    ui.put(rect, egui::Label::new(texts.unreadable_picture).wrap());
                }
            }
        }
    });
}

/// Side of the thumbnails of the other colorings of a drawing, in points.
const SAME_DRAWING_SIDE: f32 = 72.0;

/// The other pictures made from the same drawing, as a strip of thumbnails; a click opens one.
fn same_drawing(app: &mut NurieApp, ui: &mut egui::Ui, details: &ImageDetails) {
    if details.same_drawing.is_empty() {
        return;
    }
    let texts = app.texts();
    ui.label(egui::RichText::new(format!("{} ({})", texts.same_drawing, details.same_drawing.len() + 1)).strong());
    egui::ScrollArea::horizontal().id_salt("same-drawing").show(ui, |ui| {
        ui.horizontal(|ui| {
            for row in &details.same_drawing {
                let size = egui::vec2(SAME_DRAWING_SIDE, SAME_DRAWING_SIDE);
                let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click());
                if let PictureState::Ready(texture) = app.history.picture(&row.path, THUMBNAIL_SIDE) {
                    let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
                    ui.painter().image(texture.id(), fit(texture.size_vec2(), rect), uv, egui::Color32::WHITE);
                } else {
                    ui.put(rect, egui::Spinner::new());
                }
                let response = response.on_hover_text(row.path.display().to_string());
                if response.clicked() {
                    app.history.select(row.id);
                }
            }
        });
    });
}

fn actions(app: &mut NurieApp, ui: &mut egui::Ui, details: &ImageDetails) {
    let texts = app.texts();
    let id = details.row.id;
    ui.horizontal_wrapped(|ui| {
        let favorite = details.row.favorite;
        if ui.selectable_label(favorite, format!("★ {}", texts.favorite)).clicked() {
            app.history.set_favorite(id, !favorite);
        }
        if let Some(record) = &details.record
            && ui.button(texts.reuse_settings).clicked()
        {
            app.apply_record(record);
            app.mode = crate::app::nurie_app::Mode::Workspace;
        }
        if ui.button(texts.reveal).clicked() {
            app.reveal(&details.row.path);
        }
        if ui.button(texts.export_layers).clicked() {
            app.open_export_dialog(&details.row.path);
        }
        if ui.button(texts.delete_to_trash).clicked() {
            app.history.delete_selected();
        }
    });
}

fn settings_grid(
    ui: &mut egui::Ui,
    texts: &Texts,
    (names, inpaint_names): (&SettingTexts, &InpaintTexts),
    details: &ImageDetails,
) {
    let row = &details.row;
    let Some(record) = &details.record else {
        ui.label(texts.no_metadata);
        file_facts(ui, texts, details);
        return;
    };
    let settings = &record.settings;
    ui.label(egui::RichText::new(texts.prompt).strong());
    ui.add(egui::Label::new(&settings.prompt).selectable(true).wrap());
    if !settings.negative_prompt.is_empty() {
        ui.label(egui::RichText::new(texts.negative_prompt).strong());
        ui.add(egui::Label::new(&settings.negative_prompt).selectable(true).wrap());
    }
    egui::Grid::new("history-settings").num_columns(2).striped(true).show(ui, |ui| {
        let mut pair = |name: &str, value: String| {
            ui.label(name);
            ui.add(egui::Label::new(value).selectable(true).wrap());
            ui.end_row();
        };
        pair(names.seed.name, settings.seed.to_string());
        pair(names.sampler.name, settings.sampler.label().to_string());
        pair(names.steps.name, settings.steps.to_string());
        pair(names.cfg_scale.name, settings.cfg_scale.to_string());
        pair(names.size_presets.name, format!("{}×{}", row.width, row.height));
        let hash = record.model.a1111_hash().map(|h| format!(" [{h}]")).unwrap_or_default();
        pair(texts.model, format!("{}{hash}", record.model.display_name()));
        if let Some(license) = &record.model_license {
            pair(texts.model_license, license.clone());
        }
        if let Some(vae) = &record.vae {
            pair(texts.vae, vae.display_name().to_string());
        }
        pair(names.clip_skip.name, settings.clip_skip.to_string());
        for (index, unit) in record.controlnets.iter().enumerate() {
            let text = format!(
                "{} · {} · {:.2} ({:.2}–{:.2})",
                unit.model.display_name(),
                unit.module,
                unit.guidance.weight,
                unit.guidance.guidance_start,
                unit.guidance.guidance_end
            );
            pair(&format!("{} {}", texts.controlnet, index + 1), text);
        }
        if let Some(strength) = settings.denoising_strength {
            pair(names.denoising_strength.name, format!("{strength:.2}"));
        }
        if let Some(hires) = &settings.hires {
            let steps = hires.steps_or(settings.steps);
            pair(names.hires.name, format!("{}× · {} · {steps} {}", hires.scale, hires.upscaler, names.steps.name));
        }
        if let Some(inpaint) = &settings.inpaint {
            pair(inpaint_names.inpaint.name, inpaint_names.summary(inpaint));
        }
    });
    file_facts(ui, texts, details);
}

fn file_facts(ui: &mut egui::Ui, texts: &Texts, details: &ImageDetails) {
    egui::Grid::new("history-file").num_columns(2).show(ui, |ui| {
        ui.label(texts.source);
        ui.label(details.row.source.tool_name().unwrap_or(texts.no_metadata));
        ui.end_row();
        ui.label(texts.file);
        ui.add(egui::Label::new(details.row.path.display().to_string()).selectable(true).wrap());
        ui.end_row();
        ui.label(texts.created);
        ui.label(format_time(details.row.created_at));
        ui.end_row();
    });
    for warning in &details.warnings {
        ui.small(warning);
    }
}

/// `2026-11-21 20:41` in the computer's time zone.
fn format_time(unix_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds, 0)
        .map(|time| time.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn tags(app: &mut NurieApp, ui: &mut egui::Ui, id: ImageId, tags: &[String]) {
    let texts = app.texts();
    ui.label(egui::RichText::new(texts.tags).strong());
    ui.horizontal_wrapped(|ui| {
        for tag in tags {
            if ui.button(format!("{tag} ×")).on_hover_text(texts.remove_unit).clicked() {
                app.history.remove_tag(id, tag.clone());
            }
        }
    });
    ui.horizontal(|ui| {
        let editor = egui::TextEdit::singleline(&mut app.history_tag_draft).hint_text(texts.add_tag).desired_width(180.0);
        let field = ui.add(editor).accessible_name(texts.add_tag);
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button(texts.add_tag).clicked() || entered) && !app.history_tag_draft.trim().is_empty() {
            let tag = std::mem::take(&mut app.history_tag_draft);
            app.history.add_tag(id, tag);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_local_dates() {
        let shown = format_time(1_795_292_514);
        assert!(shown.starts_with("2026-11-2"), "{shown}");
        assert_eq!(shown.len(), "2026-11-21 20:21".len());
    }
}
