//! Finding an upscaler by the name a user types or a picture's metadata carries (`Hires upscaler:
//! 4x-AnimeSharp`): Pillow's resamplers by their A1111 names, a model file by its path, or by its file name
//! among the user's folders and the A1111, Forge, ComfyUI and InvokeAI upscaler folders of this computer.

use std::path::{Path, PathBuf};

use super::error::UpscaleError;
use crate::model_library::NetworkFolderKind;
use crate::networks::folders::with_installs;

/// File extensions upscalers come in.
const EXTENSIONS: &[&str] = &["pth", "safetensors", "pt", "ckpt"];

/// A1111's names for the Real-ESRGAN models it downloads itself, and their files' names.
const A1111_NAMES: &[(&str, &str)] = &[
    ("R-ESRGAN 4x+", "RealESRGAN_x4plus"),
    ("R-ESRGAN 4x+ Anime6B", "RealESRGAN_x4plus_anime_6B"),
    ("R-ESRGAN 2x+", "RealESRGAN_x2plus"),
    ("ESRGAN_4x", "ESRGAN_4x"),
];

/// An upscaler file found in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpscalerFile {
    /// The file name without extension, as A1111 lists it.
    pub name: String,
    pub path: PathBuf,
}

/// What an upscaler name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpscalerChoice {
    None,
    Lanczos,
    Nearest,
    File(UpscalerFile),
}

/// `user` folders, then the installs' upscaler folders that exist.
pub fn upscaler_folders(user: &[PathBuf]) -> Vec<PathBuf> {
    with_installs(user, NetworkFolderKind::Upscaler)
}

/// The upscaler files directly in `folders`, by name (the first folder wins a name found twice).
pub fn upscaler_files(folders: &[PathBuf]) -> Vec<UpscalerFile> {
    let mut files: Vec<UpscalerFile> = Vec::new();
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(folder) else { continue };
        let mut found: Vec<UpscalerFile> = entries.flatten().filter_map(|entry| as_upscaler_file(&entry.path())).collect();
        found.sort_by_key(|file| file.name.to_lowercase());
        for file in found {
            if !files.iter().any(|known| known.name.eq_ignore_ascii_case(&file.name)) {
                files.push(file);
            }
        }
    }
    files
}

/// The upscaler `name` means: "None", "Lanczos", "Nearest" (any case), a model file's path, or the name of
/// a file in `folders` (A1111's names for its Real-ESRGAN downloads included).
pub fn find_upscaler(name: &str, folders: &[PathBuf]) -> Result<UpscalerChoice, UpscaleError> {
    match name.to_lowercase().as_str() {
        "none" => return Ok(UpscalerChoice::None),
        "lanczos" => return Ok(UpscalerChoice::Lanczos),
        "nearest" => return Ok(UpscalerChoice::Nearest),
        _ => {}
    }
    let path = Path::new(name);
    if path.is_file() {
        let file = as_upscaler_file(path).unwrap_or_else(|| UpscalerFile { name: stem(path), path: path.to_path_buf() });
        return Ok(UpscalerChoice::File(file));
    }
    let file_name = A1111_NAMES.iter().find(|(listed, _)| listed.eq_ignore_ascii_case(name)).map_or(name, |(_, file)| file);
    let files = upscaler_files(folders);
    if let Some(file) = files.iter().find(|file| file.name.eq_ignore_ascii_case(file_name)) {
        return Ok(UpscalerChoice::File(file.clone()));
    }
    let known: Vec<String> = files.into_iter().map(|file| file.name).collect();
    let known = if known.is_empty() { "none found".to_string() } else { known.join(", ") };
    Err(UpscaleError::UnknownUpscaler { name: name.to_string(), known })
}

fn as_upscaler_file(path: &Path) -> Option<UpscalerFile> {
    let extension = path.extension()?.to_str()?.to_lowercase();
    (path.is_file() && EXTENSIONS.contains(&extension.as_str()))
        .then(|| UpscalerFile { name: stem(path), path: path.to_path_buf() })
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_find_resamplers_files_and_a1111_downloads() {
        let folder = std::env::temp_dir().join(format!("nurie-upscaler-folders-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        for name in ["4x-AnimeSharp.pth", "RealESRGAN_x4plus_anime_6B.pth", "notes.txt"] {
            std::fs::write(folder.join(name), b"x").unwrap();
        }
        let folders = [folder.clone()];
        assert_eq!(find_upscaler("lanczos", &folders).unwrap(), UpscalerChoice::Lanczos);
        let UpscalerChoice::File(file) = find_upscaler("4x-animesharp", &folders).unwrap() else { panic!() };
        assert_eq!(file.path, folder.join("4x-AnimeSharp.pth"));
        let UpscalerChoice::File(file) = find_upscaler("R-ESRGAN 4x+ Anime6B", &folders).unwrap() else { panic!() };
        assert_eq!(file.name, "RealESRGAN_x4plus_anime_6B");
        let error = find_upscaler("SwinIR_4x", &folders).unwrap_err().to_string();
        assert!(error.contains("SwinIR_4x") && error.contains("4x-AnimeSharp") && !error.contains("notes"), "{error}");
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
