//! Finding the LoRA a prompt names (`<lora:NAME:…>`) in the user's LoRA folders, and keeping the ones
//! in use read, so that changing weights or switching back reads no file again.
//!
//! As in A1111, a LoRA's name is its file name without the extension, looked for in every folder and
//! its subfolders; a name may also be the path below the folder (`styles/flat`). An exact match wins
//! over one that differs only in letter case; between folders, the earlier folder wins.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::error::LoraError;
use super::network_file::LoraNetwork;

/// Extensions A1111 lists as LoRA files.
const EXTENSIONS: [&str; 3] = ["safetensors", "pt", "ckpt"];
/// How deep below a folder files are looked for (A1111 walks without limit; links could loop).
const MAX_DEPTH: usize = 8;

/// A LoRA file found in a folder, with the names it answers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundLora {
    pub name: String,
    /// The path below its folder without the extension, `/`-separated.
    pub relative: String,
    pub path: PathBuf,
}

/// The LoRA folders, their files, and the networks read so far.
#[derive(Debug, Default)]
pub struct LoraLibrary {
    folders: Vec<PathBuf>,
    found: Vec<FoundLora>,
    read: HashMap<PathBuf, (FileStamp, Arc<LoraNetwork>)>,
}

/// Size and modification time: a file replaced in place is read again.
type FileStamp = (u64, Option<SystemTime>);

impl LoraLibrary {
    /// A library over `folders` (those that do not exist are skipped), listed now.
    pub fn new(folders: Vec<PathBuf>) -> Self {
        let mut library = Self { folders, ..Self::default() };
        library.refresh();
        library
    }

    pub fn folders(&self) -> &[PathBuf] {
        &self.folders
    }

    /// Lists the folders' files again (after the user added some).
    pub fn refresh(&mut self) {
        self.found = self.folders.iter().flat_map(|folder| list_folder(folder)).collect();
    }

    pub fn found(&self) -> &[FoundLora] {
        &self.found
    }

    /// The file a prompt's name means, listing the folders again once if it is not known yet.
    pub fn find(&mut self, name: &str) -> Result<PathBuf, LoraError> {
        if let Some(path) = self.lookup(name) {
            return Ok(path);
        }
        self.refresh();
        self.lookup(name).ok_or_else(|| LoraError::NotFound { name: name.to_string(), searched: self.searched() })
    }

    /// The file a name means among the files listed so far (no new listing).
    pub fn listed(&self, name: &str) -> Option<PathBuf> {
        self.lookup(name)
    }

    fn lookup(&self, name: &str) -> Option<PathBuf> {
        let wanted = name.replace('\\', "/");
        let exact = |lora: &&FoundLora| lora.name == wanted || lora.relative == wanted;
        let folded = |lora: &&FoundLora| lora.name.eq_ignore_ascii_case(&wanted) || lora.relative.eq_ignore_ascii_case(&wanted);
        self.found.iter().find(exact).or_else(|| self.found.iter().find(folded)).map(|lora| lora.path.clone())
    }

    fn searched(&self) -> String {
        match self.folders.len() {
            0 => "no LoRA folder (add one with --lora-dir or in the window's folders)".to_string(),
            _ => self.folders.iter().map(|folder| folder.display().to_string()).collect::<Vec<_>>().join(", "),
        }
    }

    /// The network in `path`, read once and kept while the file is unchanged.
    pub fn read(&mut self, path: &Path) -> Result<Arc<LoraNetwork>, LoraError> {
        let stamp = stamp(path);
        if let Some((seen, network)) = self.read.get(path)
            && *seen == stamp
        {
            return Ok(network.clone());
        }
        let network = Arc::new(LoraNetwork::open(path)?);
        self.read.insert(path.to_path_buf(), (stamp, network.clone()));
        Ok(network)
    }

    /// Forgets the networks read except `keep` (those merged now), so memory holds only what is used.
    pub fn keep_only(&mut self, keep: &[PathBuf]) {
        self.read.retain(|path, _| keep.contains(path));
    }
}

fn stamp(path: &Path) -> FileStamp {
    std::fs::metadata(path).map(|meta| (meta.len(), meta.modified().ok())).unwrap_or((0, None))
}

/// The LoRA files below `folder`, in name order.
fn list_folder(folder: &Path) -> Vec<FoundLora> {
    let mut found = Vec::new();
    walk(folder, folder, 0, &mut found);
    found.sort_by(|a, b| a.relative.cmp(&b.relative));
    found
}

fn walk(root: &Path, folder: &Path, depth: usize, found: &mut Vec<FoundLora>) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if depth < MAX_DEPTH {
                walk(root, &path, depth + 1, found);
            }
            continue;
        }
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
        let (Some(stem), true) = (path.file_stem().and_then(|s| s.to_str()), EXTENSIONS.contains(&extension.as_str())) else {
            continue;
        };
        let relative = path.strip_prefix(root).unwrap_or(&path).with_extension("");
        let relative = relative.components().map(|part| part.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        found.push(FoundLora { name: stem.to_string(), relative, path: path.clone() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_by_stem_then_subfolder_path_then_case() {
        let root = tempfile::tempdir().unwrap();
        let styles = root.path().join("styles");
        std::fs::create_dir(&styles).unwrap();
        for file in ["flat_anime.safetensors", "notes.txt", "Other.pt"] {
            std::fs::write(root.path().join(file), b"x").unwrap();
        }
        std::fs::write(styles.join("ink.safetensors"), b"x").unwrap();
        let mut library = LoraLibrary::new(vec![root.path().to_path_buf()]);
        assert_eq!(library.find("flat_anime").unwrap(), root.path().join("flat_anime.safetensors"));
        assert_eq!(library.find("styles/ink").unwrap(), styles.join("ink.safetensors"));
        assert_eq!(library.find("ink").unwrap(), styles.join("ink.safetensors"));
        assert_eq!(library.find("other").unwrap(), root.path().join("Other.pt"));
        assert!(matches!(library.find("notes"), Err(LoraError::NotFound { .. })));
    }

    #[test]
    fn a_file_added_later_is_found_without_a_restart() {
        let root = tempfile::tempdir().unwrap();
        let mut library = LoraLibrary::new(vec![root.path().to_path_buf()]);
        std::fs::write(root.path().join("late.safetensors"), b"x").unwrap();
        assert_eq!(library.find("late").unwrap(), root.path().join("late.safetensors"));
    }
}
