//! The history's own thread (`nurie-history`): it owns a connection to the library and answers the
//! window's searches and edits through bounded channels, so a slow disk never stalls a frame. Imports
//! and rebuilds run on threads of their own (with their own connections: the library is in WAL mode),
//! so searching goes on while a folder is being read.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use crate::app::i18n::Texts;
use crate::app::service::{Emitter, Service, Waker, spawn};
use crate::history::{Facets, ImageDetails, ImageId, ImageRow, ImportProgress, Library, OpenState, Query, rebuild};

const COMMAND_CAPACITY: usize = 32;
/// How often an idle history thread looks for changes made by others (another window, a generation
/// on the worker, `nurie generate`).
const LOOK_FOR_CHANGES: Duration = Duration::from_secs(2);
const EVENT_CAPACITY: usize = 64;

pub enum HistoryCommand {
    /// One page of results; `generation` identifies the query it belongs to.
    Search {
        generation: u64,
        query: Box<Query>,
        offset: usize,
        limit: usize,
    },
    Details(ImageId),
    SetFavorite(ImageId, bool),
    AddTag(ImageId, String),
    RemoveTag(ImageId, String),
    /// Forget the row of a picture that was deleted.
    Forget(PathBuf),
    /// The folders, tags and models to filter by.
    Facets,
    /// Stop keeping an import folder's pictures in the history (the files stay).
    ForgetFolder(PathBuf),
    /// Index a folder in place (new, changed and removed files), or rebuild every known folder plus
    /// the given ones (`rebuild: true`).
    Scan {
        folders: Vec<PathBuf>,
        rebuild: bool,
        cancel: Arc<AtomicBool>,
    },
}

pub enum HistoryEvent {
    /// The library is open; what was set aside when the file found was damaged or another program's
    /// (a rebuild follows).
    Opened {
        set_aside: Option<HistoryMessage>,
    },
    Page {
        generation: u64,
        offset: usize,
        rows: Vec<ImageRow>,
        total: usize,
    },
    Details(Box<ImageDetails>),
    Facets(Box<Facets>),
    /// Something changed the rows (edit, import): queries should run again.
    Changed,
    ScanProgress(ImportProgress),
    /// A scan ended.
    ScanFinished(ScanSummary),
    Failed(HistoryMessage),
    /// Something to tell the user.
    Message(HistoryMessage),
}

/// What a scan did.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanSummary {
    /// A rebuild of every known folder: pictures indexed, folders that could not be read (with why).
    Rebuilt { pictures: usize, unreadable: Vec<(PathBuf, String)> },
    /// Imports of the given folders.
    Imported(Vec<FolderImport>),
}

/// One imported folder's counts.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderImport {
    pub folder: PathBuf,
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub skipped: usize,
    pub cancelled: bool,
}

/// What the history tells the user, put into words by the window in its language.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryMessage {
    CannotStart(String),
    CannotOpen(String),
    Damaged(String),
    /// `history.sqlite3` was another program's database; it now lies, untouched, at this path.
    NotNurie(PathBuf),
    /// A library error, as the library words it.
    Failed(String),
    CannotStartReading(String),
    FolderForgotten {
        folder: PathBuf,
        pictures: usize,
    },
    Scanned(ScanSummary),
    CannotTrash {
        path: PathBuf,
        error: String,
    },
}

impl HistoryMessage {
    /// The message in the window's language; `None` when there is nothing worth saying (a first
    /// start's rebuild that found no pictures).
    pub fn text(&self, texts: &Texts) -> Option<String> {
        Some(match self {
            HistoryMessage::CannotStart(e) => (texts.history_cannot_start)(e),
            HistoryMessage::CannotOpen(e) => (texts.history_cannot_open)(e),
            HistoryMessage::Damaged(reason) => (texts.history_damaged)(reason),
            HistoryMessage::NotNurie(moved_to) => (texts.history_not_nurie)(&moved_to.display().to_string()),
            HistoryMessage::Failed(e) => (texts.history_failed)(e),
            HistoryMessage::CannotStartReading(e) => (texts.cannot_start_reading)(e),
            HistoryMessage::FolderForgotten { folder, pictures } => {
                (texts.folder_forgotten)(&folder.display().to_string(), *pictures)
            }
            HistoryMessage::Scanned(summary) => return summary_text(summary, texts),
            HistoryMessage::CannotTrash { path, error } => (texts.cannot_trash)(&path.display().to_string(), error),
        })
    }
}

