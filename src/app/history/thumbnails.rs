//! Thumbnails for the history grid: made once per picture version and cached on disk
//! (`home/thumbnails`, named by a hash of the path, size and modification time, so an edited picture
//! gets a fresh one), loaded by two background threads, newest request first (the cells on screen
//! now), so scrolling fast never queues up work for cells long gone.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Condvar, Mutex};

use sha2::{Digest, Sha256};

use crate::app::service::{Emitter, Waker, event_channel, spawn};

/// The longest side of a cached thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 256;
/// Requests beyond this many are dropped, oldest first: they are for cells scrolled away.
const MAX_WAITING: usize = 192;
const LOADER_THREADS: usize = 2;

/// Pictures waiting to be loaded (path, longest side), newest last, and the signal that one arrived.
#[derive(Default)]
struct RequestQueue {
    waiting: Mutex<Vec<(PathBuf, u32)>>,
    ready: Condvar,
    /// The loader is gone: the threads end.
    closed: AtomicBool,
}

/// Loaded pictures waiting for the window; a loader thread waits while the window catches up.
const RESULT_CAPACITY: usize = 32;

/// A decoded picture for the grid or the detail pane.
pub struct Loaded {
    pub path: PathBuf,
    /// The longest side asked for.
    pub side: u32,
    pub image: Result<image::RgbaImage, String>,
}

impl Loaded {
    /// The picture as a texture named `name` (for egui's texture list), or `None` when it could not be
    /// read.
    pub fn texture(&self, ctx: &egui::Context, name: String) -> Option<egui::TextureHandle> {
        let image = self.image.as_ref().ok()?;
        let color = egui::ColorImage::from_rgba_unmultiplied([image.width() as usize, image.height() as usize], image.as_raw());
        Some(ctx.load_texture(name, color, egui::TextureOptions::LINEAR))
    }
}

/// Where the thumbnail of `picture` (at its current size and modification time) is cached.
pub fn cached_path(cache: &Path, picture: &Path, side: u32) -> std::io::Result<PathBuf> {
    let metadata = std::fs::metadata(picture)?;
    let modified = metadata.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(picture.as_os_str().as_encoded_bytes());
    hasher.update(metadata.len().to_le_bytes());
    hasher.update(modified.as_nanos().to_le_bytes());
    hasher.update(side.to_le_bytes());
    let name = crate::provenance::hash::hex(&hasher.finalize()[..16]);
    Ok(cache.join(format!("{name}.png")))
}

/// The picture at most `side` pixels on its longest side: from the cache, or made and cached.
pub fn load_thumbnail(cache: &Path, picture: &Path, side: u32) -> Result<image::RgbaImage, String> {
    let cached = cached_path(cache, picture, side).map_err(|e| format!("{}: {e}", picture.display()))?;
    if let Ok(image) = image::open(&cached) {
        return Ok(image.into_rgba8());
    }
    let full = crate::control::load_rgb8(picture).map_err(|e| e.to_string())?;
    let small = shrink(&image::DynamicImage::ImageRgb8(full), side);
    // A cache that cannot be written only costs time on the next start.
    if std::fs::create_dir_all(cache).is_ok() {
        let mut bytes = std::io::Cursor::new(Vec::new());
        if small.write_to(&mut bytes, image::ImageFormat::Png).is_ok() {
            let _ = crate::atomic_write::write_file_atomically(&cached, bytes.get_ref());
        }
    }
    Ok(small)
}

fn shrink(image: &image::DynamicImage, side: u32) -> image::RgbaImage {
    if image.width().max(image.height()) <= side {
        return image.to_rgba8();
    }
    image.resize(side, side, image::imageops::FilterType::Triangle).to_rgba8()
}

/// Loads thumbnails (and full pictures for the detail pane) on background threads.
pub struct ThumbnailLoader {
    waiting: Arc<RequestQueue>,
    asked: HashSet<(PathBuf, u32)>,
    results: Receiver<Loaded>,
}

impl ThumbnailLoader {
    /// Starts the loader threads (`nurie-thumbnails-N`); `waker` is called after each picture.
    pub fn start(cache: PathBuf, waker: Waker) -> Self {
        let waiting = Arc::new(RequestQueue::default());
        let (emitter, results) = event_channel(RESULT_CAPACITY, waker);
        for index in 0..LOADER_THREADS {
            let (waiting, emitter, cache) = (waiting.clone(), emitter.clone(), cache.clone());
            // Without loader threads the grid shows placeholders; nothing else breaks.
            let _ = spawn(&format!("thumbnails-{index}"), move || serve(&waiting, &emitter, &cache));
        }
        Self { waiting, asked: HashSet::new(), results }
    }

