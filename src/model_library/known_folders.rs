//! Where the common Stable Diffusion tools keep their models, so users who have one never browse for a file.
//!
//! Every tool installs into a folder of a well-known name, usually right under the home folder, the
//! Documents/Desktop/Downloads folders, or (on Windows) a drive root:
//! - AUTOMATIC1111: `stable-diffusion-webui/`, or `sd.webui/webui/` from its one-click Windows package;
//!   models in `models/Stable-diffusion`, `models/VAE`, `models/ControlNet` and the ControlNet extension's
//!   `extensions/sd-webui-controlnet/models`.
//! - Forge: the same layout in `stable-diffusion-webui-forge/`, or `webui_forge_<build>/webui/` from its
//!   one-click package (e.g. `webui_forge_cu121_torch231`).
//! - ComfyUI: `ComfyUI/models/{checkpoints,vae,controlnet}`, also inside `ComfyUI_windows_portable/`; the
//!   desktop app's default `Documents/ComfyUI` is covered by looking under Documents.
//! - InvokeAI: the root `invokeai/` (or `$INVOKEAI_ROOT`). Versions 3 and 4 file models as
//!   `models/<base>/<type>/…` (`sd-1/main`, `sd-1/vae`, `sd-1/controlnet`, …); version 5 and later put each
//!   model in `models/<key>/` named by a random id. So the whole `models/` folder is scanned and the kind
//!   comes from the `main`/`vae`/`controlnet` folder names where there are some, and from the file's
//!   header otherwise.
//!
//! Model files saved straight into the Downloads folder are listed too (kind from each file's header).
//!
//! Not covered: custom folders set on a tool's command line (`--ckpt-dir`) or in ComfyUI's
//! `extra_model_paths.yaml`, and launchers such as Stability Matrix; users add those folders themselves.

use std::fmt;
use std::path::{Path, PathBuf};

use directories::{BaseDirs, UserDirs};

use super::kind::ModelKind;

/// Which tool's install a model was found in, or a folder the user added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    A1111,
    Forge,
    ComfyUI,
    InvokeAI,
    /// Model files downloaded straight into the Downloads folder (no tool's install around them).
    Downloads,
    AddedFolder,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Self::A1111 => "A1111",
            Self::Forge => "Forge",
            Self::ComfyUI => "ComfyUI",
            Self::InvokeAI => "InvokeAI",
            Self::Downloads => "Downloads",
            Self::AddedFolder => "Added folder",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A folder to scan, whose it is, and the kind of model it holds when its place in the tool's layout
/// says so (`None`: decided per subfolder name and file header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFolder {
    pub path: PathBuf,
    pub source: Source,
    pub kind: Option<ModelKind>,
}

impl ModelFolder {
    /// A folder the user added by hand.
    pub fn added(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), source: Source::AddedFolder, kind: None }
    }
}

/// Where to look for installs. Tests pass temporary folders; the app passes [`SearchBases::of_this_system`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchBases {
    /// Folders that commonly hold installs: home, Documents, Desktop, Downloads, Windows drive roots.
    pub parents: Vec<PathBuf>,
    /// InvokeAI's root from `INVOKEAI_ROOT`, when set.
    pub invokeai_root: Option<PathBuf>,
    /// Where browsers save downloads: model files there are listed whatever their folder is called.
    pub downloads: Vec<PathBuf>,
}

impl SearchBases {
    /// This user's folders. On Windows this checks which drive letters exist, so call it off the UI thread.
    pub fn of_this_system() -> Self {
        let home = BaseDirs::new().map(|dirs| dirs.home_dir().to_path_buf());
        let user_dirs = UserDirs::new();
        let personal = user_dirs.iter().flat_map(|dirs| [dirs.document_dir(), dirs.desktop_dir(), dirs.download_dir()]);
        let mut parents: Vec<PathBuf> = home.into_iter().chain(personal.flatten().map(Path::to_path_buf)).collect();
        parents.extend(drive_roots());
        remove_repeats(&mut parents);
        let invokeai_root = std::env::var_os("INVOKEAI_ROOT").filter(|root| !root.is_empty()).map(PathBuf::from);
        let downloads = UserDirs::new().and_then(|dirs| dirs.download_dir().map(Path::to_path_buf)).into_iter().collect();
        Self { parents, invokeai_root, downloads }
    }
}

