//! A chapter's drawings, in reading order, and which of them are colored already.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The file kinds a page's drawing can be (as `--lineart` reads them).
const DRAWING_EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "webp", "bmp"];

/// Why a folder cannot be colored as a chapter.
#[derive(Debug, thiserror::Error)]
pub enum ChapterError {
    #[error("the chapter folder {path} cannot be read: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("the chapter folder {path} has no drawings (PNG, JPEG, WebP or BMP files)")]
    Empty { path: PathBuf },
    #[error("{first} and {second} would both be colored as {name}.png: rename one of them")]
    SameName { first: PathBuf, second: PathBuf, name: String },
}

/// One drawing of a chapter.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub drawing: PathBuf,
    /// The page's place in the chapter, from 0.
    pub number: usize,
}

impl Page {
    /// What the page's pictures are called: its drawing's name (`p01.png` → `p01`).
    pub fn name(&self) -> String {
        self.drawing.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// The page's pictures in `out`: `NAME.png`, or `NAME-1.png`… when a page has several.
    pub fn outputs(&self, out: &Path, pictures: usize) -> Vec<PathBuf> {
        (0..pictures).map(|index| out.join(picture_name(&self.name(), index, pictures))).collect()
    }

    /// Whether all the page's pictures are in `out` (each is written whole before it has its name).
    pub fn is_done(&self, out: &Path, pictures: usize) -> bool {
        self.outputs(out, pictures).iter().all(|path| path.is_file())
    }
}

/// The file name of picture `index` (from 0) of `pictures` named after `name`: `NAME.png` alone,
/// `NAME-1.png`, `NAME-2.png`… for several.
pub fn picture_name(name: &str, index: usize, pictures: usize) -> String {
    match pictures {
        1 => format!("{name}.png"),
        _ => format!("{name}-{}.png", index + 1),
    }
}

/// The drawings of a folder, sorted as people number pages: 2 before 10, 第2話 before 第10話.
#[derive(Debug, Clone)]
pub struct Chapter {
    pub folder: PathBuf,
    pub pages: Vec<Page>,
}

impl Chapter {
    /// Lists `folder`'s drawings (not its subfolders).
    pub fn read(folder: &Path) -> Result<Self, ChapterError> {
        let folder_error = |source| ChapterError::Folder { path: folder.to_path_buf(), source };
        let mut drawings = Vec::new();
        for entry in std::fs::read_dir(folder).map_err(folder_error)? {
            let path = entry.map_err(folder_error)?.path();
            if path.is_file() && is_drawing(&path) {
                drawings.push(path);
            }
        }
        if drawings.is_empty() {
            return Err(ChapterError::Empty { path: folder.to_path_buf() });
        }
        alphanumeric_sort::sort_path_slice(&mut drawings);
        let pages: Vec<Page> = drawings.into_iter().enumerate().map(|(number, drawing)| Page { drawing, number }).collect();
        check_names(&pages)?;
        Ok(Self { folder: folder.to_path_buf(), pages })
    }

    /// The chapter's seed as the pages colored earlier into `out` recorded it (so a resumed chapter
    /// keeps its look): the one most pages were colored from, the earliest page's among equals (a page
    /// colored again from another seed does not change it); `None` when no page is colored or no
    /// picture has a readable record.
    pub fn recorded_seed(&self, out: &Path, policy: SeedPolicy, pictures: usize) -> Option<u64> {
        let mut counted: Vec<(u64, usize)> = Vec::new();
        for page in self.pages.iter().filter(|page| page.is_done(out, pictures)) {
            let Some(first) = page.outputs(out, pictures).into_iter().next() else { continue };
            let Ok(read) = crate::metadata::read_settings_from_png(&first) else { continue };
            let seed = policy.chapter_seed(read.record.settings.seed, page.number, pictures);
            match counted.iter_mut().find(|(known, _)| *known == seed) {
                Some((_, count)) => *count += 1,
                None => counted.push((seed, 1)),
            }
        }
        let most = counted.iter().map(|(_, count)| *count).max()?;
        counted.into_iter().find(|(_, count)| *count == most).map(|(seed, _)| seed)
    }
}

fn is_drawing(path: &Path) -> bool {
    let extension = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    DRAWING_EXTENSIONS.contains(&extension.as_str())
}

/// Two drawings of one name (`p1.png`, `p1.jpg`) would write the same pictures.
fn check_names(pages: &[Page]) -> Result<(), ChapterError> {
    let mut seen: HashMap<String, &Page> = HashMap::new();
    for page in pages {
        if let Some(first) = seen.insert(page.name().to_lowercase(), page) {
            return Err(ChapterError::SameName { first: first.drawing.clone(), second: page.drawing.clone(), name: page.name() });
        }
    }
    Ok(())
}

/// How the pages of a chapter are seeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SeedPolicy {
    /// Every page starts from the chapter's seed: the same look on every page.
    #[default]
    Same,
    /// Page n starts from the chapter's seed + n × the pictures per page, as one long batch would.
    PerPage,
}

