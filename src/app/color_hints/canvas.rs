//! The hint layer on the line art: shown as a semi-opaque overlay, painted on with the pointer, with
//! the brush's outline as cursor and Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y) while the pointer is over it.

use image::RgbImage;

use super::layer::HintLayer;
use super::tool::Tool;
use crate::app::paint::pointer;

/// How opaque the hints are over the line art (0–255): the lines must stay visible under them.
const OVERLAY_OPACITY: u8 = 170;

impl HintLayer {
    /// Paints the hints over the line art. `screen` is where the whole generation frame lies on
    /// screen (beyond the view when zoomed in), `clip` the part that is visible.
    pub fn show_overlay(&mut self, ui: &egui::Ui, screen: egui::Rect, clip: egui::Rect) {
        let Some(texture) = self.texture(ui.ctx()) else { return };
        let whole = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
        let tint = egui::Color32::from_white_alpha(OVERLAY_OPACITY);
        ui.painter().with_clip_rect(clip).image(texture, screen, whole, tint);
    }

    /// Paints, erases or picks a color with the pointer on `response` (the line art's frame, which
    /// then must not pan with the primary button), and takes the undo shortcuts. `result` is the
    /// finished picture on view, for the eyedropper.
    pub fn paint_with_pointer(
        &mut self,
        ui: &egui::Ui,
        response: &egui::Response,
        screen: egui::Rect,
        result: Option<&RgbImage>,
    ) {
        let keys = pointer::history_keys(ui, response);
        if keys.redo {
            self.redo();
        }
        if keys.undo {
            self.undo();
        }
        let relative = |pos: egui::Pos2| pointer::relative(pos, screen);
        let primary_down = ui.input(|input| input.pointer.primary_down());
        let pointer = response.interact_pointer_pos();
        match (self.tool, pointer) {
            (Tool::Eyedropper, Some(pos)) if response.clicked() || response.drag_stopped() => self.pick(result, relative(pos)),
            (Tool::Eyedropper, _) => {}
            (_, Some(pos)) if primary_down && response.is_pointer_button_down_on() => {
                let at = self.pixel_at(relative(pos));
                if self.is_stroking() { self.drag_to(at) } else { self.press(at) }
            }
            _ => self.release(),
        }
    }

    /// The brush's outline under the pointer (a crosshair for the eyedropper), over the overlay.
    pub fn show_cursor(&self, ui: &egui::Ui, response: &egui::Response, screen: egui::Rect) {
        if self.tool == Tool::Eyedropper {
            if response.hovered() {
                ui.ctx().set_cursor_icon(egui::CursorIcon::Crosshair);
            }
            return;
        }
        pointer::brush_outline(ui, response, screen, self.size().0, self.brush_size as f32);
    }

    /// The overlay's texture, uploaded again only when the hints changed.
    fn texture(&mut self, ctx: &egui::Context) -> Option<egui::TextureId> {
        let changed = self.strokes.take_changed();
        let (width, height) = self.size();
        let pixels = self.strokes.picture();
        let image = || egui::ColorImage::from_rgba_unmultiplied([width as usize, height as usize], pixels.as_raw());
        pointer::layer_texture(&mut self.texture, ctx, "color-hints", changed, image)
    }
}