fn summary_text(summary: &ScanSummary, texts: &Texts) -> Option<String> {
    match summary {
        ScanSummary::Rebuilt { pictures: 0, unreadable } if unreadable.is_empty() => None,
        ScanSummary::Rebuilt { pictures, unreadable } => {
            let mut text = (texts.pictures_indexed)(*pictures);
            if !unreadable.is_empty() {
                let folders: Vec<String> = unreadable.iter().map(|(root, e)| format!("{}: {e}", root.display())).collect();
                text.push_str("; ");
                text.push_str(&(texts.folders_not_readable)(&folders.join("; ")));
            }
            Some(text)
        }
        ScanSummary::Imported(folders) => {
            let lines: Vec<String> = folders.iter().map(|f| import_line(f, texts)).collect();
            Some(lines.join("\n"))
        }
    }
}

fn import_line(import: &FolderImport, texts: &Texts) -> String {
    let folder = import.folder.display().to_string();
    let line = (texts.folder_imported)(&folder, import.added, import.updated, import.removed, import.skipped);
    if import.cancelled { format!("{line} {}", texts.import_cancelled) } else { line }
}

pub struct HistoryThread {
    service: Service<HistoryCommand, HistoryEvent>,
}

impl HistoryThread {
    /// Opens the library of `home` on the `nurie-history` thread; `outputs` is always part of a rebuild.
    pub fn start(home: PathBuf, outputs: PathBuf, waker: Waker) -> std::io::Result<Self> {
        let service = Service::start("history", (COMMAND_CAPACITY, EVENT_CAPACITY), waker, move |commands, events| {
            Server { home, outputs, events }.serve(commands)
        })?;
        Ok(Self { service })
    }

    /// Sends `command`; false when the thread is gone or too far behind (the window retries later).
    pub fn send(&self, command: HistoryCommand) -> bool {
        self.service.try_send(command)
    }

    pub fn try_event(&self) -> Option<HistoryEvent> {
        self.service.try_event().ok().flatten()
    }
}

struct Server {
    home: PathBuf,
    outputs: PathBuf,
    events: Emitter<HistoryEvent>,
}

impl Server {
    fn emit(&self, event: HistoryEvent) {
        self.events.send(event);
    }

