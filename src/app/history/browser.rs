//! What the history view shows: the search and filters, the result pages fetched for the cells on
//! screen (the grid is virtualized: only visible rows are asked for), the selected picture's details,
//! thumbnails as textures, and a running import.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::history::{Facets, ImageDetails, ImageId, ImageRow, ImportProgress, Query, Sort};

use super::library_thread::{HistoryCommand, HistoryEvent, HistoryMessage, HistoryThread};
use super::thumbnails::ThumbnailLoader;
use crate::app::service::Waker;

/// Rows fetched per request.
pub const PAGE_SIZE: usize = 60;
/// Thumbnail textures kept on the GPU; those not drawn lately go first beyond this.
const MAX_TEXTURES: usize = 500;

/// How far back the date filter reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    #[default]
    All,
    Day,
    Week,
    Month,
    Year,
}

impl Period {
    pub const ALL: [Period; 5] = [Period::All, Period::Day, Period::Week, Period::Month, Period::Year];

    fn seconds(self) -> Option<i64> {
        const DAY: i64 = 24 * 60 * 60;
        match self {
            Period::All => None,
            Period::Day => Some(DAY),
            Period::Week => Some(7 * DAY),
            Period::Month => Some(31 * DAY),
            Period::Year => Some(366 * DAY),
        }
    }
}

/// The filters beside the search box.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filters {
    pub favorites_only: bool,
    pub with_controlnet: bool,
    pub period: Period,
    pub sort: Sort,
    /// Only pictures of this import folder.
    pub folder: Option<PathBuf>,
    /// Only pictures with this tag.
    pub tag: Option<String>,
    /// Only pictures made with this model (its name exactly).
    pub model: Option<String>,
}

/// A picture as the view can draw it.
pub enum PictureState {
    Ready(egui::TextureHandle),
    Loading,
    Unreadable,
}

/// A running import or rebuild.
pub struct Scan {
    pub progress: ImportProgress,
    pub cancel: Arc<AtomicBool>,
}

pub struct HistoryBrowser {
    thread: Option<HistoryThread>,
    loader: ThumbnailLoader,
    pub search_text: String,
    pub filters: Filters,
    /// The search and filters the shown results belong to.
    shown_for: Option<(String, Filters)>,
    generation: u64,
    pub total: usize,
    pages: HashMap<usize, Vec<ImageRow>>,
    requested: HashSet<usize>,
    pub selected: Option<ImageId>,
    pub details: Option<ImageDetails>,
    textures: HashMap<(PathBuf, u32), egui::TextureHandle>,
    failed: HashSet<(PathBuf, u32)>,
    drawn: HashSet<(PathBuf, u32)>,
    pub scan: Option<Scan>,
    /// Messages for the window's message area.
    pub messages: Vec<HistoryMessage>,
    /// Thumbnails turned into textures so far (for `nurie bench history`).
    pub thumbnails_loaded: usize,
    /// The folders, tags and models to filter by, and whether they need asking for again.
    pub facets: Facets,
    facets_stale: bool,
    /// An import folder the user asked to forget, waiting for confirmation.
    pub forget_asked: Option<PathBuf>,
}

impl HistoryBrowser {
    /// Starts the history thread and the thumbnail loader for Nurie's `home`.
    pub fn start(home: &Path, outputs: PathBuf, waker: Waker) -> Self {
        let mut messages = Vec::new();
        let thread = match HistoryThread::start(home.to_path_buf(), outputs, waker.clone()) {
            Ok(thread) => Some(thread),
            Err(e) => {
                messages.push(HistoryMessage::CannotStart(e.to_string()));
                None
            }
        };
        Self {
            thread,
            loader: ThumbnailLoader::start(home.join("thumbnails"), waker),
            search_text: String::new(),
            filters: Filters::default(),
            shown_for: None,
            generation: 0,
            total: 0,
            pages: HashMap::new(),
            requested: HashSet::new(),
            selected: None,
            details: None,
            textures: HashMap::new(),
            failed: HashSet::new(),
            drawn: HashSet::new(),
            scan: None,
            messages,
            thumbnails_loaded: 0,
            facets: Facets::default(),
            facets_stale: true,
            forget_asked: None,
        }
    }

    /// The query the search box and filters describe.
    pub fn query(&self) -> Query {
        let mut query = Query::parse(&self.search_text);
        query.favorites_only |= self.filters.favorites_only;
        if self.filters.with_controlnet {
            query.with_controlnet = Some(true);
        }
        if let Some(seconds) = self.filters.period.seconds() {
            query.created_from = Some(unix_now() - seconds);
        }
        query.sort = self.filters.sort;
        query.folder = self.filters.folder.clone();
        query.tags.extend(self.filters.tag.clone());
        query.exact_model = self.filters.model.clone();
        query
    }

    /// Runs the search again when its text or filters changed since the shown results.
    pub fn refresh_if_changed(&mut self) {
        if self.facets_stale && self.send(HistoryCommand::Facets) {
            self.facets_stale = false;
        }
        let wanted = (self.search_text.clone(), self.filters.clone());
        if self.shown_for.as_ref() != Some(&wanted) {
            self.shown_for = Some(wanted);
            self.refresh();
        }
    }

    /// Drops the fetched pages and asks for the first one again.
    pub fn refresh(&mut self) {
        self.generation += 1;
        self.pages.clear();
        self.requested.clear();
        self.request_page(0);
    }

    /// Row `index` of the results, asking for its page when it is not here yet.
    pub fn row(&mut self, index: usize) -> Option<&ImageRow> {
        let page = index / PAGE_SIZE;
        if !self.pages.contains_key(&page) {
            self.request_page(page);
        }
        self.pages.get(&page).and_then(|rows| rows.get(index % PAGE_SIZE))
    }

