//! Moving a damaged database out of the way: `history.sqlite3` becomes `history.sqlite3.broken` (and
//! its write-ahead log `history.sqlite3.broken-wal`, the name SQLite looks for when the copy is
//! opened), so that someone can still look at it. Only the newest broken copy is kept: an older one is
//! replaced. The shared-memory index (`-shm`) holds nothing worth keeping and is removed.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Moves the database at `path` (with its `-wal`) aside; returns where it went.
pub fn move_aside(path: &Path) -> io::Result<PathBuf> {
    let broken = with_suffix(path, ".broken");
    fs::rename(path, &broken)?;
    let wal = with_suffix(path, "-wal");
    let broken_wal = with_suffix(&broken, "-wal");
    if wal.exists() {
        fs::rename(&wal, &broken_wal)?;
    } else {
        remove_if_present(&broken_wal)?;
    }
    remove_if_present(&with_suffix(path, "-shm"))?;
    remove_if_present(&with_suffix(&broken, "-shm"))?;
    Ok(broken)
}

/// `path` with `suffix` appended to its file name (`a.sqlite3` + `-wal` = `a.sqlite3-wal`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_and_its_log_move_aside_and_replace_an_older_broken_copy() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("history.sqlite3");
        fs::write(&db, "new damage").unwrap();
        fs::write(with_suffix(&db, "-wal"), "new log").unwrap();
        fs::write(with_suffix(&db, "-shm"), "index").unwrap();
        fs::write(dir.path().join("history.sqlite3.broken"), "old damage").unwrap();

        let broken = move_aside(&db).unwrap();
        assert_eq!(broken, dir.path().join("history.sqlite3.broken"));
        assert_eq!(fs::read_to_string(&broken).unwrap(), "new damage");
        assert_eq!(fs::read_to_string(dir.path().join("history.sqlite3.broken-wal")).unwrap(), "new log");
        assert!(!db.exists() && !with_suffix(&db, "-wal").exists() && !with_suffix(&db, "-shm").exists());
    }

    #[test]
    fn a_stale_log_of_an_older_broken_copy_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("history.sqlite3");
        fs::write(&db, "damage").unwrap();
        fs::write(dir.path().join("history.sqlite3.broken-wal"), "older log").unwrap();
        move_aside(&db).unwrap();
        assert!(!dir.path().join("history.sqlite3.broken-wal").exists());
    }
}
