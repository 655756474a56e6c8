//! The hint layer's controls: the "Paint hints" toggle, and while it is on the tools, the brush
//! size, the palette and the history buttons.

use egui::Color32;

use super::layer::{BRUSH_SIZES, HintLayer};
use super::palette::{SWATCHES, hex};
use super::texts::HintTexts;
use super::tool::Tool;

/// A swatch's side, in points.
const SWATCH_SIZE: f32 = 18.0;

impl HintLayer {
    /// The "Paint hints" toggle.
    pub fn toggle(&mut self, ui: &mut egui::Ui, texts: &HintTexts) {
        if ui.toggle_value(&mut self.painting, texts.paint_hints).on_hover_text(texts.paint_hints_hover).changed() {
            self.release();
        }
    }

    /// The tools, size, palette and history buttons (shown while painting).
    pub fn toolbar(&mut self, ui: &mut egui::Ui, texts: &HintTexts) {
        ui.horizontal_wrapped(|ui| self.tools(ui, texts));
        ui.horizontal_wrapped(|ui| self.palette(ui, texts));
        ui.horizontal_wrapped(|ui| self.history_buttons(ui, texts));
    }

    fn tools(&mut self, ui: &mut egui::Ui, texts: &HintTexts) {
        ui.selectable_value(&mut self.tool, Tool::Brush, texts.brush);
        ui.selectable_value(&mut self.tool, Tool::Eraser, texts.eraser);
        ui.selectable_value(&mut self.tool, Tool::Eyedropper, texts.eyedropper).on_hover_text(texts.eyedropper_hover);
        let label = ui.label(texts.size).on_hover_text(texts.size_hover);
        ui.add(egui::Slider::new(&mut self.brush_size, BRUSH_SIZES)).labelled_by(label.id).on_hover_text(texts.size_hover);
    }

    /// The color picker, the fixed swatches, then the recent colors.
    fn palette(&mut self, ui: &mut egui::Ui, texts: &HintTexts) {
        let mut color = self.color;
        let picker = egui::color_picker::color_edit_button_srgba(ui, &mut color, egui::color_picker::Alpha::Opaque);
        // Read out in the window's language, not as egui's English "Color".
        picker.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ColorWell, true, texts.pick_color));
        if picker.on_hover_text(texts.pick_color).changed() {
            self.choose(color);
        }
        ui.separator();
        for (color, name) in SWATCHES.iter().zip(texts.swatches) {
            if swatch(ui, *color, name, *color == self.color).clicked() {
                self.choose(*color);
            }
        }
        let recent = self.recent().to_vec();
        if !recent.is_empty() {
            ui.separator();
        }
        for color in recent {
            let name = format!("{} {}", texts.recent, hex(color));
            if swatch(ui, color, &name, color == self.color).clicked() {
                self.choose(color);
            }
        }
    }

    fn history_buttons(&mut self, ui: &mut egui::Ui, texts: &HintTexts) {
        if ui.add_enabled(self.can_undo(), egui::Button::new(texts.undo)).on_hover_text("Ctrl+Z").clicked() {
            self.undo();
        }
        if ui.add_enabled(self.can_redo(), egui::Button::new(texts.redo)).on_hover_text("Ctrl+Y").clicked() {
            self.redo();
        }
        if ui.button(texts.clear).on_hover_text(texts.clear_hover).clicked() {
            self.clear();
        }
    }
}

/// A clickable square of `color`, read out and explained as `name`, outlined when it is the color in use.
fn swatch(ui: &mut egui::Ui, color: Color32, name: &str, selected: bool) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(SWATCH_SIZE, SWATCH_SIZE), egui::Sense::click());
    response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, ui.is_enabled(), selected, name));
    ui.painter().rect_filled(rect, 3.0, color);
    let outline = if selected || response.hovered() {
        ui.visuals().selection.stroke
    } else {
        ui.visuals().widgets.noninteractive.bg_stroke
    };
    let width = if selected { 2.0 } else { outline.width };
    ui.painter().rect_stroke(rect, 3.0, egui::Stroke::new(width, outline.color), egui::StrokeKind::Outside);
    response.on_hover_text(name)
}
