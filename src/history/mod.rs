//! Nurie's history: a searchable library of every generated image, and of the images of other tools
//! (A1111, Forge, ComfyUI, InvokeAI or any folder), indexed in place.
//!
//! The PNG files are the source of truth; the SQLite database (`history.sqlite3` in Nurie's home) is
//! an index that can always be rebuilt from them. Only favorites and tags live in the database alone.
//!
//! * Opening: [`Library::open`] / [`Library::in_home`] (WAL, two windows at once, damaged databases
//!   and other programs' databases moved aside and reported in [`OpenedLibrary::state`]); schema in
//!   `schema` and `migrations`, what is Nurie's in `identity`; a read-only or full disk is
//!   [`HistoryError::ReadOnly`] / [`HistoryError::DiskFull`].
//! * Adding: [`ImageEntry`] (read from a file, or handed over right after Nurie saved it),
//!   [`Library::add_image`], [`Library::index_file`].
//! * Folders: [`import_folder`] (incremental re-scan, in short transactions that let other writers in
//!   (`paced`), cancellable, with progress),
//!   [`rebuild`], [`Library::folders`], [`Library::forget_folder`].
//! * Finding: [`Query`] ([`Query::parse`] reads the search box), [`Library::search`],
//!   [`Library::count`], [`Library::details`], [`Library::record`]; full-text search in `fts`.
//! * Changing: [`Library::set_favorite`], [`Library::add_tag`], [`Library::remove_tag`],
//!   [`Library::remove_path`].
//!
//! The CLI's commands are one call each: `history search QUERY` = `library.search(&Query::parse(q), 0, n)`,
//! `history import DIR` = [`import_folder`], `history rebuild` = [`rebuild`].

mod edit;
mod entry;
mod error;
mod facets;
mod file_facts;
mod folder_list;
mod folders;
mod fts;
mod identity;
mod import;
mod index;
mod library;
mod migrations;
mod paced;
mod png_header;
mod query;
mod rebuild;
mod recorder;
mod recovery;
mod rows;
mod sampler_names;
mod scan_plan;
mod schema;
mod search;
mod source;
mod synthetic;
mod walk;

pub use entry::ImageEntry;
pub use error::{FileError, HistoryError, Result};
pub use facets::Facets;
pub use file_facts::FileFacts;
pub use folder_list::FOLDER_LIST_FILE_NAME;
pub use folders::FolderInfo;
pub use import::{BATCH_SIZE, ImportProgress, ImportReport, import_folder};
pub use index::{AddedImage, ImageId};
pub use library::{DATABASE_FILE_NAME, Library, OpenState, OpenedLibrary};
pub use migrations::current_version as schema_version;
pub use query::{Query, Sort};
pub use rebuild::{RebuildReport, rebuild};
pub use recorder::{MadeFrom, Recorder, SavedPicture};
pub use rows::{ImageDetails, ImageRow};
pub use source::ImageSource;
pub use synthetic::write_synthetic_pictures;

#[cfg(test)]
mod crash_tests;
#[cfg(test)]
mod import_tests;
#[cfg(test)]
mod library_tests;
#[cfg(test)]
mod rescan_tests;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod storage_tests;
#[cfg(test)]
mod test_images;
