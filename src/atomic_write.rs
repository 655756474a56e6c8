//! Replacing a file all at once: the bytes go to a new temporary file in the same folder (a hidden
//! `.NAME.nurie-XXXXXX.tmp`, a fresh random name from `tempfile`, so two writers never share one),
//! which is flushed to disk and then renamed over the target. Readers see the old file or the new one,
//! never a half-written one; after a crash at most the hidden temporary file is left (old ones are
//! cleared by the picture saver), and on an error it is removed.
//!
//! Every file Nurie writes whole goes through here: pictures, settings, pasted drawings, hints, kept
//! inputs, thumbnails, caches.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Writes `bytes` to `path` atomically (see the module docs).
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = flushed_temp_beside(path, bytes)?;
    temp.persist(path).map_err(|e| e.error)?;
    sync_folder(path);
    Ok(())
}

/// Writes what `fill` writes to `path` atomically (see the module docs), streamed through a buffer:
/// for files too big to hold in memory at once (a random model of gigabytes).
pub fn write_file_atomically_with(path: &Path, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let temp = temp_beside(path)?;
    let mut writer = io::BufWriter::with_capacity(8 << 20, temp);
    fill(&mut writer)?;
    let temp = writer.into_inner().map_err(|e| e.into_error())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    sync_folder(path);
    Ok(())
}

/// Writes `bytes` to `path` atomically, only if nothing is at `path` yet: when another writer (a second
/// Nurie window) took the name first, the error is [`io::ErrorKind::AlreadyExists`] and nothing was
/// changed. The complete file is moved in under its name by a rename that refuses to replace (or a
/// hard link); where the file system has neither (FAT, some network drives) it is renamed in after a
/// check, which leaves a moment in which two writers could race.
pub fn write_new_file_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = flushed_temp_beside(path, bytes)?;
    match temp.persist_noclobber(path) {
        Ok(_) => {}
        Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => return Err(e.error),
        Err(_) if path.symlink_metadata().is_ok() => {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, "the file name is taken"));
        }
        Err(e) => {
            e.file.persist(path).map_err(|e| e.error)?;
        }
    }
    sync_folder(path);
    Ok(())
}

/// Whether `error` means the name was taken (see [`write_new_file_atomically`]).
pub fn is_name_taken(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::AlreadyExists
}

/// Whether a file name is one of this module's temporary files (`.NAME.nurie-….tmp`).
pub fn is_temporary_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(".nurie-") && name.ends_with(".tmp")
}

/// `bytes` in a new temporary file beside `path` (same folder, so the rename cannot cross devices),
/// flushed to disk; the file is removed when dropped unless persisted.
fn flushed_temp_beside(path: &Path, bytes: &[u8]) -> io::Result<NamedTempFile> {
    let mut temp = temp_beside(path)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    Ok(temp)
}

/// A new, empty temporary file beside `path` (same folder, so the rename cannot cross devices); it is
/// removed when dropped unless persisted.
fn temp_beside(path: &Path) -> io::Result<NamedTempFile> {
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let prefix = format!(".{}.nurie-", name.to_string_lossy());
    tempfile::Builder::new().prefix(&prefix).suffix(".tmp").tempfile_in(folder)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A fresh empty folder under the system temp folder.
    fn scratch_folder(name: &str) -> PathBuf {
        let folder = std::env::temp_dir().join(format!("nurie-atomic-write-test-{name}-{}", std::process::id()));
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
    fn a_streamed_write_replaces_whole_or_leaves_the_old_file() {
        let folder = scratch_folder("atomic-streamed");
        let target = folder.join("model.safetensors");
        write_file_atomically(&target, b"old").unwrap();
        let failed = write_file_atomically_with(&target, |out| {
            out.write_all(b"half")?;
            Err(io::Error::other("stopped"))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read(&target).unwrap(), b"old");
        write_file_atomically_with(&target, |out| (0..3).try_for_each(|i| out.write_all(&[b'a' + i; 4]))).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"aaaabbbbcccc");
        assert_eq!(entries(&folder), vec!["model.safetensors"]);
        fs::remove_dir_all(folder).unwrap();
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
        assert!(write_file_atomically(&target, b"new").is_err());
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
        assert!(write_file_atomically(&target, b"x").is_err());
    }

    #[test]
    fn two_writers_of_one_file_never_share_a_temporary_name() {
        let folder = scratch_folder("atomic-concurrent");
        let target = folder.join("settings.json");
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let target = target.clone();
                std::thread::spawn(move || write_file_atomically(&target, format!("writer {i}").as_bytes()))
            })
            .collect();
        for writer in writers {
            writer.join().unwrap().unwrap();
        }
        assert!(fs::read_to_string(&target).unwrap().starts_with("writer "));
        assert_eq!(entries(&folder), vec!["settings.json"]);
        assert!(is_temporary_name(".settings.json.nurie-a1B2c3.tmp"));
        fs::remove_dir_all(folder).unwrap();
    }
}
