//! Widgets named by the label beside them, so a screen reader says "Steps, 20" rather than "slider".

/// One grid row: `label`, then `widget`, linked; ends the row.
pub fn labelled_row(ui: &mut egui::Ui, label: &str, widget: impl egui::Widget) -> egui::Response {
    let label = ui.label(label);
    let response = ui.add(widget).labelled_by(label.id);
    ui.end_row();
    response
}
