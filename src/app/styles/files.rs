//! Where A1111 and Forge keep `styles.csv`: in the webui folder of each install Nurie knows
//! ([`crate::model_library::known_folders`]). Read on a background thread (the browser's service).

use std::path::PathBuf;

use super::{PromptStyle, parse_styles};
use crate::model_library::{ModelKind, SearchBases, Source, known_folders};

const FILE_NAME: &str = "styles.csv";

/// The `styles.csv` files that exist in the A1111 and Forge installs under `bases`.
pub fn style_files(bases: &SearchBases) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    let checkpoints = known_folders(bases).into_iter().filter(|folder| {
        matches!(folder.source, Source::A1111 | Source::Forge)
            && folder.kind == Some(ModelKind::Checkpoint)
            && folder.path.ends_with("models/Stable-diffusion")
    });
    for folder in checkpoints {
        let Some(webui) = folder.path.parent().and_then(|models| models.parent()) else { continue };
        let file = webui.join(FILE_NAME);
        if file.is_file() && !files.contains(&file) {
            files.push(file);
        }
    }
    files
}

/// The styles of every file, the first of a name kept; unreadable files are skipped (a style menu
/// with fewer entries says enough).
pub fn read_styles(files: &[PathBuf]) -> Vec<PromptStyle> {
    let mut styles: Vec<PromptStyle> = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else { continue };
        for style in parse_styles(&text) {
            if !styles.iter().any(|known| known.name == style.name) {
                styles.push(style);
            }
        }
    }
    styles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_are_found_in_a1111_and_forge_installs() {
        let parent = tempfile::tempdir().expect("temp");
        for install in ["stable-diffusion-webui", "stable-diffusion-webui-forge", "ComfyUI"] {
            std::fs::create_dir_all(parent.path().join(install)).expect("dirs");
            std::fs::write(parent.path().join(install).join(FILE_NAME), format!("name,prompt\n{install},x\n")).expect("file");
        }
        let bases = SearchBases { parents: vec![parent.path().to_path_buf()], invokeai_root: None, downloads: vec![] };
        let files = style_files(&bases);
        assert_eq!(files.len(), 2, "ComfyUI has no styles.csv of A1111's: {files:?}");
        let names: Vec<String> = read_styles(&files).into_iter().map(|style| style.name).collect();
        assert_eq!(names, ["stable-diffusion-webui", "stable-diffusion-webui-forge"]);
    }
}
