//! Every picture the worker saves goes into the history index at once, on the worker thread (a
//! database write never runs on the UI thread). The index opens on first use. When it cannot be opened
//! or written, the picture is still on disk with its metadata (the PNG is the source of truth) and a
//! rebuild finds it; the window is told once.

use std::path::{Path, PathBuf};

use crate::history::{ImageEntry, Library};
use crate::metadata::GenerationRecord;

/// The history library of Nurie's home, as the worker uses it.
pub struct HistoryIndex {
    home: PathBuf,
    library: Option<Library>,
    /// A problem was already reported; later ones are not repeated.
    reported: bool,
}

/// A saved picture and the files that made it.
pub struct SavedPicture<'a> {
    pub path: &'a Path,
    pub folder: &'a Path,
    pub record: &'a GenerationRecord,
    pub line_art: Option<PathBuf>,
    pub init_image: Option<PathBuf>,
}

impl HistoryIndex {
    pub fn new(home: PathBuf) -> Self {
        Self { home, library: None, reported: false }
    }

    /// Indexes `picture`; returns a message for the window the first time something goes wrong.
    pub fn add(&mut self, picture: SavedPicture<'_>) -> Option<String> {
        let mut notice = None;
        if self.library.is_none() {
            match Library::in_home(&self.home) {
                Ok(opened) => {
                    if let Some(reason) = opened.rebuilt_because() {
                        let text = format!("The history database was damaged ({reason}); it was set aside and a new one started.");
                        notice = self.report(text);
                    }
                    self.library = Some(opened.library);
                }
                Err(e) => return self.report(not_recorded(picture.path, &e.to_string())),
            }
        }
        let result = match &self.library {
            Some(library) => index(library, &picture),
            None => Ok(()),
        };
        match result {
            Ok(()) => notice,
            Err(problem) => self.report(not_recorded(picture.path, &problem)),
        }
    }

    fn report(&mut self, message: String) -> Option<String> {
        if self.reported {
            return None;
        }
        self.reported = true;
        Some(message)
    }
}

fn index(library: &Library, picture: &SavedPicture<'_>) -> Result<(), String> {
    let entry = ImageEntry::generated(picture.path, picture.folder, picture.record.clone())
        .map_err(|e| e.to_string())?
        .with_inputs(picture.line_art.clone(), picture.init_image.clone());
    library.add_image(&entry).map(|_| ()).map_err(|e| e.to_string())
}

fn not_recorded(path: &Path, problem: &str) -> String {
    format!("{} is saved, but the history could not record it ({problem}); `nurie history rebuild` will.", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved_picture(folder: &Path) -> (PathBuf, GenerationRecord) {
        let record = GenerationRecord { prompt: "線画, blue sky".into(), seed: 7, ..GenerationRecord::default() };
        let path = folder.join("00001-7.png");
        let pixels = vec![200; 8 * 8 * 3];
        let image = crate::metadata::RgbImage { width: 8, height: 8, pixels: &pixels };
        crate::metadata::write_png_with_record(&path, image, &record).expect("png written");
        (path, record)
    }

    #[test]
    fn saved_pictures_are_searchable_at_once() {
        let home = tempfile::tempdir().expect("temp");
        let outputs = home.path().join("outputs");
        std::fs::create_dir_all(&outputs).expect("outputs");
        let (path, record) = saved_picture(&outputs);
        let mut index = HistoryIndex::new(home.path().to_path_buf());
        let line_art = Some(PathBuf::from("/drawings/line.png"));
        let notice = index.add(SavedPicture { path: &path, folder: &outputs, record: &record, line_art, init_image: None });
        assert_eq!(notice, None);
        let library = Library::in_home(home.path()).expect("open").library;
        let rows = library.search(&crate::history::Query::parse("blue"), 0, 10).expect("search");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].seed, Some(7));
        let details = library.details(rows[0].id).expect("details");
        assert_eq!(details.line_art_path.as_deref(), Some(Path::new("/drawings/line.png")));
    }

    #[test]
    fn a_home_that_cannot_hold_a_database_is_reported_once() {
        let scratch = tempfile::tempdir().expect("temp");
        let (path, record) = saved_picture(scratch.path());
        let not_a_folder = scratch.path().join("home-is-a-file");
        std::fs::write(&not_a_folder, b"x").expect("file");
        let mut index = HistoryIndex::new(not_a_folder);
        let picture = || SavedPicture { path: &path, folder: scratch.path(), record: &record, line_art: None, init_image: None };
        let first = index.add(picture()).expect("a message");
        assert!(first.contains("is saved") && first.contains("nurie history rebuild"), "{first}");
        assert_eq!(index.add(picture()), None, "said once");
    }
}
