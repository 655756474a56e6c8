//! The user's own LoRA and embedding folders in the ≡ menu: each removable, and a button to add one.
//! They are looked in before the installs' folders, by the browser and by generation.

use crate::app::file_picker::Purpose;
use crate::app::nurie_app::NurieApp;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let (texts, remove) = (app.texts().networks, app.texts().remove_folder);
    let lora = folder_list(ui, texts.lora_folders, &mut app.settings.lora_folders, remove);
    if ui.button(texts.add_lora_folder).clicked() {
        app.pick(Purpose::LoraFolder, None);
    }
    ui.separator();
    let embedding = folder_list(ui, texts.embedding_folders, &mut app.settings.embedding_folders, remove);
    if ui.button(texts.add_embedding_folder).clicked() {
        app.pick(Purpose::EmbeddingFolder, None);
    }
    if lora || embedding {
        app.refresh_networks(false);
    }
}

/// `folders` under `heading`, each with a × that removes it; true when one was removed.
fn folder_list(ui: &mut egui::Ui, heading: &str, folders: &mut Vec<std::path::PathBuf>, remove: &str) -> bool {
    ui.label(heading);
    let mut removed = None;
    for (index, folder) in folders.iter().enumerate() {
        ui.horizontal(|ui| {
            if ui.small_button("×").on_hover_text(remove).clicked() {
                removed = Some(index);
            }
            ui.label(folder.display().to_string());
        });
    }
    removed.map(|index| folders.remove(index)).is_some()
}
