//! Every picture Nurie saves (the window's worker thread, `nurie generate`) goes into the history
//! index at once (never on the UI thread), with copies of the line art and img2img picture it was
//! made from (kept by content hash, so later edits of the originals do not change the record). The
//! index opens on first use. When it cannot be opened or written, the picture is still on disk with its
//! metadata (the PNG is the source of truth) and a rebuild finds it; the window is told once.
//!
//! Other writers may hold the database: an import (in short transactions, see [`super::paced`]), or
//! one long transaction such as a rebuild of a large library's text indexes or an older Nurie's
//! import. A busy database is therefore waited for well past one busy wait (see [`RECORD_PATIENCE`]),
//! never taken as a reason to leave a picture out.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::Result as HistoryResult;
use super::folder_list::remember_folder;
use super::{ImageEntry, Library};
use crate::metadata::GenerationRecord;
use crate::output::{KeptInputs, SavedImage};

/// How long recording one picture keeps trying while other writers hold the database.
const RECORD_PATIENCE: Duration = Duration::from_secs(120);

/// The first pause between two tries (it doubles up to [`LONGEST_PAUSE`]); each try itself waits for
/// the lock up to the library's busy timeout.
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const LONGEST_PAUSE: Duration = Duration::from_secs(2);

/// The history library of Nurie's home, as the savers of pictures use it.
pub struct Recorder {
    home: PathBuf,
    inputs: KeptInputs,
    library: Option<Library>,
    /// Output folders already written to the folder list beside the database (see [`folder_list`]).
    ///
    /// [`folder_list`]: super::folder_list
    remembered: HashSet<PathBuf>,
    /// A problem was already reported; later ones are not repeated.
    reported: bool,
}

/// The files the pictures of one job are made from, recorded with each of them.
#[derive(Debug, Clone, Default)]
pub struct MadeFrom {
    /// The first ControlNet unit's line art.
    pub line_art: Option<PathBuf>,
    /// The img2img picture.
    pub init_image: Option<PathBuf>,
    /// The color hints (kept by hash, not indexed: the record's hash finds them).
    pub color_hints: Option<PathBuf>,
    /// Each reference unit's picture, in the request's order (kept by hash, as the color hints).
    pub references: Vec<PathBuf>,
    /// The inpainting mask (kept by hash, as the color hints).
    pub mask: Option<PathBuf>,
}

/// A saved picture and the files that made it.
pub struct SavedPicture<'a> {
    pub path: &'a Path,
    pub folder: &'a Path,
    pub record: &'a GenerationRecord,
    pub line_art: Option<PathBuf>,
    pub init_image: Option<PathBuf>,
}

impl Recorder {
    pub fn new(home: PathBuf) -> Self {
        Self { inputs: KeptInputs::in_home(&home), home, library: None, remembered: HashSet::new(), reported: false }
    }

    /// Records a picture the [`ImageSaver`](crate::output::ImageSaver) of `folder` just wrote (see
    /// [`Self::add`]).
    pub fn add_saved(&mut self, saved: &SavedImage, folder: &Path, made_from: &MadeFrom) -> Option<String> {
        let (_, mut hints_notice) = self.keep(made_from.color_hints.clone(), saved.record.color_hints_sha256.as_deref());
        let (_, mask_notice) = self.keep(made_from.mask.clone(), saved.record.mask_sha256.as_deref());
        hints_notice = hints_notice.or(mask_notice);
        for (picture, recorded) in made_from.references.iter().zip(&saved.record.references) {
            let (_, notice) = self.keep(Some(picture.clone()), recorded.picture_sha256.as_deref());
            hints_notice = hints_notice.or(notice);
        }
        let notice = self.add(SavedPicture {
            path: &saved.path,
            folder,
            record: &saved.record,
            line_art: made_from.line_art.clone(),
            init_image: made_from.init_image.clone(),
        });
        hints_notice.or(notice)
    }

    /// Keeps `picture`'s inputs and indexes it; returns a message for the window the first time
    /// something goes wrong.
    pub fn add(&mut self, mut picture: SavedPicture<'_>) -> Option<String> {
        let line_art_hash = picture.record.controlnets.first().and_then(|unit| unit.line_art_sha256.as_deref());
        let kept_line_art = self.keep(picture.line_art.take(), line_art_hash);
        let kept_init = self.keep(picture.init_image.take(), picture.record.init_image_sha256.as_deref());
        let mut notice = kept_line_art.1.or(kept_init.1);
        (picture.line_art, picture.init_image) = (kept_line_art.0, kept_init.0);
        match self.open() {
            Ok(Some(text)) => notice = notice.or(self.report(text)),
            Ok(None) => {}
            Err(e) => return self.report(not_recorded(picture.path, &e)),
        }
        let result = match &self.library {
            Some(library) => index(library, &picture).and_then(|()| remember(&mut self.remembered, library, picture.folder)),
            None => Ok(()),
        };
        match result {
            Ok(()) => notice,
            Err(problem) => self.report(not_recorded(picture.path, &problem)),
        }
    }

