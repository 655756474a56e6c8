//! Where the common tools keep LoRAs and textual-inversion embeddings, which prompts call by name:
//! A1111 and Forge `models/Lora`, `models/LyCORIS` and `embeddings/`; ComfyUI `models/loras` and
//! `models/embeddings`; InvokeAI 3–4 `models/sd-1/lora` and `models/sd-1/embedding`. And their upscalers,
//! which hires fix and upscaling call by name: A1111 and Forge `models/ESRGAN` and `models/RealESRGAN`,
//! ComfyUI `models/upscale_models`, InvokeAI `models/core/upscaling/realesrgan`. Most of these will not
//! exist; callers skip those.

use std::path::PathBuf;

use super::known_folders::{INSTALLS, INVOKEAI_FOLDER, SearchBases, Source, forge_packages, join_relative};

/// The kinds of add-on network a picture's settings name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkFolderKind {
    Lora,
    Embedding,
    /// ESRGAN-family upscalers (hires fix, `nurie upscale`).
    Upscaler,
}

impl NetworkFolderKind {
    /// The folders, relative to the install, of each tool.
    fn relative(self, source: Source) -> &'static [&'static str] {
        match (self, source) {
            (Self::Lora, Source::ComfyUI) => &["models/loras"],
            (Self::Lora, Source::InvokeAI) => &["models/sd-1/lora"],
            (Self::Lora, _) => &["models/Lora", "models/LyCORIS"],
            (Self::Embedding, Source::ComfyUI) => &["models/embeddings"],
            (Self::Embedding, Source::InvokeAI) => &["models/sd-1/embedding"],
            (Self::Embedding, _) => &["embeddings"],
            (Self::Upscaler, Source::ComfyUI) => &["models/upscale_models"],
            (Self::Upscaler, Source::InvokeAI) => &["models/core/upscaling/realesrgan"],
            (Self::Upscaler, _) => &["models/ESRGAN", "models/RealESRGAN"],
        }
    }
}

/// Every folder under `bases` where a known tool keeps networks of `kind`, in the order of the model
/// folders (A1111, Forge, ComfyUI, InvokeAI under each parent).
pub fn network_folders(bases: &SearchBases, kind: NetworkFolderKind) -> Vec<PathBuf> {
    let mut folders = Vec::new();
    let mut add = |install: PathBuf, source: Source| {
        folders.extend(kind.relative(source).iter().map(|relative| join_relative(&install, relative)));
    };
    for parent in &bases.parents {
        for install in INSTALLS {
            add(join_relative(parent, install.folder), install.source);
        }
        for package in forge_packages(parent) {
            add(package.join("webui"), Source::Forge);
        }
        add(parent.join(INVOKEAI_FOLDER), Source::InvokeAI);
    }
    if let Some(root) = &bases.invokeai_root {
        add(root.clone(), Source::InvokeAI);
    }
    folders
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tool_layout_has_its_lora_and_embedding_folders() {
        let home = PathBuf::from("/home/u");
        let bases = SearchBases { parents: vec![home.clone()], invokeai_root: None, downloads: vec![] };
        let loras = network_folders(&bases, NetworkFolderKind::Lora);
        assert!(loras.contains(&home.join("stable-diffusion-webui").join("models").join("Lora")));
        assert!(loras.contains(&home.join("stable-diffusion-webui").join("models").join("LyCORIS")));
        assert!(loras.contains(&home.join("ComfyUI").join("models").join("loras")));
        assert!(loras.contains(&home.join("invokeai").join("models").join("sd-1").join("lora")));
        let embeddings = network_folders(&bases, NetworkFolderKind::Embedding);
        assert!(embeddings.contains(&home.join("stable-diffusion-webui").join("embeddings")));
        assert!(embeddings.contains(&home.join("ComfyUI_windows_portable").join("ComfyUI").join("models").join("embeddings")));
        let upscalers = network_folders(&bases, NetworkFolderKind::Upscaler);
        assert!(upscalers.contains(&home.join("stable-diffusion-webui").join("models").join("ESRGAN")));
        assert!(upscalers.contains(&home.join("ComfyUI").join("models").join("upscale_models")));
    }
}
