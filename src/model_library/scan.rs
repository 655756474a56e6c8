//! Walking model folders and listing the model files in them.
//!
//! The walk is meant for a background thread: it stats every entry and reads each `.safetensors` header.
//! It never fails: folders that do not exist are passed over, folders that cannot be read are noted in
//! [`ScanOutcome::unreadable`], and a file whose header cannot be read keeps the kind of its folder.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::header_peek::kind_from_header;
use super::kind::{LineArtFlavour, ModelKind, kind_from_folder_name};
use super::known_folders::{ModelFolder, Source};

/// How many folder levels below a scanned folder are entered. Users sort models into a level or two of
/// subfolders; InvokeAI's `models/sd-1/main/…` is three.
pub const MAX_DEPTH: usize = 4;

/// Single-file model formats. `.bin` is left out: in these installs it is a diffusers/transformers
/// component or an IP-Adapter, never a single-file checkpoint, VAE or ControlNet Nurie can load.
const MODEL_EXTENSIONS: [&str; 4] = ["safetensors", "ckpt", "pt", "pth"];

/// A folder holding one of these is a multi-file diffusers or transformers model (InvokeAI keeps its
/// models that way); its weight files are parts, not models, so the folder is passed over.
const MULTI_FILE_MODEL_MARKERS: [&str; 2] = ["model_index.json", "config.json"];

/// One model file found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundModel {
    /// The path as found (through any symlink), for showing and opening.
    pub path: PathBuf,
    pub file_name: String,
    pub kind: ModelKind,
    pub size_bytes: u64,
    pub source: Source,
    /// For ControlNets named as line-art models, which one; the UI preselects these.
    pub line_art: Option<LineArtFlavour>,
}

/// The models found, sorted by kind then file name (case-insensitive), each file once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanOutcome {
    pub models: Vec<FoundModel>,
    /// Folders that exist but could not be listed (no permission, I/O error).
    pub unreadable: Vec<PathBuf>,
}

/// Lists the model files in `folders` and their subfolders (up to [`MAX_DEPTH`] levels), following
/// symlinks but never into a loop. A file reachable from several folders is listed once, with the source
/// of the first folder (in `folders` order) that reaches it.
pub fn scan(folders: &[ModelFolder]) -> ScanOutcome {
    let mut walker = Walker::default();
    for folder in folders {
        walker.scan_folder(folder);
    }
    walker.finish()
}

#[derive(Default)]
struct Walker {
    /// Canonical paths of folders already listed, so shared or linked folders are walked once.
    visited_folders: HashSet<PathBuf>,
    /// Canonical paths of files already listed.
    seen_files: HashSet<PathBuf>,
    outcome: ScanOutcome,
}

/// What a folder entry is, after following symlinks.
enum Entry {
    Folder { path: PathBuf, name: String },
    File { path: PathBuf, name: String, size_bytes: u64 },
}

/// Where in the walk a folder is: the kind its place implies, and whose install it belongs to.
#[derive(Clone, Copy)]
struct Context {
    depth: usize,
    kind: Option<ModelKind>,
    source: Source,
}

impl Walker {
    fn scan_folder(&mut self, folder: &ModelFolder) {
        let canonical = match fs::canonicalize(&folder.path) {
            Ok(canonical) => canonical,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return,
            Err(_) => {
                self.outcome.unreadable.push(folder.path.clone());
                return;
            }
        };
        let context = Context { depth: 0, kind: folder.kind, source: folder.source };
        self.walk(&folder.path, canonical, context);
    }

    fn walk(&mut self, path: &Path, canonical: PathBuf, context: Context) {
        if !self.visited_folders.insert(canonical.clone()) {
            return;
        }
        let Ok(entries) = list_folder(path) else {
            self.outcome.unreadable.push(path.to_path_buf());
            return;
        };
        if entries.iter().any(is_multi_file_model_marker) {
            return;
        }
        for entry in entries {
            match entry {
                Entry::Folder { path, name } => self.enter_subfolder(&canonical, &path, &name, context),
                Entry::File { path, name, size_bytes } => self.add_file(path, name, size_bytes, context),
            }
        }
    }

