//! This session's pictures in a strip: click to view, right-click for actions.

use crate::app::clipboard::copy_image;
use crate::app::file_picker::Purpose;
use crate::app::nurie_app::NurieApp;

const THUMBNAIL_HEIGHT: f32 = 88.0;

/// An action chosen in a picture's context menu.
enum Action {
    View,
    ReuseSettings,
    ReuseSeed,
    UseAsInit,
    Copy,
    SaveAs,
    ExportLayers,
    OpenFolder,
}

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.label((texts.gallery_title)(app.gallery.items.len()));
    let mut chosen = None;
    egui::ScrollArea::horizontal().show(ui, |ui| {
        ui.horizontal(|ui| {
            for (index, item) in app.gallery.items.iter().enumerate() {
                let Some(texture) = &item.texture else { continue };
                let size = egui::vec2(THUMBNAIL_HEIGHT * texture.aspect_ratio(), THUMBNAIL_HEIGHT);
                let selected = app.gallery.selected == Some(index);
                let name = item.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                // The file name names the thumbnail for screen readers (and tests).
                let image = egui::Image::new(texture).fit_to_exact_size(size).alt_text(name.clone());
                let button = egui::Button::image(image).selected(selected);
                let response = ui.add(button).on_hover_text(format!("{name}\n{}", item.record.settings.prompt));
                if response.clicked() {
                    chosen = Some((index, Action::View));
                }
                response.context_menu(|ui| {
                    let actions = [
                        (texts.reuse_settings, Action::ReuseSettings),
                        (texts.reuse_seed_action, Action::ReuseSeed),
                        (texts.use_as_img2img, Action::UseAsInit),
                        (texts.copy_image, Action::Copy),
                        (texts.save_as, Action::SaveAs),
                        (texts.export_layers, Action::ExportLayers),
                        (texts.reveal, Action::OpenFolder),
                    ];
                    for (label, action) in actions {
                        if ui.button(label).clicked() {
                            chosen = Some((index, action));
                            ui.close();
                        }
                    }
                });
            }
        });
    });
    if let Some((index, action)) = chosen {
        run(app, ui.ctx(), index, action);
    }
}

fn run(app: &mut NurieApp, ctx: &egui::Context, index: usize, action: Action) {
    match action {
        Action::View => app.view_gallery_item(index),
        Action::ReuseSettings => app.reuse_settings(index),
        Action::ReuseSeed => app.reuse_seed(index),
        Action::UseAsInit => app.use_as_init_image(index),
        Action::Copy => copy_image(ctx, &app.gallery.items[index].image),
        Action::SaveAs => {
            let name = app.gallery.items[index].path.file_name().map(|n| n.to_string_lossy().into_owned());
            app.pick(Purpose::SaveAs(index), name);
        }
        Action::ExportLayers => {
            let path = app.gallery.items[index].path.clone();
            app.open_export_dialog(&path);
        }
        Action::OpenFolder => {
            let path = app.gallery.items[index].path.clone();
            app.reveal(&path);
        }
    }
}
