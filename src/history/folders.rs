//! The import roots: listing them (for the history view's folder filter and for rebuilds), noting a
//! finished scan, and forgetting a root with all its rows.

use std::path::{Path, PathBuf};

use rusqlite::params;

use super::error::Result;
use super::file_facts::unix_now;
use super::folder_list::forget_remembered_folder;
use super::index::stored_path;
use super::library::Library;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderInfo {
    pub path: PathBuf,
    /// Unix seconds.
    pub added_at: i64,
    /// When a scan last went through to the end; `None` before the first one did.
    pub last_scan_at: Option<i64>,
    pub image_count: usize,
}

impl Library {
    /// The import roots, by path.
    pub fn folders(&self) -> Result<Vec<FolderInfo>> {
        let sql = "SELECT f.path, f.added_at, f.last_scan_at, (SELECT count(*) FROM images WHERE folder = f.path)
                   FROM folders f ORDER BY f.path";
        let mut statement = self.connection().prepare_cached(sql)?;
        let rows = statement.query_map([], |row| {
            Ok(FolderInfo {
                path: PathBuf::from(row.get::<_, String>(0)?),
                added_at: row.get(1)?,
                last_scan_at: row.get(2)?,
                image_count: row.get::<_, i64>(3)?.max(0) as usize,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn mark_scanned(&self, root: &Path) -> Result<()> {
        let root = stored_path(root)?;
        self.write(|transaction| {
            let sql = "UPDATE folders SET last_scan_at = ?2 WHERE path = ?1";
            transaction.prepare_cached(sql)?.execute(params![&root, unix_now()])?;
            Ok(())
        })
    }

    /// Stops keeping `root` (as listed by [`Library::folders`]): its rows and their tags are deleted,
    /// the files are not touched. Returns how many rows went.
    pub fn forget_folder(&self, root: &Path) -> Result<usize> {
        forget_remembered_folder(self.path(), root)?;
        let root = stored_path(root)?;
        self.write(|transaction| {
            let sql = "SELECT count(*) FROM images WHERE folder = ?1";
            let rows: i64 = transaction.query_row(sql, [&root], |row| row.get(0))?;
            transaction.execute("DELETE FROM folders WHERE path = ?1", [&root])?;
            Ok(rows.max(0) as usize)
        })
    }
}
