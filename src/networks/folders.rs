//! The folders a prompt's LoRA and embedding names are looked for in: the user's own first, then those
//! of the A1111, Forge, ComfyUI and InvokeAI installs found on this computer.

use std::path::PathBuf;

use crate::model_library::{NetworkFolderKind, SearchBases, network_folders};

/// `user` folders, then the installs' LoRA folders that exist.
pub fn lora_folders(user: &[PathBuf]) -> Vec<PathBuf> {
    with_installs(user, NetworkFolderKind::Lora)
}

/// `user` folders, then the installs' embedding folders that exist.
pub fn embedding_folders(user: &[PathBuf]) -> Vec<PathBuf> {
    with_installs(user, NetworkFolderKind::Embedding)
}

/// `user` folders, then the installs' folders of `kind` that exist.
pub(crate) fn with_installs(user: &[PathBuf], kind: NetworkFolderKind) -> Vec<PathBuf> {
    let installs = network_folders(&SearchBases::of_this_system(), kind).into_iter().filter(|folder| folder.is_dir());
    let mut folders: Vec<PathBuf> = user.to_vec();
    for folder in installs {
        if !folders.contains(&folder) {
            folders.push(folder);
        }
    }
    folders
}
