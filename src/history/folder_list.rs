//! The import folders, also kept in a small file beside the database (`history-folders.json`): the
//! database is only an index, and when it is lost or damaged the rebuild must still know every folder
//! the user imported, not only Nurie's own output folder.
//!
//! The file is a JSON list of paths, written atomically. A missing or unreadable file is an empty list:
//! the folders table of a healthy database still has them all.

use std::path::{Path, PathBuf};

use super::error::{HistoryError, Result, io_storage_error};

pub const FOLDER_LIST_FILE_NAME: &str = "history-folders.json";

fn list_path(database: &Path) -> PathBuf {
    database.with_file_name(FOLDER_LIST_FILE_NAME)
}

/// The folders remembered beside `database`.
pub(super) fn remembered_folders(database: &Path) -> Vec<PathBuf> {
    std::fs::read(list_path(database)).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default()
}

/// Adds `root` to the list (once).
pub(super) fn remember_folder(database: &Path, root: &Path) -> Result<()> {
    let mut folders = remembered_folders(database);
    if folders.iter().any(|folder| folder == root) {
        return Ok(());
    }
    folders.push(root.to_path_buf());
    write(database, &folders)
}

/// Removes `root` from the list.
pub(super) fn forget_remembered_folder(database: &Path, root: &Path) -> Result<()> {
    let mut folders = remembered_folders(database);
    let before = folders.len();
    folders.retain(|folder| folder != root);
    if folders.len() == before { Ok(()) } else { write(database, &folders) }
}

fn write(database: &Path, folders: &[PathBuf]) -> Result<()> {
    let path = list_path(database);
    let bytes =
        serde_json::to_vec_pretty(folders).map_err(|e| HistoryError::FolderList { path: path.clone(), reason: e.to_string() })?;
    crate::atomic_write::write_file_atomically(&path, &bytes).map_err(|e| {
        let folder = path.parent().unwrap_or(&path);
        io_storage_error(&path, folder, &e).unwrap_or(HistoryError::FolderList { path: path.clone(), reason: e.to_string() })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_remembered_once_and_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("history.sqlite3");
        assert!(remembered_folders(&database).is_empty());
        remember_folder(&database, Path::new("/pictures/a1111")).unwrap();
        remember_folder(&database, Path::new("/pictures/comfy 画像")).unwrap();
        remember_folder(&database, Path::new("/pictures/a1111")).unwrap();
        assert_eq!(remembered_folders(&database), [PathBuf::from("/pictures/a1111"), PathBuf::from("/pictures/comfy 画像")]);
        forget_remembered_folder(&database, Path::new("/pictures/a1111")).unwrap();
        assert_eq!(remembered_folders(&database), [PathBuf::from("/pictures/comfy 画像")]);
    }

    #[test]
    fn a_damaged_list_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("history.sqlite3");
        std::fs::write(dir.path().join(FOLDER_LIST_FILE_NAME), b"{not json").unwrap();
        assert!(remembered_folders(&database).is_empty());
        remember_folder(&database, Path::new("/x")).unwrap();
        assert_eq!(remembered_folders(&database), [PathBuf::from("/x")]);
    }
}