    /// Walks a subfolder unless it is too deep, hidden, or a link back to a folder above (a loop).
    fn enter_subfolder(&mut self, parent_canonical: &Path, path: &Path, name: &str, parent: Context) {
        if parent.depth >= MAX_DEPTH || name.starts_with('.') {
            return;
        }
        let Ok(canonical) = fs::canonicalize(path) else { return };
        if parent_canonical.starts_with(&canonical) {
            return;
        }
        let kind = kind_from_folder_name(name).or(parent.kind);
        self.walk(path, canonical, Context { depth: parent.depth + 1, kind, ..parent });
    }

    fn add_file(&mut self, path: PathBuf, file_name: String, size_bytes: u64, context: Context) {
        let Some(extension) = model_extension(&file_name) else { return };
        let canonical = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if !self.seen_files.insert(canonical) {
            return;
        }
        let from_header = if extension == "safetensors" { kind_from_header(&path) } else { None };
        let kind = from_header.or(context.kind).unwrap_or(ModelKind::Unknown);
        let line_art = if kind == ModelKind::ControlNet { LineArtFlavour::from_file_name(&file_name) } else { None };
        self.outcome.models.push(FoundModel { path, file_name, kind, size_bytes, source: context.source, line_art });
    }

    fn finish(mut self) -> ScanOutcome {
        self.outcome.models.sort_by_cached_key(|model| (model.kind, model.file_name.to_lowercase(), model.path.clone()));
        self.outcome
    }
}

/// A folder's entries in name order, symlinks followed; broken links and entries that vanish are left out.
fn list_folder(path: &Path) -> io::Result<Vec<Entry>> {
    let mut entries: Vec<Entry> = fs::read_dir(path)?.flatten().filter_map(|entry| describe(entry.path())).collect();
    entries.sort_by(|a, b| entry_name(a).cmp(entry_name(b)));
    Ok(entries)
}

fn describe(path: PathBuf) -> Option<Entry> {
    let metadata = fs::metadata(&path).ok()?;
    let name = path.file_name()?.to_string_lossy().into_owned();
    if metadata.is_dir() {
        Some(Entry::Folder { path, name })
    } else if metadata.is_file() {
        Some(Entry::File { path, name, size_bytes: metadata.len() })
    } else {
        None
    }
}

fn entry_name(entry: &Entry) -> &str {
    match entry {
        Entry::Folder { name, .. } | Entry::File { name, .. } => name,
    }
}

fn is_multi_file_model_marker(entry: &Entry) -> bool {
    matches!(entry, Entry::File { name, .. } if MULTI_FILE_MODEL_MARKERS.contains(&name.as_str()))
}

/// The file's extension, lower-cased, when it is a model format.
fn model_extension(file_name: &str) -> Option<&'static str> {
    let extension = Path::new(file_name).extension()?.to_str()?.to_lowercase();
    MODEL_EXTENSIONS.into_iter().find(|known| *known == extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_extensions_are_matched_case_insensitively() {
        assert_eq!(model_extension("a.SafeTensors"), Some("safetensors"));
        assert_eq!(model_extension("kl-f8-anime2.vae.pt"), Some("pt"));
        assert_eq!(model_extension("control_v11p_sd15_lineart.pth"), Some("pth"));
        assert_eq!(model_extension("model.CKPT"), Some("ckpt"));
        assert_eq!(model_extension("pytorch_model.bin"), None);
        assert_eq!(model_extension("cldm_v15.yaml"), None);
        assert_eq!(model_extension("safetensors"), None);
    }

    #[test]
    fn a_folder_that_does_not_exist_is_passed_over_quietly() {
        let root = tempfile::tempdir().unwrap();
        let outcome = scan(&[ModelFolder::added(root.path().join("missing"))]);
        assert_eq!(outcome, ScanOutcome::default());
    }
}
