//! The mask painter's controls: tools, brush size and feather, then history, invert, clear, loading a
//! mask file and fitting the picture in view.

use super::painter::{BRUSH_SIZES, MaskPainter};
use super::texts::MaskTexts;
use super::tool::MaskTool;
use crate::app::view_state::ZoomPan;

impl MaskPainter {
    /// The toolbar; returns whether "Load mask…" was clicked (the window opens its file dialog and
    /// hands the file to [`MaskPainter::load_file`]).
    pub(super) fn toolbar(&mut self, ui: &mut egui::Ui, texts: &MaskTexts, ready: bool) -> bool {
        ui.horizontal_wrapped(|ui| self.tools(ui, texts));
        ui.horizontal_wrapped(|ui| self.buttons(ui, texts, ready)).inner
    }

    fn tools(&mut self, ui: &mut egui::Ui, texts: &MaskTexts) {
        ui.selectable_value(&mut self.tool, MaskTool::Brush, texts.brush).on_hover_text(texts.brush_hover);
        ui.selectable_value(&mut self.tool, MaskTool::Eraser, texts.eraser).on_hover_text(texts.eraser_hover);
        let label = ui.label(texts.size).on_hover_text(texts.size_hover);
        let size = egui::Slider::new(&mut self.brush_size, BRUSH_SIZES).logarithmic(true);
        ui.add(size).labelled_by(label.id).on_hover_text(texts.size_hover);
        let label = ui.label(texts.feather).on_hover_text(texts.feather_hover);
        let feather = egui::Slider::new(&mut self.feather, 0.0..=1.0).step_by(0.05);
        ui.add(feather).labelled_by(label.id).on_hover_text(texts.feather_hover);
    }

    fn buttons(&mut self, ui: &mut egui::Ui, texts: &MaskTexts, ready: bool) -> bool {
        if ui.add_enabled(self.can_undo(), egui::Button::new(texts.undo)).on_hover_text("Ctrl+Z").clicked() {
            self.undo();
        }
        if ui.add_enabled(self.can_redo(), egui::Button::new(texts.redo)).on_hover_text("Ctrl+Y").clicked() {
            self.redo();
        }
        if ui.add_enabled(ready, egui::Button::new(texts.invert)).on_hover_text(texts.invert_hover).clicked() {
            self.invert();
        }
        if ui.add_enabled(ready, egui::Button::new(texts.clear)).on_hover_text(texts.clear_hover).clicked() {
            self.clear();
        }
        if ui.button(texts.fit).on_hover_text(texts.fit_hover).clicked() {
            self.view = ZoomPan::default();
        }
        ui.add_enabled(ready, egui::Button::new(texts.load_mask)).on_hover_text(texts.load_mask_hover).clicked()
    }
}
