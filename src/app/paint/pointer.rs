//! The pointer's part in painting, the same for every painted layer: where on the picture it is, the
//! brush's outline as cursor, the undo shortcuts, and the layer's texture kept up to date.

/// What the history shortcuts asked for this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryKeys {
    pub undo: bool,
    pub redo: bool,
}

/// The point under `pos` relative to `screen` (where the whole picture lies on screen): 0..1 on each
/// axis inside it.
pub fn relative(pos: egui::Pos2, screen: egui::Rect) -> egui::Pos2 {
    ((pos - screen.min) / screen.size()).to_pos2()
}

/// The pixel under `pos` of a `size` picture shown at `screen`, in pixels (fractions kept).
pub fn pixel_at(pos: egui::Pos2, screen: egui::Rect, (width, height): (u32, u32)) -> (f32, f32) {
    let at = relative(pos, screen);
    (at.x * width as f32, at.y * height as f32)
}

/// Ctrl+Z undoes, Ctrl+Shift+Z and Ctrl+Y redo, while the pointer is over `response` or it has the
/// focus, and no text field is being edited (which has its own undo).
pub fn history_keys(ui: &egui::Ui, response: &egui::Response) -> HistoryKeys {
    if !(response.hovered() || response.has_focus()) || ui.ctx().text_edit_focused() {
        return HistoryKeys::default();
    }
    ui.input_mut(|input| {
        let command_shift = egui::Modifiers::COMMAND | egui::Modifiers::SHIFT;
        let redo = input.consume_key(command_shift, egui::Key::Z) || input.consume_key(egui::Modifiers::COMMAND, egui::Key::Y);
        HistoryKeys { redo, undo: input.consume_key(egui::Modifiers::COMMAND, egui::Key::Z) }
    })
}

/// The brush's outline (`diameter` pixels of a picture `picture_width` pixels wide, shown at `screen`)
/// under the pointer, in black and white so it shows on any picture, instead of the pointer.
pub fn brush_outline(ui: &egui::Ui, response: &egui::Response, screen: egui::Rect, picture_width: u32, diameter: f32) {
    let Some(pointer) = response.hover_pos() else { return };
    let scale = screen.width() / picture_width.max(1) as f32;
    let radius = (diameter / 2.0 * scale).max(1.0);
    let painter = ui.painter().with_clip_rect(response.rect);
    painter.circle_stroke(pointer, radius + 1.0, egui::Stroke::new(1.0, egui::Color32::BLACK));
    painter.circle_stroke(pointer, radius, egui::Stroke::new(1.0, egui::Color32::WHITE));
    ui.ctx().set_cursor_icon(egui::CursorIcon::None);
}

/// The texture named `name` showing a layer: made by `image` when there is none yet or the layer
/// `changed`, else the one uploaded before. `None` for an empty picture.
pub fn layer_texture(
    texture: &mut Option<egui::TextureHandle>,
    ctx: &egui::Context,
    name: &str,
    changed: bool,
    image: impl FnOnce() -> egui::ColorImage,
) -> Option<egui::TextureId> {
    if changed || texture.is_none() {
        let image = image();
        if image.size.contains(&0) {
            *texture = None;
            return None;
        }
        match texture {
            Some(texture) => texture.set(image, egui::TextureOptions::NEAREST),
            None => *texture = Some(ctx.load_texture(name, image, egui::TextureOptions::NEAREST)),
        }
    }
    texture.as_ref().map(egui::TextureHandle::id)
}
