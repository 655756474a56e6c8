//! Moving a damaged database out of the way: `history.sqlite3` becomes `history.sqlite3.broken` (and
//! its write-ahead log `history.sqlite3.broken-wal`, the name SQLite looks for when the copy is
//! opened), so that someone can still look at it. Only the newest broken copy is kept: an older one is
//! replaced. The shared-memory index (`-shm`) holds nothing worth keeping and is removed.
//!
//! Another program's database found at the history's path is someone's data, not a broken index: it
//! becomes `history.sqlite3.not-nurie-<local time>` and is never replaced (a second one on the same
//! second gets `-2`, …).

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Moves the database at `path` (with its `-wal`) aside; returns where it went.
pub fn move_aside(path: &Path) -> io::Result<PathBuf> {
    let broken = with_suffix(path, ".broken");
    move_with_log(path, &broken)?;
    Ok(broken)
}

/// Moves another program's database at `path` (with its `-wal`) to a name of its own beside it;
/// returns that name.
pub fn move_foreign_aside(path: &Path) -> io::Result<PathBuf> {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S").to_string();
    let first = with_suffix(path, &format!(".not-nurie-{stamp}"));
    let is_free = |candidate: &PathBuf| !candidate.exists() && !with_suffix(candidate, "-wal").exists();
    let target =
        std::iter::once(first.clone()).chain((2..).map(|n| with_suffix(&first, &format!("-{n}")))).find(is_free).unwrap_or(first);
    move_with_log(path, &target)?;
    Ok(target)
}

/// Renames `path` to `target` and its `-wal` to `target`'s (a stale `-wal` of `target` is dropped);
/// both `-shm` files are removed.
fn move_with_log(path: &Path, target: &Path) -> io::Result<()> {
    fs::rename(path, target)?;
    let wal = with_suffix(path, "-wal");
    let target_wal = with_suffix(target, "-wal");
    if wal.exists() {
        fs::rename(&wal, &target_wal)?;
    } else {
        remove_if_present(&target_wal)?;
    }
    remove_if_present(&with_suffix(path, "-shm"))?;
    remove_if_present(&with_suffix(target, "-shm"))
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
    fn another_program_s_database_moves_to_a_name_of_its_own_and_never_replaces_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("history.sqlite3");
        let mut moved = Vec::new();
        for content in ["first", "second"] {
            fs::write(&db, content).unwrap();
            fs::write(with_suffix(&db, "-wal"), format!("{content} log")).unwrap();
            moved.push(move_foreign_aside(&db).unwrap());
        }
        assert_ne!(moved[0], moved[1]);
        for (copy, content) in moved.iter().zip(["first", "second"]) {
            let name = copy.file_name().unwrap().to_str().unwrap();
            assert!(name.starts_with("history.sqlite3.not-nurie-20"), "{name}");
            assert_eq!(fs::read_to_string(copy).unwrap(), content);
            assert_eq!(fs::read_to_string(with_suffix(copy, "-wal")).unwrap(), format!("{content} log"));
        }
        assert!(!db.exists() && !with_suffix(&db, "-wal").exists());
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
