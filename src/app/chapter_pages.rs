//! The window's Pages: a chapter's folder of drawings, which of its pages are colored (their pictures
//! are in the chapter's output folder, named after the drawings), and the choice of seeds.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::pages::{Chapter, ChapterError, SeedPolicy};

/// How often the output folder is looked at again for pages finished since.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// Which seed a page colored again starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSeed {
    /// The chapter's, by its seed policy: the page as the chapter colors it, with today's settings.
    Chapter,
    /// A new random one: another try at the page.
    New,
}

#[derive(Default)]
pub struct ChapterPages {
    pub chapter: Option<Chapter>,
    pub seeds: SeedPolicy,
    /// Per page: whether all its pictures are there, as last looked.
    pub done: Vec<bool>,
    looked: Option<Instant>,
}

impl ChapterPages {
    /// Opens the chapter in `folder`.
    pub fn open(&mut self, folder: &Path) -> Result<(), ChapterError> {
        self.chapter = Some(Chapter::read(folder)?);
        self.looked = None;
        Ok(())
    }

    /// Where the chapter's pictures go: a folder named after the chapter's, in `outputs`.
    pub fn out_folder(&self, outputs: &Path) -> Option<PathBuf> {
        let chapter = self.chapter.as_ref()?;
        let name = chapter.folder.file_name().map_or_else(|| "chapter".into(), |name| name.to_os_string());
        Some(outputs.join(name))
    }

    /// Looks at the output folder again when a second has passed (or `now` says so).
    pub fn refresh(&mut self, outputs: &Path, pictures: usize, now: bool) {
        if !now && self.looked.is_some_and(|at| at.elapsed() < LOOK_EVERY) {
            return;
        }
        self.looked = Some(Instant::now());
        let (Some(chapter), Some(out)) = (&self.chapter, self.out_folder(outputs)) else {
            self.done.clear();
            return;
        };
        self.done = chapter.pages.iter().map(|page| page.is_done(&out, pictures)).collect();
    }
}
