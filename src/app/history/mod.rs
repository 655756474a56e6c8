//! The window's history view behind the scenes: a thread that owns the history library
//! ([`library_thread`]), the browsing state of the view ([`browser`]), and thumbnails cached on disk
//! and loaded in the background ([`thumbnails`]).

mod browser;
mod library_thread;
mod thumbnails;

pub use browser::{Filters, HistoryBrowser, PAGE_SIZE, Period, PictureState, Scan};
pub use library_thread::{FolderImport, HistoryCommand, HistoryEvent, HistoryMessage, HistoryThread, ScanSummary};
pub use thumbnails::{THUMBNAIL_SIDE, ThumbnailLoader, cached_path, load_thumbnail};
