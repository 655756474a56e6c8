//! Deciding what an incremental scan must do: compare the files found under a root with the rows the
//! history has under it, by (path, size, modification time).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::error::Result;
use super::file_facts::FileFacts;
use super::walk::FolderWalk;

/// How a scan treats files whose size and time did not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanMode {
    /// Trusts them (a re-scan).
    Incremental,
    /// Reads them again (a rebuild).
    Full,
}

/// One file to read, and whether the history already has a row for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileToRead {
    pub path: PathBuf,
    pub known: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ScanPlan {
    pub to_read: Vec<FileToRead>,
    pub unchanged: usize,
    /// Rows whose file is gone.
    pub to_remove: Vec<String>,
    /// Files whose path is not UTF-8 (the history cannot hold them).
    pub non_utf8: Vec<PathBuf>,
}

/// The facts stored for each row under `root` (rows are found by path, whatever root they were
/// imported with, so nested roots never fight over a file).
pub fn rows_under(connection: &Connection, root: &str) -> Result<HashMap<String, FileFacts>> {
    let (low, high) = path_prefix_range(root);
    let sql = "SELECT path, file_size, modified_ns FROM images WHERE path >= ?1 AND path < ?2";
    let mut statement = connection.prepare_cached(sql)?;
    let rows = statement.query_map([low, high], |row| {
        let facts = FileFacts { size: row.get::<_, i64>(1)?.max(0) as u64, modified_ns: row.get(2)? };
        Ok((row.get::<_, String>(0)?, facts))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// `[root/, root0)`: in SQLite's byte order, exactly the paths that lie inside `root`.
fn path_prefix_range(root: &str) -> (String, String) {
    let separator = std::path::MAIN_SEPARATOR;
    let low = if root.ends_with(separator) { root.to_string() } else { format!("{root}{separator}") };
    let mut high = low.clone();
    high.pop();
    high.push(char::from(separator as u8 + 1)); // `/` → `0`, `\` → `]`
    (low, high)
}

pub fn plan_scan(walk: &FolderWalk, mut known: HashMap<String, FileFacts>, mode: ScanMode) -> ScanPlan {
    let mut plan = ScanPlan::default();
    for (path, facts) in &walk.files {
        let Some(text) = path.to_str() else {
            plan.non_utf8.push(path.clone());
            continue;
        };
        match known.remove(text) {
            Some(stored) if stored == *facts && mode == ScanMode::Incremental => plan.unchanged += 1,
            stored => plan.to_read.push(FileToRead { path: path.clone(), known: stored.is_some() }),
        }
    }
    // What is left was not found; keep the rows of what could not be looked at.
    plan.to_remove = known.into_keys().filter(|path| !walk.hides(Path::new(path))).collect();
    plan.to_remove.sort();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(size: u64, modified_ns: i64) -> FileFacts {
        FileFacts { size, modified_ns }
    }

    #[test]
    fn the_prefix_range_holds_the_root_s_files_only() {
        let (low, high) = path_prefix_range("/pics/a1111");
        assert_eq!((low.as_str(), high.as_str()), ("/pics/a1111/", "/pics/a11110"));
        let inside = |path: &str| low.as_str() <= path && path < high.as_str();
        assert!(inside("/pics/a1111/x.png") && inside("/pics/a1111/sub/y.png"));
        assert!(!inside("/pics/a1111-old/x.png") && !inside("/pics/a1111") && !inside("/pics/a11110/x.png"));
        assert_eq!(path_prefix_range("/").0, "/");
    }

    #[test]
    fn new_changed_unchanged_and_removed_files_are_told_apart() {
        let walk = FolderWalk {
            files: vec![
                ("/r/new.png".into(), facts(10, 1)),
                ("/r/same.png".into(), facts(20, 2)),
                ("/r/touched.png".into(), facts(30, 4)),
                ("/r/grown.png".into(), facts(41, 5)),
            ],
            unreadable: vec![("/r/locked".into(), "permission denied".into())],
        };
        let known: HashMap<String, FileFacts> = [
            ("/r/same.png", facts(20, 2)),
            ("/r/touched.png", facts(30, 3)),
            ("/r/grown.png", facts(40, 5)),
            ("/r/deleted.png", facts(1, 1)),
            ("/r/locked/kept.png", facts(1, 1)),
        ]
        .into_iter()
        .map(|(p, f)| (p.to_string(), f))
        .collect();

        let plan = plan_scan(&walk, known.clone(), ScanMode::Incremental);
        let read: Vec<_> = plan.to_read.iter().map(|f| (f.path.to_str().unwrap(), f.known)).collect();
        assert_eq!(read, [("/r/new.png", false), ("/r/touched.png", true), ("/r/grown.png", true)]);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.to_remove, ["/r/deleted.png"]);

        let full = plan_scan(&walk, known, ScanMode::Full);
        assert_eq!((full.to_read.len(), full.unchanged), (4, 0));
    }
}