    /// Asks for `picture` at `side` unless it was asked for already; the newest request goes first.
    pub fn request(&mut self, picture: &Path, side: u32) {
        let key = (picture.to_path_buf(), side);
        if !self.asked.insert(key.clone()) {
            return;
        }
        if let Ok(mut queue) = self.waiting.waiting.lock() {
            queue.push(key);
            if queue.len() > MAX_WAITING {
                let dropped = queue.remove(0);
                self.asked.remove(&dropped);
            }
            self.waiting.ready.notify_one();
        }
    }

    /// Forgets that `picture` was asked for, so it can be asked again (its texture was evicted).
    pub fn forget(&mut self, picture: &Path, side: u32) {
        self.asked.remove(&(picture.to_path_buf(), side));
    }

    pub fn try_result(&mut self) -> Option<Loaded> {
        self.results.try_recv().ok()
    }
}

impl Drop for ThumbnailLoader {
    fn drop(&mut self) {
        // The loader threads end at their next look; wake the waiting ones so they look now.
        self.waiting.closed.store(true, Ordering::Relaxed);
        self.waiting.ready.notify_all();
    }
}

fn serve(queue: &RequestQueue, results: &Emitter<Loaded>, cache: &Path) {
    while let Some((path, side)) = next_request(queue) {
        let image = load_thumbnail(cache, &path, side);
        if !results.send(Loaded { path, side, image }) {
            return;
        }
    }
}

/// The newest waiting request; `None` once the loader is gone (or the queue's lock is poisoned).
fn next_request(queue: &RequestQueue) -> Option<(PathBuf, u32)> {
    let mut waiting = queue.waiting.lock().ok()?;
    loop {
        if queue.closed.load(Ordering::Relaxed) {
            return None;
        }
        if let Some(request) = waiting.pop() {
            return Some(request);
        }
        waiting = queue.ready.wait_timeout(waiting, std::time::Duration::from_secs(5)).ok()?.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn picture(folder: &Path, name: &str, width: u32, height: u32) -> PathBuf {
        let path = folder.join(name);
        image::RgbImage::from_fn(width, height, |x, _| image::Rgb([(x % 256) as u8, 40, 90])).save(&path).unwrap();
        path
    }

    #[test]
    fn thumbnails_are_made_once_and_remade_when_the_picture_changes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("thumbnails");
        let path = picture(dir.path(), "00001-1.png", 640, 320);
        let small = load_thumbnail(&cache, &path, THUMBNAIL_SIDE).unwrap();
        assert_eq!(small.dimensions(), (256, 128));
        let cached = cached_path(&cache, &path, THUMBNAIL_SIDE).unwrap();
        assert!(cached.is_file());
        std::thread::sleep(Duration::from_millis(20));
        picture(dir.path(), "00001-1.png", 100, 300);
        assert_ne!(cached_path(&cache, &path, THUMBNAIL_SIDE).unwrap(), cached, "an edited picture gets a new thumbnail");
        assert_eq!(load_thumbnail(&cache, &path, THUMBNAIL_SIDE).unwrap().dimensions(), (85, 256));
        let tiny = picture(dir.path(), "tiny.png", 8, 6);
        assert_eq!(load_thumbnail(&cache, &tiny, THUMBNAIL_SIDE).unwrap().dimensions(), (8, 6), "never enlarged");
    }

    #[test]
    fn broken_and_missing_pictures_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let broken = dir.path().join("broken.png");
        std::fs::write(&broken, b"not a png").unwrap();
        assert!(load_thumbnail(dir.path(), &broken, THUMBNAIL_SIDE).is_err());
        assert!(load_thumbnail(dir.path(), &dir.path().join("gone.png"), THUMBNAIL_SIDE).is_err());
    }

    #[test]
    fn the_loader_answers_each_request_once() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..5).map(|i| picture(dir.path(), &format!("{i}.png"), 300, 300)).collect();
        let mut loader = ThumbnailLoader::start(dir.path().join("cache"), Waker::none());
        for path in paths.iter().chain(&paths) {
            loader.request(path, 64);
        }
        let mut answered = Vec::new();
        let start = Instant::now();
        while answered.len() < paths.len() {
            assert!(start.elapsed() < Duration::from_secs(20), "loader stalled");
            match loader.try_result() {
                Some(loaded) => answered.push((loaded.path, loaded.image.unwrap().dimensions())),
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        std::thread::sleep(Duration::from_millis(50));
        assert!(loader.try_result().is_none(), "a repeated request is not loaded twice");
        answered.sort();
        assert_eq!(answered, paths.iter().map(|p| (p.clone(), (64, 64))).collect::<Vec<_>>());
    }
}
