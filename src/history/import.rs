//! Importing a folder of images in place (Nurie's outputs, or an A1111, Forge, ComfyUI or InvokeAI
//! folder), and re-scanning it incrementally: new and changed files are read, rows of deleted files
//! are dropped, unchanged files are not opened.
//!
//! Files are read outside any transaction and written in batches of [`BATCH_SIZE`], one transaction
//! each: fast, a window's other writes wait at most one batch, and a process killed mid-import leaves
//! the database as of the last finished batch (the next scan continues from there). A file that
//! cannot be indexed is skipped and reported; a database error (disk full) ends the import.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::Connection;

use super::entry::ImageEntry;
use super::error::{FileError, HistoryError, Result};
use super::folder_list::remember_folder;
use super::index::{register_folder, stored_path, upsert};
use super::library::Library;
use super::scan_plan::{FileToRead, ScanMode, ScanPlan, plan_scan, rows_under};
use super::walk::walk_pngs;
use crate::metadata::ReadLimits;

/// Rows written per transaction.
pub const BATCH_SIZE: usize = 200;

/// Files handled so far out of the files found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    pub done: usize,
    pub total: usize,
}

#[derive(Debug, Default)]
pub struct ImportReport {
    /// The import root, as stored.
    pub folder: PathBuf,
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Files and folders that could not be read, and why.
    pub skipped: Vec<(PathBuf, String)>,
    /// The scan stopped early because `cancel` was set; what was done is kept.
    pub cancelled: bool,
}

/// Imports or re-scans `dir`. `progress` is called as files are handled; setting `cancel` stops the
/// scan after the current file.
pub fn import_folder(
    library: &Library,
    dir: &Path,
    progress: &mut dyn FnMut(ImportProgress),
    cancel: &AtomicBool,
) -> Result<ImportReport> {
    scan_folder(library, dir, ScanMode::Incremental, progress, cancel)
}

pub(super) fn scan_folder(
    library: &Library,
    dir: &Path,
    mode: ScanMode,
    progress: &mut dyn FnMut(ImportProgress),
    cancel: &AtomicBool,
) -> Result<ImportReport> {
    let root = import_root(dir)?;
    let root_text = stored_path(&root)?;
    library.write(|transaction| register_folder(transaction, &root_text))?;
    remember_folder(library.path(), &root)?;
    let walk = walk_pngs(&root, cancel).map_err(|source| HistoryError::Folder { path: root.clone(), source })?;
    let plan = plan_scan(&walk, rows_under(library.connection(), &root_text)?, mode);

    let mut report = ImportReport { folder: root.clone(), unchanged: plan.unchanged, ..Default::default() };
    report.skipped.extend(walk.unreadable.iter().cloned());
    let not_utf8 = plan.non_utf8.iter().map(|path| (path.clone(), FileError::NonUtf8Path { path: path.clone() }));
    report.skipped.extend(not_utf8.map(|(path, error)| (path, error.to_string())));
    report.removed = library.write(|transaction| forget_paths(transaction, &plan.to_remove))?;

    read_and_write(library, &root, &plan, &mut report, progress, cancel)?;
    report.cancelled = cancel.load(Ordering::Relaxed);
    if !report.cancelled {
        library.mark_scanned(&root)?;
    }
    Ok(report)
}

/// The absolute form of `dir` (without resolving links: the user's spelling stays recognizable),
/// which must be a folder.
fn import_root(dir: &Path) -> Result<PathBuf> {
    let folder_error = |source| HistoryError::Folder { path: dir.to_path_buf(), source };
    let root = std::path::absolute(dir).map_err(folder_error)?;
    let metadata = std::fs::metadata(&root).map_err(folder_error)?;
    if !metadata.is_dir() {
        return Err(folder_error(std::io::Error::from(std::io::ErrorKind::NotADirectory)));
    }
    Ok(root)
}

/// Reads the planned files, [`BATCH_SIZE`] at a time, and writes each batch in one transaction.
fn read_and_write(
    library: &Library,
    root: &Path,
    plan: &ScanPlan,
    report: &mut ImportReport,
    progress: &mut dyn FnMut(ImportProgress),
    cancel: &AtomicBool,
) -> Result<()> {
    let total = plan.unchanged + plan.to_read.len();
    let mut done = plan.unchanged;
    progress(ImportProgress { done, total });
    let limits = ReadLimits::default();
    for files in plan.to_read.chunks(BATCH_SIZE) {
        let mut batch = Batch::default();
        for file in files {
            if cancel.load(Ordering::Relaxed) {
                break;
            }
            batch.read(file, root, &limits, report);
            done += 1;
            progress(ImportProgress { done, total });
        }
        let written = library.write(|transaction| batch.write(transaction))?;
        report.added += written.added;
        report.updated += written.updated;
        report.removed += written.removed;
        if cancel.load(Ordering::Relaxed) {
            break;
        }
    }
    Ok(())
}

/// One transaction's worth of work.
#[derive(Default)]
struct Batch {
    entries: Vec<ImageEntry>,
    /// Known files that vanished or became unreadable since their row was written.
    forget: Vec<String>,
}

impl Batch {
    fn read(&mut self, file: &FileToRead, root: &Path, limits: &ReadLimits, report: &mut ImportReport) {
        match ImageEntry::read(&file.path, root, limits) {
            Ok(entry) => self.entries.push(entry),
            Err(error) => {
                if file.known {
                    self.forget.extend(file.path.to_str().map(str::to_string));
                }
                if !error.is_missing() {
                    report.skipped.push((file.path.clone(), error.to_string()));
                }
            }
        }
    }

    fn write(&self, connection: &Connection) -> Result<Written> {
        let mut added = 0;
        for entry in &self.entries {
            added += usize::from(upsert(connection, entry)?.new);
        }
        let removed = forget_paths(connection, &self.forget)?;
        Ok(Written { added, updated: self.entries.len() - added, removed })
    }
}

struct Written {
    added: usize,
    updated: usize,
    removed: usize,
}

/// Deletes the rows of `paths` (their tags go with them); returns how many there were.
pub(super) fn forget_paths(connection: &Connection, paths: &[String]) -> Result<usize> {
    let mut statement = connection.prepare_cached("DELETE FROM images WHERE path = ?1")?;
    let mut removed = 0;
    for path in paths {
        removed += statement.execute([path])?;
    }
    Ok(removed)
}
