//! Importing a folder of images in place (Nurie's outputs, or an A1111, Forge, ComfyUI or InvokeAI
//! folder), and re-scanning it incrementally: new and changed files are read, rows of deleted files
//! are dropped, unchanged files are not opened.
//!
//! Files are read outside any transaction, [`BATCH_SIZE`] at a time, and written in short transactions
//! (see [`super::paced`]: at most [`BATCH_SIZE`] rows and about 200 ms each, with a pause between
//! them): fast, other writers (a window, `nurie generate` recording a picture, a second import) wait
//! at most one short transaction, and a process killed mid-import leaves the database as of the last
//! finished transaction (the next scan continues from there). A file that cannot be indexed is skipped
//! and reported; a database error (disk full) ends the import.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::Connection;

use super::entry::ImageEntry;
use super::error::{FileError, HistoryError, Result};
use super::folder_list::remember_folder;
use super::index::{register_folder, stored_path, upsert};
use super::library::Library;
use super::paced::{MAX_ROWS, PacedWriter};
use super::scan_plan::{FileToRead, ScanMode, ScanPlan, plan_scan, rows_under};
use super::walk::walk_pngs;
use crate::metadata::ReadLimits;

/// Files read before their rows are written; also the most rows one transaction writes.
pub const BATCH_SIZE: usize = MAX_ROWS;

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
    let mut writer = PacedWriter::new(library);
    writer.write_all(&plan.to_remove, |connection, path| {
        report.removed += forget_path(connection, path)?;
        Ok(())
    })?;

    read_and_write(&mut writer, &root, &plan, &mut report, progress, cancel)?;
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

/// Reads the planned files, [`BATCH_SIZE`] at a time, and writes each batch (in one or more short
/// transactions).
fn read_and_write(
    writer: &mut PacedWriter<'_>,
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
        writer.write_all(&batch.changes, |connection, change| change.apply(connection, report))?;
        if cancel.load(Ordering::Relaxed) {
            break;
        }
    }
    Ok(())
}

/// The changes read from one batch of files.
#[derive(Default)]
struct Batch {
    changes: Vec<Change>,
}

/// One row to write or delete.
enum Change {
    Index(Box<ImageEntry>),
    /// A known file that vanished or became unreadable since its row was written.
    Forget(String),
}

impl Batch {
    fn read(&mut self, file: &FileToRead, root: &Path, limits: &ReadLimits, report: &mut ImportReport) {
        match ImageEntry::read(&file.path, root, limits) {
            Ok(entry) => self.changes.push(Change::Index(Box::new(entry))),
            Err(error) => {
                if file.known {
                    self.changes.extend(file.path.to_str().map(|path| Change::Forget(path.to_string())));
                }
                if !error.is_missing() {
                    report.skipped.push((file.path.clone(), error.to_string()));
                }
            }
        }
    }
}

impl Change {
    /// Writes the change and counts it in `report` (an error ends the import, counts and all).
    fn apply(&self, connection: &Connection, report: &mut ImportReport) -> Result<()> {
        match self {
            Change::Index(entry) => {
                if upsert(connection, entry)?.new {
                    report.added += 1;
                } else {
                    report.updated += 1;
                }
            }
            Change::Forget(path) => report.removed += forget_path(connection, path)?,
        }
        Ok(())
    }
}

/// Deletes the row of `path` (its tags go with it); returns how many there were (0 or 1).
fn forget_path(connection: &Connection, path: &str) -> Result<usize> {
    Ok(connection.prepare_cached("DELETE FROM images WHERE path = ?1")?.execute([path])?)
}