/// A1111's model folders, relative to the webui folder; Forge keeps the same layout.
const WEBUI_FOLDERS: &[(&str, ModelKind)] = &[
    ("models/Stable-diffusion", ModelKind::Checkpoint),
    ("models/VAE", ModelKind::Vae),
    ("models/ControlNet", ModelKind::ControlNet),
    ("extensions/sd-webui-controlnet/models", ModelKind::ControlNet),
];

const COMFYUI_FOLDERS: &[(&str, ModelKind)] = &[
    ("models/checkpoints", ModelKind::Checkpoint),
    ("models/vae", ModelKind::Vae),
    ("models/controlnet", ModelKind::ControlNet),
];

/// A tool's install folder (relative to a search parent) and its model folders.
pub(super) struct Install {
    pub(super) source: Source,
    pub(super) folder: &'static str,
    model_folders: &'static [(&'static str, ModelKind)],
}

pub(super) const INSTALLS: &[Install] = &[
    Install { source: Source::A1111, folder: "stable-diffusion-webui", model_folders: WEBUI_FOLDERS },
    Install { source: Source::A1111, folder: "sd.webui/webui", model_folders: WEBUI_FOLDERS },
    Install { source: Source::Forge, folder: "stable-diffusion-webui-forge", model_folders: WEBUI_FOLDERS },
    Install { source: Source::ComfyUI, folder: "ComfyUI", model_folders: COMFYUI_FOLDERS },
    Install { source: Source::ComfyUI, folder: "ComfyUI_windows_portable/ComfyUI", model_folders: COMFYUI_FOLDERS },
];

/// Forge's one-click packages are named after their build (`webui_forge_cu121_torch231`).
pub(super) const FORGE_PACKAGE_PREFIX: &str = "webui_forge_";
pub(super) const INVOKEAI_FOLDER: &str = "invokeai";

/// Every folder where a known tool would keep models, under each parent of `bases`. Most will not exist;
/// the scan passes over those silently. Lists each parent once to match Forge's package names.
pub fn known_folders(bases: &SearchBases) -> Vec<ModelFolder> {
    let mut folders = Vec::new();
    for parent in &bases.parents {
        for install in INSTALLS {
            folders.extend(install_folders(install.source, &join_relative(parent, install.folder), install.model_folders));
        }
        for package in forge_packages(parent) {
            folders.extend(install_folders(Source::Forge, &package.join("webui"), WEBUI_FOLDERS));
        }
        folders.push(invokeai_models(&parent.join(INVOKEAI_FOLDER)));
    }
    if let Some(root) = &bases.invokeai_root {
        folders.push(invokeai_models(root));
    }
    // Last, so a file inside an install under Downloads keeps its tool's name.
    folders.extend(bases.downloads.iter().map(|path| ModelFolder { path: path.clone(), source: Source::Downloads, kind: None }));
    folders
}

fn install_folders(source: Source, install: &Path, model_folders: &[(&str, ModelKind)]) -> Vec<ModelFolder> {
    model_folders
        .iter()
        .map(|(relative, kind)| ModelFolder { path: join_relative(install, relative), source, kind: Some(*kind) })
        .collect()
}

fn invokeai_models(root: &Path) -> ModelFolder {
    ModelFolder { path: root.join("models"), source: Source::InvokeAI, kind: None }
}

/// Forge package folders directly under `parent`, in name order; none if `parent` cannot be listed.
pub(super) fn forge_packages(parent: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else { return Vec::new() };
    let mut packages: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(FORGE_PACKAGE_PREFIX))
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    packages.sort();
    packages
}

/// Joins a `/`-separated relative path component by component, so Windows paths get `\` throughout.
pub(super) fn join_relative(base: &Path, relative: &str) -> PathBuf {
    relative.split('/').fold(base.to_path_buf(), |path, part| path.join(part))
}

fn remove_repeats(paths: &mut Vec<PathBuf>) {
    let mut seen = std::collections::HashSet::new();
    paths.retain(|path| seen.insert(path.clone()));
}

#[cfg(windows)]
fn drive_roots() -> Vec<PathBuf> {
    ('C'..='Z').map(|letter| PathBuf::from(format!("{letter}:\\"))).filter(|root| root.is_dir()).collect()
}

