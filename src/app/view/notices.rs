//! Errors and notes at the top of the controls: what happened and what to do, each dismissible.

use crate::app::nurie_app::NurieApp;
use crate::app::worker::ErrorKind;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    let mut dismissed = None;
    for (index, notice) in app.notices.iter().enumerate() {
        let advice = notice.kind.map(|kind| match kind {
            ErrorKind::Model => texts.error_model,
            ErrorKind::Image => texts.error_image,
            ErrorKind::Settings => texts.error_settings,
            ErrorKind::Device => texts.error_device,
            ErrorKind::Output => texts.error_output,
        });
        let color = if notice.kind.is_some() { ui.visuals().error_fg_color } else { ui.visuals().warn_fg_color };
        egui::Frame::group(ui.style()).stroke(egui::Stroke::new(1.0, color)).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(egui::RichText::new(&notice.text).color(color));
            if let Some(advice) = advice {
                ui.label(advice);
            }
            if ui.small_button(texts.dismiss).clicked() {
                dismissed = Some(index);
            }
        });
    }
    if let Some(index) = dismissed {
        app.notices.remove(index);
    }
}