    fn serve(self, commands: Receiver<HistoryCommand>) {
        let library = match Library::in_home(&self.home) {
            Ok(opened) => {
                let set_aside = match &opened.state {
                    OpenState::NotNurie { moved_to, .. } => Some(HistoryMessage::NotNurie(moved_to.clone())),
                    _ => opened.rebuilt_because().map(|reason| HistoryMessage::Damaged(reason.to_string())),
                };
                let needs_indexing = opened.needs_indexing();
                self.emit(HistoryEvent::Opened { set_aside });
                if needs_indexing {
                    self.scan(vec![self.outputs.clone()], true, Arc::new(AtomicBool::new(false)));
                }
                opened.library
            }
            Err(e) => {
                self.emit(HistoryEvent::Failed(HistoryMessage::CannotOpen(e.to_string())));
                return;
            }
        };
        let mut seen_version = library.data_version().ok();
        loop {
            match commands.recv_timeout(LOOK_FOR_CHANGES) {
                Ok(command) => self.handle(&library, command),
                Err(RecvTimeoutError::Timeout) => {
                    let version = library.data_version().ok();
                    if version != seen_version {
                        seen_version = version;
                        self.emit(HistoryEvent::Changed);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn handle(&self, library: &Library, command: HistoryCommand) {
        let result = match command {
            HistoryCommand::Search { generation, query, offset, limit } => library
                .count(&query)
                .and_then(|total| Ok((total, library.search(&query, offset, limit)?)))
                .map(|(total, rows)| self.emit(HistoryEvent::Page { generation, offset, rows, total })),
            HistoryCommand::Details(id) => library.details(id).map(|d| self.emit(HistoryEvent::Details(Box::new(d)))),
            HistoryCommand::SetFavorite(id, on) => library.set_favorite(id, on).map(|_| self.changed(library, id)),
            HistoryCommand::AddTag(id, tag) => library.add_tag(id, &tag).map(|_| self.changed(library, id)),
            HistoryCommand::RemoveTag(id, tag) => library.remove_tag(id, &tag).map(|_| self.changed(library, id)),
            HistoryCommand::Forget(path) => library.remove_path(&path).map(|_| self.emit(HistoryEvent::Changed)),
            HistoryCommand::Facets => library.facets().map(|facets| self.emit(HistoryEvent::Facets(Box::new(facets)))),
            HistoryCommand::ForgetFolder(folder) => library.forget_folder(&folder).map(|pictures| {
                self.emit(HistoryEvent::Changed);
                self.emit(HistoryEvent::Message(HistoryMessage::FolderForgotten { folder, pictures }));
            }),
            HistoryCommand::Scan { folders, rebuild, cancel } => {
                self.scan(folders, rebuild, cancel);
                Ok(())
            }
        };
        if let Err(e) = result {
            self.emit(HistoryEvent::Failed(HistoryMessage::Failed(e.to_string())));
        }
    }

    /// After an edit: the rows and the open details are stale.
    fn changed(&self, library: &Library, id: ImageId) {
        self.emit(HistoryEvent::Changed);
        if let Ok(details) = library.details(id) {
            self.emit(HistoryEvent::Details(Box::new(details)));
        }
    }

    /// Reads `folders` on the thread `nurie-history-scan`, reporting progress and a summary.
    fn scan(&self, folders: Vec<PathBuf>, full: bool, cancel: Arc<AtomicBool>) {
        let (home, events) = (self.home.clone(), self.events.clone());
        let spawned = spawn("history-scan", move || {
            let summary = run_scan(&home, &folders, full, &cancel, &mut |p| {
                // Progress is lossy: a full channel skips an update rather than waiting.
                events.offer(HistoryEvent::ScanProgress(p));
            });
            events.send(HistoryEvent::Changed);
            events.send(match summary {
                Ok(summary) => HistoryEvent::ScanFinished(summary),
                Err(error) => HistoryEvent::Failed(HistoryMessage::Failed(error)),
            });
        });
        if let Err(e) = spawned {
            self.emit(HistoryEvent::Failed(HistoryMessage::CannotStartReading(e.to_string())));
        }
    }
}

/// Imports (or rebuilds) and sums up what it did.
fn run_scan(
    home: &std::path::Path,
    folders: &[PathBuf],
    full: bool,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<ScanSummary, String> {
    let library = Library::in_home(home).map_err(|e| e.to_string())?.library;
    if full {
        let existing: Vec<PathBuf> = folders.iter().filter(|f| f.is_dir()).cloned().collect();
        let report = rebuild(&library, &existing, progress, cancel).map_err(|e| e.to_string())?;
        let unreadable = report.failures().map(|(root, e)| (root.to_path_buf(), e.to_string())).collect();
        return Ok(ScanSummary::Rebuilt { pictures: report.images(), unreadable });
    }
    let mut imports = Vec::new();
    for folder in folders {
        let report = crate::history::import_folder(&library, folder, progress, cancel).map_err(|e| e.to_string())?;
        imports.push(FolderImport {
            folder: folder.clone(),
            added: report.added,
            updated: report.updated,
            removed: report.removed,
            skipped: report.skipped.len(),
            cancelled: report.cancelled,
        });
    }
    Ok(ScanSummary::Imported(imports))
}
