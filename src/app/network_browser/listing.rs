//! What the browser lists, worked out on its service thread: the LoRA and embedding folders (the
//! user's first, then the installs' found on this computer), their files, and A1111's saved styles.

use std::path::PathBuf;
use std::sync::Arc;

use crate::app::model_search::SearchPlaces;
use crate::app::styles::{PromptStyle, read_styles, style_files};
use crate::model_library::{NetworkFolderKind, SearchBases, network_folders};
use crate::networks::embedding::EmbeddingLibrary;
use crate::networks::lora::{FoundLora, LoraLibrary};

/// Where to look: the installs (as the model search looks for them) and the folders the user added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub places: SearchPlaces,
    pub user_lora_folders: Vec<PathBuf>,
    pub user_embedding_folders: Vec<PathBuf>,
}

/// An embedding as a card shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddingCard {
    pub name: String,
    pub path: PathBuf,
}

/// The folders looked in and what they hold.
#[derive(Debug, Default)]
pub struct Listing {
    pub lora_folders: Vec<PathBuf>,
    /// In name order (letter case aside).
    pub loras: Vec<FoundLora>,
    pub embedding_folders: Vec<PathBuf>,
    /// The embeddings prompts can call (the token counter counts their vectors).
    pub embeddings: Arc<EmbeddingLibrary>,
    /// In name order (letter case aside).
    pub embedding_cards: Vec<EmbeddingCard>,
    pub styles: Vec<PromptStyle>,
}

impl Listing {
    /// Whether a prompt's `<lora:NAME…>` finds a file, by the rule of [`LoraLibrary::find`]: the file
    /// name or the path below the folder, letter case aside.
    pub fn has_lora(&self, name: &str) -> bool {
        let wanted = name.replace('\\', "/");
        self.loras.iter().any(|lora| lora.name.eq_ignore_ascii_case(&wanted) || lora.relative.eq_ignore_ascii_case(&wanted))
    }
}

/// Lists the folders of `request` (slow: walks folders, reads no network file).
pub fn list(request: &ListRequest) -> Listing {
    let (lora_folders, embedding_folders) = folders(request);
    let mut loras = LoraLibrary::new(lora_folders.clone()).found().to_vec();
    loras.sort_by_key(|lora| lora.name.to_lowercase());
    let embeddings = EmbeddingLibrary::scan(&embedding_folders);
    read_embeddings(&embeddings);
    let mut embedding_cards: Vec<EmbeddingCard> = embeddings
        .names()
        .filter_map(|name| Some(EmbeddingCard { name: name.to_string(), path: embeddings.path(name)?.to_path_buf() }))
        .collect();
    embedding_cards.sort_by_key(|card| card.name.to_lowercase());
    let styles = read_styles(&style_files(&bases(&request.places)));
    Listing { lora_folders, loras, embedding_folders, embeddings: Arc::new(embeddings), embedding_cards, styles }
}

/// Reads every embedding here, off the UI thread, so the token counter (which counts each one's
/// vectors as the user types) finds them read. A file that cannot be used is left for generating to
/// explain.
fn read_embeddings(library: &EmbeddingLibrary) {
    let names: Vec<String> = library.names().map(str::to_string).collect();
    for name in names {
        let _ = library.get(&name, None);
    }
}

/// The user's folders, then the installs' that exist: [`crate::networks::lora_folders`] and
/// [`crate::networks::embedding_folders`] on this computer, the same rule over given places (tests).
fn folders(request: &ListRequest) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let (loras, embeddings) = (&request.user_lora_folders, &request.user_embedding_folders);
    match &request.places {
        SearchPlaces::ThisSystem => (crate::networks::lora_folders(loras), crate::networks::embedding_folders(embeddings)),
        SearchPlaces::Given(bases) => {
            (with_installs(loras, bases, NetworkFolderKind::Lora), with_installs(embeddings, bases, NetworkFolderKind::Embedding))
        }
    }
}

fn with_installs(user: &[PathBuf], bases: &SearchBases, kind: NetworkFolderKind) -> Vec<PathBuf> {
    let mut folders = user.to_vec();
    for folder in network_folders(bases, kind).into_iter().filter(|folder| folder.is_dir()) {
        if !folders.contains(&folder) {
            folders.push(folder);
        }
    }
    folders
}

fn bases(places: &SearchPlaces) -> SearchBases {
    match places {
        SearchPlaces::ThisSystem => SearchBases::of_this_system(),
        SearchPlaces::Given(bases) => bases.clone(),
    }
}

/// The folders as the window names them: a list, or `none` when there is none.
pub fn folder_list(folders: &[PathBuf], none: &str) -> String {
    match folders {
        [] => none.to_string(),
        _ => folders.iter().map(|folder| folder.display().to_string()).collect::<Vec<_>>().join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_user_folders_then_install_folders() {
        let parent = tempfile::tempdir().expect("temp");
        let webui = parent.path().join("stable-diffusion-webui");
        std::fs::create_dir_all(webui.join("models/Lora/styles")).expect("dirs");
        std::fs::create_dir_all(webui.join("embeddings")).expect("dirs");
        std::fs::write(webui.join("models/Lora/styles/Ink.safetensors"), b"x").expect("file");
        std::fs::write(webui.join("embeddings/EasyNegative.safetensors"), b"x").expect("file");
        let mine = tempfile::tempdir().expect("temp");
        std::fs::write(mine.path().join("flat.safetensors"), b"x").expect("file");
        let bases = SearchBases { parents: vec![parent.path().to_path_buf()], invokeai_root: None, downloads: vec![] };
        let request = ListRequest {
            places: SearchPlaces::Given(bases),
            user_lora_folders: vec![mine.path().to_path_buf()],
            user_embedding_folders: vec![],
        };
        let listing = list(&request);
        assert_eq!(listing.lora_folders[0], mine.path());
        assert_eq!(listing.lora_folders.len(), 2, "{:?}", listing.lora_folders);
        let names: Vec<&str> = listing.loras.iter().map(|lora| lora.name.as_str()).collect();
        assert_eq!(names, ["flat", "Ink"]);
        assert!(listing.has_lora("ink") && listing.has_lora("styles/Ink") && listing.has_lora("styles\\Ink"));
        assert!(!listing.has_lora("missing"));
        assert_eq!(listing.embedding_cards.len(), 1);
        assert_eq!(listing.embedding_cards[0].name, "EasyNegative");
    }
}
