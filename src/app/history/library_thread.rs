//! The history's own thread (`nurie-history`): it owns a connection to the library and answers the
//! window's searches and edits through bounded channels, so a slow disk never stalls a frame. Imports
//! and rebuilds run on threads of their own (with their own connections: the library is in WAL mode),
//! so searching goes on while a folder is being read.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::Duration;

use crate::history::{Facets, ImageDetails, ImageId, ImageRow, ImportProgress, Library, Query, rebuild};

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
    /// The library is open; a message when it had to be replaced (then a rebuild follows).
    Opened {
        notice: Option<String>,
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
    /// A scan ended, with a summary for the window (empty when there is nothing to tell).
    ScanFinished(String),
    Failed(String),
    /// Something to tell the user.
    Message(String),
}

pub struct HistoryThread {
    commands: SyncSender<HistoryCommand>,
    events: Receiver<HistoryEvent>,
}

impl HistoryThread {
    /// Opens the library of `home` on a new thread; `outputs` is always part of a rebuild.
    pub fn start(home: PathBuf, outputs: PathBuf, wake: Arc<dyn Fn() + Send + Sync>) -> std::io::Result<Self> {
        let (commands, command_rx) = sync_channel(COMMAND_CAPACITY);
        let (event_tx, events) = sync_channel(EVENT_CAPACITY);
        std::thread::Builder::new()
            .name("nurie-history".into())
            .spawn(move || Server { home, outputs, events: event_tx, wake }.serve(command_rx))?;
        Ok(Self { commands, events })
    }

    /// Sends `command`; false when the thread is gone or too far behind (the window retries later).
    pub fn send(&self, command: HistoryCommand) -> bool {
        self.commands.try_send(command).is_ok()
    }

    pub fn try_event(&self) -> Option<HistoryEvent> {
        self.events.try_recv().ok()
    }
}

struct Server {
    home: PathBuf,
    outputs: PathBuf,
    events: SyncSender<HistoryEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl Server {
    fn emit(&self, event: HistoryEvent) {
        let _ = self.events.send(event);
        (self.wake)();
    }

    fn serve(self, commands: Receiver<HistoryCommand>) {
        let library = match Library::in_home(&self.home) {
            Ok(opened) => {
                let notice = opened.rebuilt_because().map(|reason| {
                    format!(
                        "The history database was damaged ({reason}); it was set aside and is being rebuilt from the pictures."
                    )
                });
                let needs_indexing = opened.needs_indexing();
                self.emit(HistoryEvent::Opened { notice });
                if needs_indexing {
                    self.scan(vec![self.outputs.clone()], true, Arc::new(AtomicBool::new(false)));
                }
                opened.library
            }
            Err(e) => {
                self.emit(HistoryEvent::Failed(format!("The history cannot be opened: {e}")));
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
            HistoryCommand::ForgetFolder(folder) => library.forget_folder(&folder).map(|count| {
                self.emit(HistoryEvent::Changed);
                let text = format!("{}: {count} pictures no longer in the history (the files are untouched)", folder.display());
                self.emit(HistoryEvent::Message(text));
            }),
            HistoryCommand::Scan { folders, rebuild, cancel } => {
                self.scan(folders, rebuild, cancel);
                Ok(())
            }
        };
        if let Err(e) = result {
            self.emit(HistoryEvent::Failed(e.to_string()));
        }
    }

    /// After an edit: the rows and the open details are stale.
    fn changed(&self, library: &Library, id: ImageId) {
        self.emit(HistoryEvent::Changed);
        if let Ok(details) = library.details(id) {
            self.emit(HistoryEvent::Details(Box::new(details)));
        }
    }

    /// Reads `folders` on a thread of its own, reporting progress and a summary.
    fn scan(&self, folders: Vec<PathBuf>, full: bool, cancel: Arc<AtomicBool>) {
        let (home, events, wake) = (self.home.clone(), self.events.clone(), self.wake.clone());
        let spawned = std::thread::Builder::new().name("nurie-history-scan".into()).spawn(move || {
            let emit = |event| {
                let _ = events.send(event);
                wake();
            };
            let summary = run_scan(&home, &folders, full, &cancel, &mut |p| {
                // Progress is lossy: a full channel skips an update rather than waiting.
                let _ = events.try_send(HistoryEvent::ScanProgress(p));
            });
            emit(HistoryEvent::Changed);
            emit(match summary {
                Ok(text) => HistoryEvent::ScanFinished(text),
                Err(text) => HistoryEvent::Failed(text),
            });
        });
        if let Err(e) = spawned {
            self.emit(HistoryEvent::Failed(format!("cannot start reading the folder: {e}")));
        }
    }
}

/// Imports (or rebuilds) and describes the outcome in one line.
fn run_scan(
    home: &std::path::Path,
    folders: &[PathBuf],
    full: bool,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<String, String> {
    let library = Library::in_home(home).map_err(|e| e.to_string())?.library;
    if full {
        let existing: Vec<PathBuf> = folders.iter().filter(|f| f.is_dir()).cloned().collect();
        let report = rebuild(&library, &existing, progress, cancel).map_err(|e| e.to_string())?;
        let failures: Vec<String> = report.failures().map(|(root, e)| format!("{}: {e}", root.display())).collect();
        if report.images() == 0 && failures.is_empty() {
            // Nothing to say (a first start with no pictures yet).
            return Ok(String::new());
        }
        let mut text = format!("{} pictures indexed", report.images());
        if !failures.is_empty() {
            text.push_str(&format!("; not readable: {}", failures.join("; ")));
        }
        return Ok(text);
    }
    let mut lines = Vec::new();
    for folder in folders {
        let report = crate::history::import_folder(&library, folder, progress, cancel).map_err(|e| e.to_string())?;
        lines.push(format!(
            "{}: {} added, {} updated, {} removed, {} skipped{}",
            folder.display(),
            report.added,
            report.updated,
            report.removed,
            report.skipped.len(),
            if report.cancelled { " (cancelled)" } else { "" }
        ));
    }
    Ok(lines.join("\n"))
}
