//! A page colored again keeps its earlier pictures: just before a new picture takes a page's name, the
//! one there is moved into the chapter's `earlier/` folder (`p2.png` → `earlier/p2 (1).png`, then
//! `(2)`…), so nothing a user colored is ever overwritten and the chapter folder holds one picture a page.
//! The same goes for a page of several pictures that a crash or a quit left with only its first ones:
//! colored again when the chapter resumes, its finished pictures move aside rather than block the page.

use std::io;
use std::path::{Path, PathBuf};

use crate::history::Recorder;

/// The folder, inside a chapter's output folder, that keeps the pages' earlier pictures.
pub const EARLIER_FOLDER: &str = "earlier";

/// Moves `picture` into `earlier/` beside it under the first free name `STEM (N).EXT`, and returns
/// where it went; `None` when there is no picture to move.
pub fn set_aside(picture: &Path) -> io::Result<Option<PathBuf>> {
    if !picture.is_file() {
        return Ok(None);
    }
    let folder = picture.parent().unwrap_or(Path::new(".")).join(EARLIER_FOLDER);
    std::fs::create_dir_all(&folder)?;
    let stem = picture.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
    let extension = picture.extension().map(|ext| format!(".{}", ext.to_string_lossy())).unwrap_or_default();
    for number in 1u32.. {
        let target = folder.join(format!("{stem} ({number}){extension}"));
        if target.exists() {
            continue;
        }
        // A hard link never replaces an existing file; where the file system has none, a rename.
        match std::fs::hard_link(picture, &target) {
            Ok(()) => std::fs::remove_file(picture)?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(_) => std::fs::rename(picture, &target)?,
        }
        return Ok(Some(target));
    }
    Err(io::Error::other(format!("no free name for {} in {}", picture.display(), folder.display())))
}

/// A page's picture that could not be moved out of the way of its new one.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot move it to {EARLIER_FOLDER}/ to make room for the page's new picture: {source}", path.display())]
pub struct SetAsideError {
    pub path: PathBuf,
    pub source: io::Error,
}

/// Makes room for a page's new picture at `picture`: the one there, if any, is [set aside](set_aside)
/// and its history entry follows it. `Ok` carries the history's message when it has one to show.
pub fn make_room(picture: &Path, history: Option<&mut Recorder>) -> Result<Option<String>, SetAsideError> {
    let aside = set_aside(picture).map_err(|source| SetAsideError { path: picture.to_path_buf(), source })?;
    Ok(aside.zip(history).and_then(|(aside, history)| history.moved(picture, &aside)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_pictures_are_numbered_and_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("p2.png");
        assert_eq!(set_aside(&page).unwrap(), None, "nothing to move");
        std::fs::write(&page, b"first").unwrap();
        let first = set_aside(&page).unwrap().unwrap();
        assert_eq!(first, dir.path().join("earlier").join("p2 (1).png"));
        assert!(!page.exists());
        std::fs::write(&page, b"second").unwrap();
        let second = set_aside(&page).unwrap().unwrap();
        assert_eq!(second, dir.path().join("earlier").join("p2 (2).png"));
        assert_eq!(std::fs::read(first).unwrap(), b"first");
        assert_eq!(std::fs::read(second).unwrap(), b"second");
    }
}
