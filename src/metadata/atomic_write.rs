//! Replacing a file all at once: the bytes go to a new temporary file in the same folder, which is
//! flushed to disk and then renamed over the target. Readers see the old file or the new one, never a
//! half-written one; after a crash or an error at most a hidden `.name.nurie-*.tmp` file is left, and
//! on an error this code removes it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::error::{MetadataError, Result};

/// Writes `bytes` to `path` atomically (see the module docs).
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let write_error = |source| MetadataError::Write { path: path.to_path_buf(), source };
    let temp = flushed_temp_beside(path, bytes).map_err(write_error)?;
    fs::rename(&temp.path, path).map_err(write_error)?;
    temp.disarm();
    sync_folder(path);
    Ok(())
}

/// Writes `bytes` to `path` atomically, only if nothing is at `path` yet: when another writer (a second
/// Nurie window) took the name first, the error's source is [`io::ErrorKind::AlreadyExists`] and
/// nothing was changed. The complete file is linked in under its name (which fails instead of
/// replacing); where the file system has no hard links (FAT, some network drives) it is renamed in
/// after a check, which leaves a moment in which two writers could race.
pub fn write_new_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let write_error = |source| MetadataError::Write { path: path.to_path_buf(), source };
    // Dropped at the end: the linked-in file keeps the data, the temporary name goes.
    let temp = flushed_temp_beside(path, bytes).map_err(write_error)?;
    match fs::hard_link(&temp.path, path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(write_error(e)),
        Err(_) if path.symlink_metadata().is_ok() => {
            return Err(write_error(io::Error::new(io::ErrorKind::AlreadyExists, "the file name is taken")));
        }
        Err(_) => fs::rename(&temp.path, path).map_err(write_error)?,
    }
    sync_folder(path);
    Ok(())
}

/// Whether `error` means the name was taken (see [`write_new_file_atomically`]).
pub fn is_name_taken(error: &MetadataError) -> bool {
    matches!(error, MetadataError::Write { source, .. } if source.kind() == io::ErrorKind::AlreadyExists)
}

/// `bytes` in a new temporary file beside `path`, flushed to disk; the file is removed when the guard
/// is dropped, unless disarmed.
fn flushed_temp_beside(path: &Path, bytes: &[u8]) -> io::Result<RemoveOnDrop> {
    let (mut file, temp_path) = create_temp_beside(path)?;
    let temp = RemoveOnDrop { path: temp_path, armed: true };
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(temp)
}

/// A new, exclusively created file next to `path` (same folder, so the rename cannot cross devices).
fn create_temp_beside(path: &Path) -> io::Result<(File, PathBuf)> {
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut last_error = None;
    for _ in 0..16 {
        let unique = format!(
            "{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
        );
        let temp_path = folder.join(format!(".{}.nurie-{unique}.tmp", name.to_string_lossy()));
        match OpenOptions::new().write(true).create_new(true).open(&temp_path) {
            Ok(file) => return Ok((file, temp_path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no free temporary file name")))
}

/// Makes the rename itself durable on Unix. Best effort: the file is already complete and in place,
/// so a folder that cannot be synced is not reported as a failed write.
fn sync_folder(path: &Path) {
    #[cfg(unix)]
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(handle) = File::open(folder)
    {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Deletes the temporary file unless the write succeeded.
struct RemoveOnDrop {
    path: PathBuf,
    armed: bool,
}

impl RemoveOnDrop {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fresh empty folder under the system temp folder.
    pub(crate) fn scratch_folder(name: &str) -> PathBuf {
        let folder = std::env::temp_dir().join(format!("nurie-metadata-test-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&folder);
        fs::create_dir_all(&folder).unwrap();
        folder
    }

    fn entries(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(folder).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn writes_and_replaces_leaving_no_temporary_file() {
        let folder = scratch_folder("atomic-replace");
        let target = folder.join("image.png");
        write_file_atomically(&target, b"first").unwrap();
        write_file_atomically(&target, b"second, longer").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"second, longer");
        assert_eq!(entries(&folder), vec!["image.png"]);
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn a_failed_rename_keeps_the_old_file_and_removes_the_temporary_one() {
        let folder = scratch_folder("atomic-fail");
        // A non-empty folder where the file should go: the rename fails after the data was written.
        let target = folder.join("taken");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), b"old").unwrap();
        let error = write_file_atomically(&target, b"new").unwrap_err();
        assert!(matches!(error, MetadataError::Write { .. }));
        assert_eq!(entries(&folder), vec!["taken"]);
        assert_eq!(fs::read(target.join("keep")).unwrap(), b"old");
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn a_new_file_never_replaces_one_that_is_there() {
        let folder = scratch_folder("atomic-new");
        let target = folder.join("00001-42.png");
        write_new_file_atomically(&target, b"first window").unwrap();
        let error = write_new_file_atomically(&target, b"second window").unwrap_err();
        assert!(is_name_taken(&error), "{error}");
        assert_eq!(fs::read(&target).unwrap(), b"first window");
        assert_eq!(entries(&folder), vec!["00001-42.png"], "no temporary file is left");
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn a_missing_folder_is_a_write_error() {
        let target = std::env::temp_dir().join("nurie-no-such-folder-8c1f/image.png");
        assert!(matches!(write_file_atomically(&target, b"x"), Err(MetadataError::Write { .. })));
    }
}
