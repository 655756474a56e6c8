//! The LoRA and embedding browser beside the prompt (shown with its switch by the prompt): a tab per
//! kind, a search by name, and a card per file; a click puts `<lora:NAME:1>` (an embedding's name) in
//! the prompt at its cursor, Shift+click in the negative prompt. The folders are listed, and the
//! pictures decoded, on the browser's service thread ([`crate::app::network_browser`]).

use super::network_card::card;
use super::prompt_panel::insert_network;
use crate::app::network_browser::{Tab, folder_list};
use crate::app::network_texts::NetworkTexts;
use crate::app::nurie_app::NurieApp;

/// What a click on a card asks for: the text to insert, and the LoRA's name (a second click removes it).
struct Clicked {
    snippet: String,
    lora: Option<String>,
    negative: bool,
}

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts().networks;
    top_row(app, ui, texts);
    let search = egui::TextEdit::singleline(&mut app.networks.search).hint_text(texts.search_hint).desired_width(f32::INFINITY);
    ui.add(search);
    if app.networks.is_listing() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(texts.listing);
        });
    }
    let clicked = egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| cards(app, ui, texts)).inner;
    if let Some(clicked) = clicked {
        insert_network(app, ui.ctx(), clicked.negative, &clicked.snippet, clicked.lora.as_deref());
    }
}

fn top_row(app: &mut NurieApp, ui: &mut egui::Ui, texts: &NetworkTexts) {
    let counts = app.networks.listing().map(|listing| (listing.loras.len(), listing.embedding_cards.len()));
    let count = |n: Option<usize>| n.map(|n| format!(" ({n})")).unwrap_or_default();
    let refresh = ui
        .horizontal(|ui| {
            let tab = &mut app.networks.tab;
            ui.selectable_value(tab, Tab::Lora, format!("{}{}", texts.lora_tab, count(counts.map(|c| c.0))));
            ui.selectable_value(tab, Tab::Embedding, format!("{}{}", texts.embedding_tab, count(counts.map(|c| c.1))));
            ui.button(texts.refresh).on_hover_text(texts.refresh_hover).clicked()
        })
        .inner;
    if refresh {
        app.refresh_networks(true);
    }
}

/// The cards of the tab that match the search, then the folders looked in; the card clicked, if any.
fn cards(app: &mut NurieApp, ui: &mut egui::Ui, texts: &NetworkTexts) -> Option<Clicked> {
    let listing = app.networks.listing()?;
    let search = app.networks.search.trim().to_lowercase();
    let matches = |name: &str| search.is_empty() || name.to_lowercase().contains(&search);
    let (entries, folders, none_in): (Vec<Entry>, _, fn(&str) -> String) = match app.networks.tab {
        Tab::Lora => {
            let entries = listing.loras.iter().filter(|lora| matches(&lora.relative)).map(Entry::lora).collect();
            (entries, listing.lora_folders.clone(), texts.no_loras_in)
        }
        Tab::Embedding => {
            let entries = listing.embedding_cards.iter().filter(|card| matches(&card.name)).map(Entry::embedding).collect();
            (entries, listing.embedding_folders.clone(), texts.no_embeddings_in)
        }
    };
    let total = match app.networks.tab {
        Tab::Lora => listing.loras.len(),
        Tab::Embedding => listing.embedding_cards.len(),
    };
    let folder_text = folder_list(&folders, texts.no_folder);
    if total == 0 {
        ui.label(none_in(&folder_text));
    } else if entries.is_empty() {
        ui.label(texts.no_match);
    }
    let clicked = card_grid(app, ui, texts, entries);
    ui.separator();
    ui.collapsing(texts.folders_searched, |ui| {
        for folder in &folders {
            ui.small(folder.display().to_string());
        }
    });
    clicked
}

/// A card's name, file, and what a click inserts.
struct Entry {
    name: String,
    path: std::path::PathBuf,
    snippet: String,
    is_lora: bool,
}

impl Entry {
    fn lora(lora: &crate::networks::lora::FoundLora) -> Self {
        let snippet = format!("<lora:{}:1>", lora.name);
        Self { name: lora.name.clone(), path: lora.path.clone(), snippet, is_lora: true }
    }

    fn embedding(card: &crate::app::network_browser::EmbeddingCard) -> Self {
        Self { name: card.name.clone(), path: card.path.clone(), snippet: card.name.clone(), is_lora: false }
    }
}

fn card_grid(app: &mut NurieApp, ui: &mut egui::Ui, texts: &NetworkTexts, entries: Vec<Entry>) -> Option<Clicked> {
    let mut clicked = None;
    ui.horizontal_wrapped(|ui| {
        for entry in entries {
            let response = card(ui, &entry.name, || app.networks.picture(&entry.path));
            let response = response.on_hover_ui(|ui| {
                let hover = if entry.is_lora { texts.lora_card_hover } else { texts.embedding_card_hover };
                ui.label(hover(&entry.snippet, &entry.path.display().to_string()));
            });
            if response.clicked() {
                let negative = ui.input(|input| input.modifiers.shift || input.modifiers.command);
                let lora = entry.is_lora.then(|| entry.name.clone());
                clicked = Some(Clicked { snippet: entry.snippet, lora, negative });
            }
        }
    });
    clicked
}
