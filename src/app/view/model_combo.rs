//! A model picker: recent files first, then the models found in other tools' installs and the user's
//! model folders (labelled with where they were found), and a way to add a folder.

use std::path::{Path, PathBuf};

use crate::app::i18n::Texts;
use crate::model_library::FoundModel;

/// What the user did in a model combo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComboChoice {
    /// A model file, or `None` for the "none" entry (e.g. the checkpoint's own VAE).
    Model(Option<PathBuf>),
    AddFolder,
}

/// The entries of one combo.
pub struct ModelCombo<'a> {
    pub id: &'a str,
    pub current: Option<&'a Path>,
    pub recent: &'a [PathBuf],
    pub found: Vec<&'a FoundModel>,
    /// Shown when nothing is chosen; with `none_entry`, also an entry that chooses nothing.
    pub empty: &'a str,
    pub none_entry: bool,
    pub searching: bool,
    pub width: f32,
    /// The label shown before the combo, which names it for screen readers.
    pub label: Option<egui::Id>,
}

impl ModelCombo<'_> {
    pub fn show(self, ui: &mut egui::Ui, texts: &Texts) -> Option<ComboChoice> {
        let mut choice = None;
        let shown = self.current.map_or_else(|| self.empty.to_string(), file_name);
        let combo = egui::ComboBox::from_id_salt(self.id).selected_text(shown).width(self.width).height(480.0);
        let shown = combo.show_ui(ui, |ui| {
            if self.none_entry && ui.selectable_label(self.current.is_none(), self.empty).clicked() {
                choice = Some(ComboChoice::Model(None));
            }
            if !self.recent.is_empty() {
                ui.label(egui::RichText::new(texts.recent).weak().small());
            }
            for file in self.recent {
                let response = ui.selectable_label(self.current == Some(file.as_path()), file_name(file));
                if response.on_hover_text(file.display().to_string()).clicked() {
                    choice = Some(ComboChoice::Model(Some(file.clone())));
                }
            }
            let others: Vec<&FoundModel> = self.found.iter().copied().filter(|m| !self.recent.contains(&m.path)).collect();
            if !others.is_empty() {
                ui.separator();
                ui.label(egui::RichText::new(texts.found_in).weak().small());
            }
            for model in others {
                if found_entry(ui, model, self.current).clicked() {
                    choice = Some(ComboChoice::Model(Some(model.path.clone())));
                }
            }
            if self.searching {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(egui::RichText::new(texts.searching_models).weak());
                });
            }
            ui.separator();
            if ui.button(texts.add_model_folder).clicked() {
                choice = Some(ComboChoice::AddFolder);
            }
        });
        if let Some(label) = self.label {
            shown.response.labelled_by(label);
        }
        choice
    }
}

fn found_entry(ui: &mut egui::Ui, model: &FoundModel, current: Option<&Path>) -> egui::Response {
    let mut text = egui::text::LayoutJob::default();
    let body = egui::TextFormat { color: ui.visuals().text_color(), ..Default::default() };
    let weak = egui::TextFormat { color: ui.visuals().weak_text_color(), ..Default::default() };
    text.append(&model.file_name, 0.0, body);
    text.append(&format!("  {}", model.source), 0.0, weak);
    let hover = format!("{}\n{}", model.path.display(), human_size(model.size_bytes));
    ui.selectable_label(current == Some(model.path.as_path()), text).on_hover_text(hover)
}

pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// "2.0 GB", "320 MB", "12 KB": decimal units, as file managers show them.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if value < 10.0 { format!("{value:.1} {}", UNITS[unit]) } else { format!("{value:.0} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_size(2_132_625_894), "2.1 GB");
        assert_eq!(human_size(319_770_000), "320 MB");
        assert_eq!(human_size(12_000), "12 KB");
        assert_eq!(human_size(500), "0.5 KB");
    }
}