#[cfg(not(windows))]
fn drive_roots() -> Vec<PathBuf> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(folders: &'a [ModelFolder], path: &Path) -> Option<&'a ModelFolder> {
        folders.iter().find(|folder| folder.path == path)
    }

    #[test]
    fn lists_each_tool_layout_under_every_parent() {
        let home = PathBuf::from("/home/u");
        let drive = PathBuf::from("/drive");
        let folders =
            known_folders(&SearchBases { parents: vec![home.clone(), drive.clone()], invokeai_root: None, downloads: vec![] });

        let a1111 = find(&folders, &home.join("stable-diffusion-webui").join("models").join("Stable-diffusion")).unwrap();
        assert_eq!((a1111.source, a1111.kind), (Source::A1111, Some(ModelKind::Checkpoint)));
        let extension = home.join("stable-diffusion-webui").join("extensions").join("sd-webui-controlnet").join("models");
        assert_eq!(find(&folders, &extension).unwrap().kind, Some(ModelKind::ControlNet));
        let one_click = drive.join("sd.webui").join("webui").join("models").join("VAE");
        assert_eq!((find(&folders, &one_click).unwrap().source), Source::A1111);
        let forge = drive.join("stable-diffusion-webui-forge").join("models").join("ControlNet");
        assert_eq!(find(&folders, &forge).unwrap().source, Source::Forge);
        let portable = drive.join("ComfyUI_windows_portable").join("ComfyUI").join("models").join("vae");
        let portable = find(&folders, &portable).unwrap();
        assert_eq!((portable.source, portable.kind), (Source::ComfyUI, Some(ModelKind::Vae)));
        let invokeai = find(&folders, &home.join("invokeai").join("models")).unwrap();
        assert_eq!((invokeai.source, invokeai.kind), (Source::InvokeAI, None));

        // 4 A1111 folders × 2 layouts + 4 Forge + 3 × 2 ComfyUI + 1 InvokeAI, per parent (no Forge packages).
        assert_eq!(folders.len(), 2 * (8 + 4 + 6 + 1));
    }

    #[test]
    fn forge_one_click_packages_are_found_by_name_prefix() {
        let parent = tempfile::tempdir().unwrap();
        std::fs::create_dir(parent.path().join("webui_forge_cu121_torch231")).unwrap();
        std::fs::create_dir(parent.path().join("webui_other")).unwrap();
        std::fs::write(parent.path().join("webui_forge_notes.txt"), "not a package").unwrap();
        let folders =
            known_folders(&SearchBases { parents: vec![parent.path().to_path_buf()], invokeai_root: None, downloads: vec![] });

        let package_models = parent.path().join("webui_forge_cu121_torch231").join("webui").join("models");
        let checkpoints = find(&folders, &package_models.join("Stable-diffusion")).unwrap();
        assert_eq!((checkpoints.source, checkpoints.kind), (Source::Forge, Some(ModelKind::Checkpoint)));
        assert_eq!(folders.iter().filter(|f| f.path.starts_with(parent.path().join("webui_forge_cu121_torch231"))).count(), 4);
        assert!(!folders.iter().any(|f| f.path.starts_with(parent.path().join("webui_other"))));
        assert!(!folders.iter().any(|f| f.path.starts_with(parent.path().join("webui_forge_notes.txt"))));
    }

    #[test]
    fn invokeai_root_from_the_environment_is_scanned_as_a_whole() {
        let root = PathBuf::from("/srv/invoke");
        let folders = known_folders(&SearchBases { parents: vec![], invokeai_root: Some(root.clone()), downloads: vec![] });
        assert_eq!(folders, vec![ModelFolder { path: root.join("models"), source: Source::InvokeAI, kind: None }]);
    }

    #[test]
    fn the_downloads_folder_comes_last_with_kinds_from_the_headers() {
        let downloads = PathBuf::from("/home/u/Downloads");
        let bases = SearchBases { parents: vec![downloads.clone()], invokeai_root: None, downloads: vec![downloads.clone()] };
        let folders = known_folders(&bases);
        let last = folders.last().unwrap();
        assert_eq!(last, &ModelFolder { path: downloads.clone(), source: Source::Downloads, kind: None });
        // Installs under Downloads are listed before it, so their files keep their tool's name.
        assert!(folders[..folders.len() - 1].iter().any(|f| f.path.starts_with(downloads.join("ComfyUI"))));
    }

    #[test]
    fn source_labels_are_what_the_model_bar_shows() {
        let labels: Vec<String> =
            [Source::A1111, Source::Forge, Source::ComfyUI, Source::InvokeAI, Source::Downloads, Source::AddedFolder]
                .iter()
                .map(Source::to_string)
                .collect();
        assert_eq!(labels, ["A1111", "Forge", "ComfyUI", "InvokeAI", "Downloads", "Added folder"]);
    }
}
