//! The contact sheet in the middle of the workspace: the chapter's pages side by side in page order,
//! so the page that went off-model shows at a glance, each with "Color again" (today's settings, the
//! chapter's seed) and "New seed"; the page's earlier picture is kept in `earlier/`, the other pages
//! stay as they are. Every text is in [`PagesTexts`].

use egui::{Color32, RichText, Sense, Vec2};

use super::pages_panel::PagesTexts;
use crate::app::chapter_pages::PageSeed;
use crate::app::chapter_sheet::PagePicture;
use crate::app::nurie_app::NurieApp;

/// The side of a page's cell, in points.
const CELL: f32 = 200.0;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let words = PagesTexts::of(app.settings.language());
    app.sheet.pump(ui.ctx());
    app.refresh_pages(false);
    let (Some(chapter), Some(out)) = (app.pages.chapter.clone(), app.pages.out_folder(&app.output_folder())) else {
        app.sheet.open = false;
        return;
    };
    let pictures = app.settings.form.settings.batch_size.max(1) as usize;
    let folder = chapter.folder.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    ui.horizontal(|ui| {
        ui.heading((words.sheet_title)(&folder)).on_hover_text(out.display().to_string());
        if ui.button(words.sheet_save).on_hover_text(words.sheet_save_hover).clicked() {
            super::pages_panel::write_sheet(app, &chapter);
        }
        if ui.button(words.sheet_close).clicked() {
            app.sheet.open = false;
        }
    });
    let colored = app.pages.done.iter().filter(|&&done| done).count();
    ui.label((words.count)(chapter.pages.len(), colored));
    ui.separator();
    let queued = app.queued_pages(&out);
    let columns = ((ui.available_width() + 8.0) / (CELL + 16.0)).floor().max(1.0) as usize;
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        egui::Grid::new("chapter-sheet").spacing([16.0, 16.0]).show(ui, |ui| {
            for (index, page) in chapter.pages.iter().enumerate() {
                let first = page.outputs(&out, pictures).into_iter().next();
                let is_queued = queued.contains(&page.name());
                ui.vertical(|ui| {
                    ui.set_width(CELL);
                    show_picture(app, ui, first.as_deref(), words);
                    let done = app.pages.done.get(index).copied().unwrap_or(false);
                    let mark = match (is_queued, done) {
                        (true, _) => "…",
                        (false, true) => "●",
                        (false, false) => "○",
                    };
                    ui.label(RichText::new(format!("{mark} {}", page.name())).strong())
                        .on_hover_text(page.drawing.display().to_string());
                    ui.horizontal(|ui| {
                        if ui.add_enabled(!is_queued, egui::Button::new(words.again)).on_hover_text(words.again_hover).clicked() {
                            app.color_page_again(index, PageSeed::Chapter);
                        }
                        if ui
                            .add_enabled(!is_queued, egui::Button::new(words.new_seed))
                            .on_hover_text(words.new_seed_hover)
                            .clicked()
                        {
                            app.color_page_again(index, PageSeed::New);
                        }
                    });
                });
                if (index + 1) % columns == 0 {
                    ui.end_row();
                }
            }
        });
    });
}

/// The page's picture fitted into a square of the cell's side, or a grey square saying why there is none.
/// The square's size never changes, so buttons stay put while thumbnails arrive.
fn show_picture(app: &mut NurieApp, ui: &mut egui::Ui, picture: Option<&std::path::Path>, words: &PagesTexts) {
    let (rect, response) = ui.allocate_exact_size(Vec2::splat(CELL), Sense::hover());
    let state = match picture {
        Some(path) => app.sheet.picture(path),
        None => PagePicture::Missing,
    };
    let text = match state {
        PagePicture::Ready(texture) => {
            let size = texture.size_vec2();
            let scale = (CELL / size.x.max(size.y)).min(1.0);
            egui::Image::new((texture.id(), size * scale))
                .paint_at(ui, egui::Rect::from_center_size(rect.center(), size * scale));
            None
        }
        PagePicture::Loading => Some(words.loading),
        PagePicture::Unreadable => Some(words.unreadable),
        PagePicture::Missing => Some(words.not_colored),
    };
    if let Some(text) = text {
        ui.painter().rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
        ui.painter().text(rect.center(), egui::Align2::CENTER_CENTER, text, egui::FontId::proportional(14.0), Color32::GRAY);
    }
    if let Some(path) = picture {
        response.on_hover_text(path.display().to_string());
    }
}
