//! Widgets named for screen readers (by the label beside them, so a screen reader says "Steps, 20"
//! rather than "slider"), and the combo box of fixed options the panels share.

/// One grid row: `label`, then `widget`, linked; ends the row.
pub fn labelled_row(ui: &mut egui::Ui, label: &str, widget: impl egui::Widget) -> egui::Response {
    let label = ui.label(label);
    let response = ui.add(widget).labelled_by(label.id);
    ui.end_row();
    response
}

/// A combo box over `options` (value, text) showing the chosen one's text; the caller names it.
pub fn options_combo<T: PartialEq + Copy>(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug,
    value: &mut T,
    options: &[(T, &str)],
) -> egui::Response {
    let shown = options.iter().find(|(v, _)| v == value).map_or("", |(_, text)| text);
    egui::ComboBox::from_id_salt(id)
        .selected_text(shown)
        .show_ui(ui, |ui| {
            for (option, text) in options {
                ui.selectable_value(value, *option, *text);
            }
        })
        .response
}
