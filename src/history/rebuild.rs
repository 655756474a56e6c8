//! Rebuilding the history from the images: every file under every root is read again.
//!
//! The roots are the ones the `folders` table remembers plus the ones the caller gives: after the
//! database was deleted or replaced the table is empty, so the app passes its output folder and the
//! folders it remembers in its settings. Rows whose file is gone are dropped, as in any scan; the
//! user's favorites and tags stay on the files that are still there (they exist nowhere else). A root
//! that cannot be read (an unplugged drive) is reported and its rows are kept.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::error::{HistoryError, Result};
use super::folder_list::remembered_folders;
use super::import::{ImportProgress, ImportReport, scan_folder};
use super::library::Library;
use super::scan_plan::ScanMode;
use super::schema::REBUILD_TEXT_INDEXES;

#[derive(Debug, Default)]
pub struct RebuildReport {
    /// Each root and how its scan went.
    pub roots: Vec<(PathBuf, Result<ImportReport>)>,
}

impl RebuildReport {
    pub fn images(&self) -> usize {
        self.reports().map(|report| report.added + report.updated + report.unchanged).sum()
    }

    pub fn reports(&self) -> impl Iterator<Item = &ImportReport> {
        self.roots.iter().filter_map(|(_, result)| result.as_ref().ok())
    }

    pub fn failures(&self) -> impl Iterator<Item = (&Path, &HistoryError)> {
        self.roots.iter().filter_map(|(root, result)| result.as_ref().err().map(|error| (root.as_path(), error)))
    }
}

/// Re-reads every image under the remembered roots (the database's and the list beside it) and
/// `extra_roots`.
pub fn rebuild(
    library: &Library,
    extra_roots: &[PathBuf],
    progress: &mut dyn FnMut(ImportProgress),
    cancel: &AtomicBool,
) -> Result<RebuildReport> {
    library.write(|transaction| Ok(transaction.execute_batch(REBUILD_TEXT_INDEXES)?))?;
    let mut roots: Vec<PathBuf> = library.folders()?.into_iter().map(|folder| folder.path).collect();
    for root in remembered_folders(library.path()).iter().chain(extra_roots) {
        let root = std::path::absolute(root).unwrap_or_else(|_| root.clone());
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    let mut report = RebuildReport::default();
    for root in roots {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let result = scan_folder(library, &root, ScanMode::Full, progress, cancel);
        report.roots.push((root, result));
    }
    Ok(report)
}
