//! The history's side bar: the import folders, tags and models the pictures can be narrowed to, each
//! with its picture count; a folder can be forgotten (its pictures leave the history, the files stay).

use std::path::{Path, PathBuf};

use crate::app::i18n::Texts;
use crate::app::nurie_app::NurieApp;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    egui::ScrollArea::vertical().show(ui, |ui| {
        folders(app, ui, texts);
        ui.separator();
        let tags = app.history.facets.tags.clone();
        ui.label(egui::RichText::new(texts.tags).strong());
        choices(ui, texts.all_tags, &mut app.history.filters.tag, &tags, |tag| tag.clone(), |_| None);
        ui.separator();
        let models = app.history.facets.models.clone();
        ui.label(egui::RichText::new(texts.models).strong());
        choices(ui, texts.all_models, &mut app.history.filters.model, &models, |model| model.clone(), |_| None);
    });
}

fn folders(app: &mut NurieApp, ui: &mut egui::Ui, texts: &Texts) {
    ui.label(egui::RichText::new(texts.folders).strong());
    let folders: Vec<(PathBuf, usize)> =
        app.history.facets.folders.iter().map(|folder| (folder.path.clone(), folder.image_count)).collect();
    choices(
        ui,
        texts.all_folders,
        &mut app.history.filters.folder,
        &folders,
        |path| folder_name(path),
        |path| Some(path.display().to_string()),
    );
    if let Some(folder) = app.history.filters.folder.clone()
        && ui.button(texts.forget_folder).on_hover_text(folder.display().to_string()).clicked()
    {
        app.history.forget_asked = Some(folder);
    }
    if let Some(folder) = app.history.forget_asked.clone() {
        confirm_forget(app, ui, texts, folder);
    }
}

/// The question before a folder is forgotten, in the side bar itself.
fn confirm_forget(app: &mut NurieApp, ui: &mut egui::Ui, texts: &Texts, folder: PathBuf) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(egui::RichText::new(folder.display().to_string()).strong());
        ui.add(egui::Label::new(texts.forget_folder_question).wrap());
        ui.horizontal(|ui| {
            if ui.button(texts.forget).clicked() {
                app.history.forget_asked = None;
                app.history.forget_folder(folder);
            }
            if ui.button(texts.keep).clicked() {
                app.history.forget_asked = None;
            }
        });
    });
}

/// "All …" and one selectable entry per value (with its count); clicking the chosen one again clears it.
fn choices<T: Clone + PartialEq>(
    ui: &mut egui::Ui,
    all: &str,
    chosen: &mut Option<T>,
    values: &[(T, usize)],
    name: impl Fn(&T) -> String,
    hover: impl Fn(&T) -> Option<String>,
) {
    if ui.selectable_label(chosen.is_none(), all).clicked() {
        *chosen = None;
    }
    for (value, count) in values {
        let selected = chosen.as_ref() == Some(value);
        let mut entry = ui.selectable_label(selected, format!("{} ({count})", name(value)));
        if let Some(text) = hover(value) {
            entry = entry.on_hover_text(text);
        }
        if entry.clicked() {
            *chosen = if selected { None } else { Some(value.clone()) };
        }
    }
}

/// The last two parts of a folder's path (`webui/outputs`), which tell most folders apart.
fn folder_name(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter(|part| matches!(part, std::path::Component::Normal(_)))
        .rev()
        .take(2)
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        return path.display().to_string();
    }
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_named_by_their_last_two_parts() {
        assert_eq!(folder_name(Path::new("/home/aki/stable-diffusion-webui/outputs/txt2img-images")), "outputs/txt2img-images");
        assert_eq!(folder_name(Path::new("/pictures")), "pictures");
        assert_eq!(folder_name(Path::new("/")), "/");
    }
}