impl SeedPolicy {
    /// The first seed of page `page` of a chapter seeded `seed`, with `pictures` pictures a page.
    pub fn seed_for(self, seed: u64, page: usize, pictures: usize) -> u64 {
        match self {
            SeedPolicy::Same => seed,
            SeedPolicy::PerPage => seed.wrapping_add((page * pictures) as u64),
        }
    }

    /// The chapter's seed, from a finished page's own seed.
    pub fn chapter_seed(self, page_seed: u64, page: usize, pictures: usize) -> u64 {
        match self {
            SeedPolicy::Same => page_seed,
            SeedPolicy::PerPage => page_seed.wrapping_sub((page * pictures) as u64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_with(names: &[&str]) -> tempfile::TempDir {
        let folder = tempfile::tempdir().unwrap();
        for name in names {
            std::fs::write(folder.path().join(name), b"").unwrap();
        }
        std::fs::create_dir(folder.path().join("sub.png")).unwrap();
        folder
    }

    #[test]
    fn pages_come_in_natural_order_and_only_drawings_count() {
        let folder = folder_with(&["p10.png", "p2.PNG", "p1.jpg", "notes.txt", "第10話.webp", "第2話.webp"]);
        let chapter = Chapter::read(folder.path()).unwrap();
        let names: Vec<String> = chapter.pages.iter().map(Page::name).collect();
        assert_eq!(names, ["p1", "p2", "p10", "第2話", "第10話"]);
        assert_eq!(chapter.pages.iter().map(|p| p.number).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_folder_without_drawings_and_clashing_names_are_refused() {
        let empty = folder_with(&["notes.txt"]);
        assert!(matches!(Chapter::read(empty.path()), Err(ChapterError::Empty { .. })));
        let clash = folder_with(&["p1.png", "P1.jpg"]);
        let error = Chapter::read(clash.path()).unwrap_err().to_string();
        assert!(error.contains("rename one of them"), "{error}");
        assert!(Chapter::read(&clash.path().join("missing")).unwrap_err().to_string().contains("cannot be read"));
    }

    #[test]
    fn a_page_is_done_when_all_its_pictures_are_there() {
        let out = tempfile::tempdir().unwrap();
        let page = Page { drawing: "chapter/p3.png".into(), number: 2 };
        assert_eq!(page.outputs(out.path(), 1), [out.path().join("p3.png")]);
        assert!(!page.is_done(out.path(), 2));
        std::fs::write(out.path().join("p3-1.png"), b"").unwrap();
        assert!(!page.is_done(out.path(), 2));
        std::fs::write(out.path().join("p3-2.png"), b"").unwrap();
        assert!(page.is_done(out.path(), 2));
    }

    /// The seed most pages were colored from is the chapter's, whichever page was colored again.
    #[test]
    fn the_recorded_seed_is_the_one_most_pages_have() {
        let (drawings, out) = (folder_with(&["p1.png", "p2.png", "p3.png"]), tempfile::tempdir().unwrap());
        let chapter = Chapter::read(drawings.path()).unwrap();
        assert_eq!(chapter.recorded_seed(out.path(), SeedPolicy::Same, 1), None);
        let colored = |name: &str, seed: u64| {
            let mut record = crate::metadata::GenerationRecord::default();
            record.settings.seed = seed;
            let image = crate::metadata::RgbImage { width: 1, height: 1, pixels: &[0, 0, 0] };
            crate::metadata::write_png_with_record(&out.path().join(name), image, &record).unwrap();
        };
        colored("p1.png", 99);
        colored("p2.png", 7);
        colored("p3.png", 7);
        assert_eq!(chapter.recorded_seed(out.path(), SeedPolicy::Same, 1), Some(7));
        colored("p3.png", 98);
        assert_eq!(chapter.recorded_seed(out.path(), SeedPolicy::Same, 1), Some(99), "the earliest page's among equals");
    }

    #[test]
    fn seeds_per_page_and_back() {
        assert_eq!(SeedPolicy::Same.seed_for(7, 3, 2), 7);
        assert_eq!(SeedPolicy::PerPage.seed_for(7, 3, 2), 13);
        assert_eq!(SeedPolicy::PerPage.chapter_seed(13, 3, 2), 7);
        assert_eq!(SeedPolicy::Same.chapter_seed(7, 3, 2), 7);
    }
}