    /// The picture at `from` is now at `to` (a chapter page's earlier picture set aside): its history
    /// entry follows it. Returns a message for the window the first time something goes wrong.
    pub fn moved(&mut self, from: &Path, to: &Path) -> Option<String> {
        let notice = match self.open() {
            Ok(notice) => notice.and_then(|text| self.report(text)),
            Err(e) => return self.report(not_moved(to, &e)),
        };
        let moved = self.library.as_ref().map(|library| patiently(|| library.move_path(from, to)));
        match moved {
            Some(Err(e)) => self.report(not_moved(to, &e.to_string())),
            _ => notice,
        }
    }

    /// Opens the library on first use: a message when a new history had to be started, or why it
    /// cannot be opened.
    fn open(&mut self) -> Result<Option<String>, String> {
        if self.library.is_some() {
            return Ok(None);
        }
        let opened = patiently(|| Library::in_home(&self.home)).map_err(|e| e.to_string())?;
        let notice = opened.set_aside_notice("a new history was started");
        self.library = Some(opened.library);
        Ok(notice)
    }

    /// The kept copy of `input` (the original when it cannot be kept, with a message the first time).
    fn keep(&mut self, input: Option<PathBuf>, sha256: Option<&str>) -> (Option<PathBuf>, Option<String>) {
        let (Some(input), Some(sha256)) = (input.clone(), sha256) else { return (input, None) };
        match self.inputs.keep(&input, sha256) {
            Ok(kept) => (Some(kept), None),
            Err(e) => (Some(input), self.report(format!("The drawing a picture was made from could not be kept: {e}"))),
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
    patiently(|| library.add_image(&entry)).map(|_| ()).map_err(|e| e.to_string())
}

/// `attempt`'s result, tried again with growing pauses while the database is busy, for up to
/// [`RECORD_PATIENCE`].
fn patiently<T>(mut attempt: impl FnMut() -> HistoryResult<T>) -> HistoryResult<T> {
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        match attempt() {
            Err(error) if error.is_busy() && started.elapsed() + pause < RECORD_PATIENCE => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(LONGEST_PAUSE);
            }
            result => return result,
        }
    }
}

/// Puts `folder` on the list a rebuild reads (once per recorder), so a lost database still finds its
/// pictures.
fn remember(remembered: &mut HashSet<PathBuf>, library: &Library, folder: &Path) -> Result<(), String> {
    let folder = std::path::absolute(folder).map_err(|e| e.to_string())?;
    if !remembered.contains(&folder) {
        remember_folder(library.path(), &folder).map_err(|e| e.to_string())?;
        remembered.insert(folder);
    }
    Ok(())
}

fn not_moved(path: &Path, problem: &str) -> String {
    format!("{} was set aside, but the history could not follow it ({problem}); `nurie history rebuild` will.", path.display())
}

fn not_recorded(path: &Path, problem: &str) -> String {
    format!("{} is saved, but the history could not record it ({problem}); `nurie history rebuild` will.", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    fn saved_picture(folder: &Path) -> (PathBuf, GenerationRecord) {
        let mut record = GenerationRecord::default();
        (record.settings.prompt, record.settings.seed) = ("線画, blue sky".into(), 7);
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
        let mut index = Recorder::new(home.path().to_path_buf());
        let drawing = home.path().join("line.png");
        std::fs::write(&drawing, b"the drawing").expect("drawing");
        let mut record = record;
        let hash: String = sha2::Sha256::digest(b"the drawing").iter().map(|b| format!("{b:02x}")).collect();
        record.controlnets.push(crate::metadata::ControlNetUnit { line_art_sha256: Some(hash.clone()), ..Default::default() });
        let picture =
            SavedPicture { path: &path, folder: &outputs, record: &record, line_art: Some(drawing.clone()), init_image: None };
        assert_eq!(index.add(picture), None);
        std::fs::write(&drawing, b"edited after the generation").expect("edit");
        let library = Library::in_home(home.path()).expect("open").library;
        let rows = library.search(&crate::history::Query::parse("blue"), 0, 10).expect("search");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].seed, Some(7));
        let details = library.details(rows[0].id).expect("details");
        let kept = details.line_art_path.expect("the line art is recorded");
        assert_eq!(kept, home.path().join("inputs").join(format!("{hash}.png")));
        assert_eq!(std::fs::read(kept).expect("kept copy"), b"the drawing", "the drawing as it was used");

        let aside = crate::pages::set_aside(&path).expect("set aside").expect("the picture was there");
        assert_eq!(index.moved(&path, &aside), None);
        assert_eq!(library.image_at(&aside).expect("row").map(|row| row.id), Some(rows[0].id), "the entry followed it");
        assert_eq!(library.image_at(&path).expect("row"), None);
    }

    #[test]
    fn a_home_that_cannot_hold_a_database_is_reported_once() {
        let scratch = tempfile::tempdir().expect("temp");
        let (path, record) = saved_picture(scratch.path());
        let not_a_folder = scratch.path().join("home-is-a-file");
        std::fs::write(&not_a_folder, b"x").expect("file");
        let mut index = Recorder::new(not_a_folder);
        let picture = || SavedPicture { path: &path, folder: scratch.path(), record: &record, line_art: None, init_image: None };
        let first = index.add(picture()).expect("a message");
        assert!(first.contains("is saved") && first.contains("nurie history rebuild"), "{first}");
        assert_eq!(index.add(picture()), None, "said once");
    }
}
