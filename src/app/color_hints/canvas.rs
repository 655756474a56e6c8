//! The hint layer on the line art: shown as a semi-opaque overlay, painted on with the pointer, with
//! the brush's outline as cursor and Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y) while the pointer is over it.

use image::RgbImage;

use super::layer::HintLayer;
use super::tool::Tool;

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
        self.take_shortcuts(ui, response);
        let relative = |pos: egui::Pos2| ((pos - screen.min) / screen.size()).to_pos2();
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
        let Some(pointer) = response.hover_pos() else { return };
        if self.tool == Tool::Eyedropper {
            ui.ctx().set_cursor_icon(egui::CursorIcon::Crosshair);
            return;
        }
        let scale = screen.width() / self.size().0.max(1) as f32;
        let radius = (self.brush_size as f32 / 2.0 * scale).max(1.0);
        let painter = ui.painter().with_clip_rect(response.rect);
        painter.circle_stroke(pointer, radius + 1.0, egui::Stroke::new(1.0, egui::Color32::BLACK));
        painter.circle_stroke(pointer, radius, egui::Stroke::new(1.0, egui::Color32::WHITE));
        ui.ctx().set_cursor_icon(egui::CursorIcon::None);
    }

    /// Ctrl+Z undoes, Ctrl+Shift+Z and Ctrl+Y redo, while the pointer is over the line art or it has
    /// the focus, and no text field is being edited (which has its own undo).
    fn take_shortcuts(&mut self, ui: &egui::Ui, response: &egui::Response) {
        if !(response.hovered() || response.has_focus()) || ui.ctx().text_edit_focused() {
            return;
        }
        let (redo, undo) = ui.input_mut(|input| {
            let command_shift = egui::Modifiers::COMMAND | egui::Modifiers::SHIFT;
            let redo =
                input.consume_key(command_shift, egui::Key::Z) || input.consume_key(egui::Modifiers::COMMAND, egui::Key::Y);
            (redo, input.consume_key(egui::Modifiers::COMMAND, egui::Key::Z))
        });
        if redo {
            self.redo();
        }
        if undo {
            self.undo();
        }
    }

    /// The overlay's texture, uploaded again only when the hints changed.
    fn texture(&mut self, ctx: &egui::Context) -> Option<egui::TextureId> {
        let (width, height) = self.size();
        if width == 0 || height == 0 {
            return None;
        }
        if self.changed || self.texture.is_none() {
            let image = egui::ColorImage::from_rgba_unmultiplied([width as usize, height as usize], self.pixels().as_raw());
            match &mut self.texture {
                Some(texture) => texture.set(image, egui::TextureOptions::NEAREST),
                None => self.texture = Some(ctx.load_texture("color-hints", image, egui::TextureOptions::NEAREST)),
            }
            self.changed = false;
        }
        self.texture.as_ref().map(egui::TextureHandle::id)
    }
}
