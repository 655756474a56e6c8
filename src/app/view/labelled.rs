//! Widgets named for screen readers (by the label beside them, so a screen reader says "Steps, 20"
//! rather than "slider"), and the combo box of fixed options the panels share.

/// A setting's name and what it does, shown when the pointer rests on it (as A1111's hints).
#[derive(Debug, Clone, Copy)]
pub struct SettingText {
    pub name: &'static str,
    pub hover: &'static str,
}

/// A setting's name and explanation, for the panels' text tables.
pub const fn text(name: &'static str, hover: &'static str) -> SettingText {
    SettingText { name, hover }
}

/// One grid row for a setting: its name, then `widget`, linked, both explained on hover; ends the row.
pub fn setting_row(ui: &mut egui::Ui, text: SettingText, widget: impl egui::Widget) -> egui::Response {
    let label = ui.label(text.name).on_hover_text(text.hover);
    let response = ui.add(widget).labelled_by(label.id).on_hover_text(text.hover);
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

/// A labelled, explained combo box over `options` (value, label), as one grid row.
pub fn choice<T: PartialEq + Copy>(
    ui: &mut egui::Ui,
    text: SettingText,
    id: impl std::hash::Hash + std::fmt::Debug,
    value: &mut T,
    options: &[(T, &str)],
) {
    let label = ui.label(text.name).on_hover_text(text.hover);
    options_combo(ui, id, value, options).labelled_by(label.id).on_hover_text(text.hover);
    ui.end_row();
}
