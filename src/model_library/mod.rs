//! The models a user already has: found in the installs of other Stable Diffusion tools (A1111, Forge,
//! ComfyUI, InvokeAI) and in folders the user adds, so picking a model never starts with a file dialog.
//!
//! [`known_folders`] says where each tool keeps its checkpoints, VAEs and ControlNets; [`scan`] walks those
//! folders and lists the model files with their kind, taken from the folder and confirmed by a look at
//! each `.safetensors` header. Scanning touches the disk: run it on a background thread.
//!
//! ```no_run
//! use nurie::model_library::{SearchBases, folders_to_scan, scan};
//! let added = vec![std::path::PathBuf::from("/data/models")];
//! let found = scan(&folders_to_scan(&SearchBases::of_this_system(), &added));
//! ```

mod header_peek;
mod kind;
mod known_folders;
mod network_folders;
mod scan;

#[cfg(test)]
mod install_tree_tests;

pub use header_peek::{HeaderError, kind_from_header, kind_from_tensor_names};
pub use kind::{LineArtFlavour, ModelKind, kind_from_folder_name};
pub use known_folders::{ModelFolder, SearchBases, Source, known_folders};
pub use network_folders::{NetworkFolderKind, network_folders};
pub use scan::{FoundModel, MAX_DEPTH, ScanOutcome, scan};

use std::path::PathBuf;

/// Every folder the model bar scans: the known installs under `bases`, then the folders the user added
/// (so a file in both is labelled with its tool).
pub fn folders_to_scan(bases: &SearchBases, added: &[PathBuf]) -> Vec<ModelFolder> {
    let mut folders = known_folders(bases);
    folders.extend(added.iter().cloned().map(ModelFolder::added));
    folders
}
