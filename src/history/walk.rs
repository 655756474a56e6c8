//! Finding the PNG files under an import root, recursively. Folders that cannot be read are reported,
//! not fatal; symbolic links to files are followed, links to folders are not (no loops, no escaping
//! the root).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::file_facts::FileFacts;

#[derive(Debug, Default)]
pub struct FolderWalk {
    /// The PNG files found, sorted by path.
    pub files: Vec<(PathBuf, FileFacts)>,
    /// Folders (or files) that could not be read, and why.
    pub unreadable: Vec<(PathBuf, String)>,
}

impl FolderWalk {
    /// Whether `path` lies in something that could not be read (its index rows must then be kept).
    pub fn hides(&self, path: &Path) -> bool {
        self.unreadable.iter().any(|(unreadable, _)| path.starts_with(unreadable))
    }
}

/// Walks `root`; an unreadable root is an error. Stops early (with what it found) when `cancel` is set.
pub fn walk_pngs(root: &Path, cancel: &AtomicBool) -> io::Result<FolderWalk> {
    let mut walk = FolderWalk::default();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let entries = match fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(error) if folder == root => return Err(error),
            Err(error) => {
                walk.unreadable.push((folder, error.to_string()));
                continue;
            }
        };
        for entry in entries {
            match entry {
                Ok(entry) => visit(&entry, &mut walk, &mut folders),
                Err(error) => walk.unreadable.push((folder.clone(), error.to_string())),
            }
        }
    }
    walk.files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(walk)
}

fn visit(entry: &fs::DirEntry, walk: &mut FolderWalk, folders: &mut Vec<PathBuf>) {
    let path = entry.path();
    let file_type = match entry.file_type() {
        Ok(file_type) => file_type,
        Err(error) => return walk.unreadable.push((path, error.to_string())),
    };
    if file_type.is_dir() {
        return folders.push(path);
    }
    if !is_png_name(&path) {
        return;
    }
    let metadata = if file_type.is_symlink() { fs::metadata(&path) } else { entry.metadata() };
    match metadata {
        Ok(metadata) if metadata.is_file() => walk.files.push((path, FileFacts::from_metadata(&metadata))),
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {} // deleted meanwhile, or a dangling link
        Err(error) => walk.unreadable.push((path, error.to_string())),
    }
}

fn is_png_name(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("png"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(walk: &FolderWalk, root: &Path) -> Vec<String> {
        walk.files.iter().map(|(p, _)| p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/")).collect()
    }

    #[test]
    fn finds_pngs_in_subfolders_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("txt2img-images/2024-05-01")).unwrap();
        for name in ["b.png", "a.PNG", "notes.txt", "txt2img-images/2024-05-01/00001-5.png", "x.png.tmp"] {
            fs::write(root.join(name), b"data").unwrap();
        }
        let walk = walk_pngs(root, &AtomicBool::new(false)).unwrap();
        assert_eq!(names(&walk, root), ["a.PNG", "b.png", "txt2img-images/2024-05-01/00001-5.png"]);
        assert_eq!(walk.files[0].1.size, 4);
        assert!(walk.unreadable.is_empty());
    }

    #[test]
    fn a_missing_root_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(walk_pngs(&dir.path().join("gone"), &AtomicBool::new(false)).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn folder_links_are_not_followed_and_file_links_are() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("sub")).unwrap();
        fs::write(root.join("sub/a.png"), b"data").unwrap();
        std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("sub/a.png"), root.join("link.png")).unwrap();
        std::os::unix::fs::symlink(root.join("nowhere.png"), root.join("dangling.png")).unwrap();
        let walk = walk_pngs(root, &AtomicBool::new(false)).unwrap();
        assert_eq!(names(&walk, root), ["link.png", "sub/a.png"]);
    }
}
