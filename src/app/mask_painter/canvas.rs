//! The picture with the mask over it as a translucent color, painted on with the pointer: the brush's
//! outline as cursor, Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y) while the pointer is over it, the wheel zooming
//! and the middle button panning in the painter's own view.

use std::path::Path;

use super::painter::MaskPainter;
use super::source::Shown;
use super::texts::MaskTexts;
use crate::app::paint::pointer;
use crate::app::view::picture;

/// The mask's color over the picture, and how opaque a fully marked pixel is (0–255): the picture
/// must stay visible under it.
const OVERLAY_COLOR: [u8; 3] = [255, 48, 96];
const OVERLAY_OPACITY: f32 = 140.0;
/// The tallest the canvas grows (in points) before it narrows to keep the picture's shape.
const MAX_CANVAS_HEIGHT: f32 = 420.0;

impl MaskPainter {
    /// The toolbar and the canvas over `picture` (read in the background the first time it is
    /// shown). Returns whether "Load mask…" was clicked.
    pub fn ui(&mut self, ui: &mut egui::Ui, picture: &Path, texts: &MaskTexts) -> bool {
        self.follow(picture, ui.ctx());
        self.poll(ui.ctx());
        let shown = self.source.shown();
        let load = self.toolbar(ui, texts, matches!(shown, Shown::Ready(..)));
        match shown {
            Shown::Loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(texts.loading);
                });
            }
            Shown::Ready(texture, size) => self.canvas(ui, texture, size, texts),
            Shown::Failed(why) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("{}: {why}", texts.unreadable));
            }
        }
        if let Some(why) = &self.mask_file_error {
            ui.colored_label(ui.visuals().error_fg_color, format!("{}: {why}", texts.unreadable));
        }
        load
    }

    fn canvas(&mut self, ui: &mut egui::Ui, texture: egui::TextureId, (width, height): (u32, u32), texts: &MaskTexts) {
        let aspect = width as f32 / height.max(1) as f32;
        // Exactly the picture's shape: the frame then fills the allocated space.
        let side = ui.available_width().min(MAX_CANVAS_HEIGHT * aspect);
        let (response, rect) = picture::canvas(ui, egui::vec2(side, side / aspect), &mut self.view, aspect);
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, texts.canvas));
        let whole = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
        picture::paint(ui.painter(), rect, rect, &self.view, texture, whole);
        let screen = picture::on_screen(rect, &self.view, whole);
        self.paint_with_pointer(ui, &response, screen);
        if let Some(overlay) = self.overlay_texture(ui.ctx()) {
            ui.painter().with_clip_rect(rect).image(overlay, screen, whole, egui::Color32::WHITE);
        }
        pointer::brush_outline(ui, &response, screen, width, self.brush_size as f32);
        ui.small(texts.how_to);
    }

    /// Paints or erases with the primary button on `response`, and takes the undo shortcuts.
    fn paint_with_pointer(&mut self, ui: &egui::Ui, response: &egui::Response, screen: egui::Rect) {
        let keys = pointer::history_keys(ui, response);
        if keys.redo {
            self.redo();
        }
        if keys.undo {
            self.undo();
        }
        let primary_down = ui.input(|input| input.pointer.primary_down());
        match response.interact_pointer_pos() {
            Some(pos) if primary_down && response.is_pointer_button_down_on() => {
                let at = pointer::pixel_at(pos, screen, self.strokes.size());
                if self.is_stroking() { self.drag_to(at) } else { self.press(at) }
            }
            _ => self.release(),
        }
    }

    /// The mask as a colored, translucent picture, uploaded again only when it changed.
    fn overlay_texture(&mut self, ctx: &egui::Context) -> Option<egui::TextureId> {
        let changed = self.strokes.take_changed();
        let mask = self.strokes.picture();
        let image = || {
            let [r, g, b] = OVERLAY_COLOR;
            let pixels = mask.pixels().map(|pixel| {
                let alpha = (f32::from(pixel.0[0]) * OVERLAY_OPACITY / 255.0).round() as u8;
                egui::Color32::from_rgba_unmultiplied(r, g, b, alpha)
            });
            egui::ColorImage::new([mask.width() as usize, mask.height() as usize], pixels.collect())
        };
        pointer::layer_texture(&mut self.overlay, ctx, "inpaint-mask", changed, image)
    }
}