    fn request_page(&mut self, page: usize) {
        if !self.requested.insert(page) {
            return;
        }
        let query = Box::new(self.query());
        let command = HistoryCommand::Search { generation: self.generation, query, offset: page * PAGE_SIZE, limit: PAGE_SIZE };
        if !self.send(command) {
            self.requested.remove(&page);
        }
    }

    fn send(&mut self, command: HistoryCommand) -> bool {
        self.thread.as_ref().is_some_and(|thread| thread.send(command))
    }

    /// Handles the history thread's answers and the loaded thumbnails.
    pub fn pump(&mut self, ctx: &egui::Context) {
        while let Some(event) = self.thread.as_ref().and_then(HistoryThread::try_event) {
            self.on_event(event);
        }
        while let Some(loaded) = self.loader.try_result() {
            let texture = loaded.texture(ctx, format!("history:{}:{}", loaded.path.display(), loaded.side));
            let key = (loaded.path, loaded.side);
            match texture {
                Some(texture) => {
                    self.textures.insert(key, texture);
                    self.thumbnails_loaded += 1;
                }
                None => {
                    self.failed.insert(key);
                }
            }
        }
    }

    fn on_event(&mut self, event: HistoryEvent) {
        match event {
            HistoryEvent::Opened { set_aside } => {
                self.messages.extend(set_aside);
                self.facets_stale = true;
                self.refresh();
            }
            HistoryEvent::Page { generation, offset, rows, total } if generation == self.generation => {
                self.total = total;
                self.pages.insert(offset / PAGE_SIZE, rows);
            }
            HistoryEvent::Page { .. } => {}
            HistoryEvent::Details(details) => {
                if self.selected == Some(details.row.id) {
                    self.details = Some(*details);
                }
            }
            HistoryEvent::Facets(facets) => self.facets = *facets,
            HistoryEvent::Changed => {
                self.facets_stale = true;
                self.refresh();
            }
            HistoryEvent::Message(message) => self.messages.push(message),
            HistoryEvent::ScanProgress(progress) => {
                if let Some(scan) = &mut self.scan {
                    scan.progress = progress;
                }
            }
            HistoryEvent::ScanFinished(summary) => {
                self.scan = None;
                self.messages.push(HistoryMessage::Scanned(summary));
            }
            HistoryEvent::Failed(message) => {
                self.scan = None;
                self.messages.push(message);
            }
        }
    }

    /// The texture of `picture` at `side`, loading it in the background when it is not ready.
    pub fn picture(&mut self, picture: &Path, side: u32) -> PictureState {
        let key = (picture.to_path_buf(), side);
        if self.failed.contains(&key) {
            return PictureState::Unreadable;
        }
        self.drawn.insert(key.clone());
        match self.textures.get(&key) {
            Some(texture) => PictureState::Ready(texture.clone()),
            None => {
                self.loader.request(picture, side);
                PictureState::Loading
            }
        }
    }

    /// Frees the textures not drawn this frame once there are too many.
    pub fn end_frame(&mut self) {
        if self.textures.len() > MAX_TEXTURES {
            let drawn = std::mem::take(&mut self.drawn);
            let evicted: Vec<(PathBuf, u32)> = self.textures.keys().filter(|key| !drawn.contains(*key)).cloned().collect();
            for key in evicted {
                self.textures.remove(&key);
                self.loader.forget(&key.0, key.1);
            }
        } else {
            self.drawn.clear();
        }
    }

    pub fn select(&mut self, id: ImageId) {
        if self.selected != Some(id) {
            self.selected = Some(id);
            self.details = None;
            self.send(HistoryCommand::Details(id));
        }
    }

    pub fn set_favorite(&mut self, id: ImageId, favorite: bool) {
        self.send(HistoryCommand::SetFavorite(id, favorite));
    }

    pub fn add_tag(&mut self, id: ImageId, tag: String) {
        if !tag.trim().is_empty() {
            self.send(HistoryCommand::AddTag(id, tag.trim().to_string()));
        }
    }

    pub fn remove_tag(&mut self, id: ImageId, tag: String) {
        self.send(HistoryCommand::RemoveTag(id, tag));
    }

    /// Moves the selected picture to the OS trash (it can be restored from there) and forgets it.
    pub fn delete_selected(&mut self) {
        let Some(details) = self.details.take() else { return };
        let path = details.row.path.clone();
        match trash::delete(&path) {
            Ok(()) => {
                self.selected = None;
                self.send(HistoryCommand::Forget(path));
            }
            Err(e) => {
                self.messages.push(HistoryMessage::CannotTrash { path: path.clone(), error: e.to_string() });
                self.details = Some(details);
            }
        }
    }

    /// Indexes `folders` (`rebuild`: every known folder again) in the background.
    pub fn scan(&mut self, folders: Vec<PathBuf>, rebuild: bool) {
        if self.scan.is_some() {
            return;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        if self.send(HistoryCommand::Scan { folders, rebuild, cancel: cancel.clone() }) {
            self.scan = Some(Scan { progress: ImportProgress { done: 0, total: 0 }, cancel });
        }
    }

    /// Stops keeping `folder`'s pictures in the history; the files stay where they are.
    pub fn forget_folder(&mut self, folder: PathBuf) {
        if self.filters.folder.as_ref() == Some(&folder) {
            self.filters.folder = None;
        }
        self.send(HistoryCommand::ForgetFolder(folder));
    }

    pub fn cancel_scan(&self) {
        if let Some(scan) = &self.scan {
            scan.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// A picture was added elsewhere (a generation): show it when the history is looked at next.
    pub fn pictures_added(&mut self) {
        self.shown_for = None;
        self.facets_stale = true;
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
