//! What a found model file is for, and what its folder's name says about that.

/// The role of a model file. The order is the order the model bar lists them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModelKind {
    Checkpoint,
    Vae,
    ControlNet,
    /// Found by its keys where a checkpoint was expected; listed so the UI can leave it out knowingly.
    Lora,
    /// Neither the folder nor the file's header said (a `.ckpt` in a folder with no telling name).
    Unknown,
}

impl ModelKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Checkpoint => "Checkpoint",
            Self::Vae => "VAE",
            Self::ControlNet => "ControlNet",
            Self::Lora => "LoRA",
            Self::Unknown => "Unknown",
        }
    }
}

/// Which line-art ControlNet a file is, from its name (`…_lineart…` / `…_lineart_anime…`), so the UI can
/// preselect it for coloring line art.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineArtFlavour {
    /// lllyasviel's `control_v11p_sd15_lineart` and files named like it.
    Standard,
    /// `control_v11p_sd15s2_lineart_anime`, trained on anime line art.
    Anime,
}

impl LineArtFlavour {
    pub fn from_file_name(file_name: &str) -> Option<Self> {
        let name = file_name.to_lowercase();
        if name.contains("lineart_anime") {
            Some(Self::Anime)
        } else if name.contains("lineart") {
            Some(Self::Standard)
        } else {
            None
        }
    }
}

/// The kind a folder's own name announces, whatever tool made it: A1111's `Stable-diffusion`, `VAE`,
/// `ControlNet`, `Lora`; ComfyUI's `checkpoints`, `vae`, `controlnet`, `loras`; InvokeAI's `main`, `vae`,
/// `controlnet`, `lora` (under `models/<base>/`).
pub fn kind_from_folder_name(name: &str) -> Option<ModelKind> {
    match name.to_lowercase().as_str() {
        "stable-diffusion" | "checkpoints" | "checkpoint" | "main" => Some(ModelKind::Checkpoint),
        "vae" => Some(ModelKind::Vae),
        "controlnet" => Some(ModelKind::ControlNet),
        "lora" | "loras" => Some(ModelKind::Lora),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_of_each_tool_map_to_their_kind() {
        assert_eq!(kind_from_folder_name("Stable-diffusion"), Some(ModelKind::Checkpoint));
        assert_eq!(kind_from_folder_name("checkpoints"), Some(ModelKind::Checkpoint));
        assert_eq!(kind_from_folder_name("main"), Some(ModelKind::Checkpoint));
        assert_eq!(kind_from_folder_name("VAE"), Some(ModelKind::Vae));
        assert_eq!(kind_from_folder_name("ControlNet"), Some(ModelKind::ControlNet));
        assert_eq!(kind_from_folder_name("loras"), Some(ModelKind::Lora));
        assert_eq!(kind_from_folder_name("sd-1"), None);
        assert_eq!(kind_from_folder_name("models"), None);
    }

    #[test]
    fn line_art_flavour_comes_from_the_file_name() {
        assert_eq!(LineArtFlavour::from_file_name("control_v11p_sd15_lineart.pth"), Some(LineArtFlavour::Standard));
        assert_eq!(
            LineArtFlavour::from_file_name("control_v11p_sd15s2_LineArt_Anime_fp16.safetensors"),
            Some(LineArtFlavour::Anime)
        );
        assert_eq!(LineArtFlavour::from_file_name("control_v11p_sd15_canny.pth"), None);
    }

    #[test]
    fn kinds_sort_in_model_bar_order() {
        let mut kinds = [ModelKind::Unknown, ModelKind::ControlNet, ModelKind::Checkpoint, ModelKind::Lora, ModelKind::Vae];
        kinds.sort();
        assert_eq!(kinds, [ModelKind::Checkpoint, ModelKind::Vae, ModelKind::ControlNet, ModelKind::Lora, ModelKind::Unknown]);
    }
}
