//! The window's contact sheet: a chapter's pages side by side in the middle of the workspace, each
//! page's first picture as a thumbnail that follows the file (a page colored again shows its new
//! picture as soon as it is written), loaded off the UI thread through the history's thumbnail cache.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::history::{THUMBNAIL_SIDE, ThumbnailLoader};
use super::service::Waker;

/// A page's picture as the sheet can draw it.
enum Thumbnail {
    Loading,
    Ready(egui::TextureHandle),
    Unreadable,
}

/// What the sheet shows of one picture file, and which version of the file that is.
struct Shown {
    modified: Option<SystemTime>,
    thumbnail: Thumbnail,
}

pub struct ChapterSheet {
    /// Shown instead of the result view.
    pub open: bool,
    cache: PathBuf,
    waker: Waker,
    /// Started the first time the sheet is opened.
    loader: Option<ThumbnailLoader>,
    shown: HashMap<PathBuf, Shown>,
}

/// A page's picture as [`ChapterSheet::picture`] finds it.
pub enum PagePicture<'a> {
    /// No picture yet: the page is not colored.
    Missing,
    Loading,
    Ready(&'a egui::TextureHandle),
    Unreadable,
}

impl ChapterSheet {
    /// A closed sheet whose thumbnails will be cached in `cache` (the history's cache).
    pub fn new(cache: PathBuf, waker: Waker) -> Self {
        Self { open: false, cache, waker, loader: None, shown: HashMap::new() }
    }

    /// Turns the textures the loader finished into what the sheet draws.
    pub fn pump(&mut self, ctx: &egui::Context) {
        let Some(loader) = &mut self.loader else { return };
        while let Some(loaded) = loader.try_result() {
            let Some(shown) = self.shown.get_mut(&loaded.path) else { continue };
            shown.thumbnail = match loaded.texture(ctx, format!("chapter-sheet:{}", loaded.path.display())) {
                Some(texture) => Thumbnail::Ready(texture),
                None => Thumbnail::Unreadable,
            };
        }
    }

    /// The picture at `path` as it is on disk now: asked for when it is new or changed since.
    pub fn picture(&mut self, path: &Path) -> PagePicture<'_> {
        let Ok(metadata) = std::fs::metadata(path) else {
            self.shown.remove(path);
            return PagePicture::Missing;
        };
        let modified = metadata.modified().ok();
        let stale = self.shown.get(path).is_none_or(|shown| shown.modified != modified);
        if stale {
            let loader = self.loader.get_or_insert_with(|| ThumbnailLoader::start(self.cache.clone(), self.waker.clone()));
            loader.forget(path, THUMBNAIL_SIDE);
            loader.request(path, THUMBNAIL_SIDE);
            // The picture shown until the new one is loaded stays (a page colored again swaps at once).
            let thumbnail = match self.shown.remove(path) {
                Some(Shown { thumbnail: Thumbnail::Ready(texture), .. }) => Thumbnail::Ready(texture),
                _ => Thumbnail::Loading,
            };
            self.shown.insert(path.to_path_buf(), Shown { modified, thumbnail });
        }
        match self.shown.get(path).map(|shown| &shown.thumbnail) {
            Some(Thumbnail::Ready(texture)) => PagePicture::Ready(texture),
            Some(Thumbnail::Unreadable) => PagePicture::Unreadable,
            Some(Thumbnail::Loading) | None => PagePicture::Loading,
        }
    }
}
