//! The flats (下塗り) of finished pictures for the result view, made and saved on the thread
//! `nurie-flats`: making them reads the picture and its kept line art and takes up to a second on a big
//! picture, far longer than a frame.
//!
//! The window keeps at most one picture's flats in the making: what it wants meanwhile (the gap slider
//! dragged) waits, and only the newest wish is made next. Each making carries a ticket; an answer whose
//! ticket is not the one awaited is dropped. The last few answers stay cached by picture and gap, so
//! going back to a gap already seen is immediate.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use image::RgbImage;

use super::layer_export::ExportFailure;
use super::service::{Emitter, Service, Waker};
use crate::flats::FlatsSettings;
use crate::layered::picture_flats::{flats_for_picture, write_flats_png};
use crate::output::KeptInputs;

/// Answers kept: a few gaps of the picture on view, or a few pictures.
const CACHED: usize = 6;
/// At most one making and one saving are ever in flight.
const QUEUE: usize = 4;

/// One picture's flats with one gap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatsKey {
    pub picture: PathBuf,
    pub gap_px: u32,
}

/// Flats made for the view.
#[derive(Debug, Clone)]
pub struct MadeFlats {
    /// At the picture's size, one color per area.
    pub image: Arc<RgbImage>,
    /// How many areas the lines enclose.
    pub regions: usize,
}

/// The flats of a picture, or why there are none (the window says it in its language).
pub type FlatsResult = Result<MadeFlats, ExportFailure>;

/// How saving the flats ended: the file written, or why not.
pub type SaveResult = Result<PathBuf, String>;

enum Job {
    Make { ticket: u64, key: FlatsKey },
    Save { flats: Arc<RgbImage>, target: PathBuf },
}

enum Answer {
    Made { ticket: u64, key: FlatsKey, result: FlatsResult },
    Saved(SaveResult),
}

/// Which flats are wanted, which one is being made and which are ready; no thread (tested alone).
#[derive(Debug, Default)]
pub struct FlatsBook {
    next_ticket: u64,
    in_flight: Option<(u64, FlatsKey)>,
    waiting: Option<FlatsKey>,
    /// Oldest first.
    cache: Vec<(FlatsKey, FlatsResult)>,
}

impl FlatsBook {
    /// The answer for `key`, when it came.
    pub fn get(&self, key: &FlatsKey) -> Option<&FlatsResult> {
        self.cache.iter().find(|(cached, _)| cached == key).map(|(_, result)| result)
    }

    /// Whether `key` is being made or waits to be.
    pub fn is_making(&self, key: &FlatsKey) -> bool {
        self.in_flight.as_ref().is_some_and(|(_, k)| k == key) || self.waiting.as_ref() == Some(key)
    }

    /// Asks for `key`; returns the making to start now, if any (nothing when it is cached, being made,
    /// or another is being made: then it waits, replacing what waited).
    pub fn want(&mut self, key: &FlatsKey) -> Option<(u64, FlatsKey)> {
        if self.get(key).is_some() || self.in_flight.as_ref().is_some_and(|(_, k)| k == key) {
            self.waiting = None;
            return None;
        }
        if self.in_flight.is_some() {
            self.waiting = Some(key.clone());
            return None;
        }
        self.next_ticket += 1;
        self.in_flight = Some((self.next_ticket, key.clone()));
        Some((self.next_ticket, key.clone()))
    }

    /// Takes the answer for `ticket` (dropped unless it is the one awaited); returns the making to start
    /// next, if one waits.
    pub fn answered(&mut self, ticket: u64, key: FlatsKey, result: FlatsResult) -> Option<(u64, FlatsKey)> {
        if self.in_flight.as_ref().is_none_or(|(awaited, _)| *awaited != ticket) {
            return None;
        }
        self.in_flight = None;
        self.cache.retain(|(cached, _)| *cached != key);
        self.cache.push((key, result));
        let excess = self.cache.len().saturating_sub(CACHED);
        self.cache.drain(..excess);
        self.waiting.take().and_then(|next| self.want(&next))
    }
}

/// The window's end of the flats thread.
pub struct FlatsMaker {
    service: Option<Service<Job, Answer>>,
    book: FlatsBook,
    saving: Option<PathBuf>,
    saved: Option<SaveResult>,
}

impl FlatsMaker {
    /// Starts the thread; the line art is looked for in `home`'s kept inputs. Without a thread, every
    /// picture has no flats, for the reason [`super::service::ServiceGone`] gives.
    pub fn start(home: &Path, waker: Waker) -> Self {
        let kept = KeptInputs::in_home(home);
        let service = Service::start("flats", (QUEUE, QUEUE), waker, move |jobs, answers| serve(&kept, &jobs, &answers));
        Self { service: service.ok(), book: FlatsBook::default(), saving: None, saved: None }
    }

    /// The flats for `key`: `None` while they are being made (asked for now if need be).
    pub fn flats(&mut self, key: &FlatsKey) -> Option<&FlatsResult> {
        if let Some(start) = self.book.want(key) {
            self.send_make(start);
        }
        self.book.get(key)
    }

    /// The answer for `key` if it came, without asking for it.
    pub fn cached(&self, key: &FlatsKey) -> Option<&FlatsResult> {
        self.book.get(key)
    }

    /// Writes `flats` to `target` on the thread; false (nothing sent) while another save runs.
    pub fn save(&mut self, flats: Arc<RgbImage>, target: PathBuf) -> bool {
        if self.saving.is_some() {
            return false;
        }
        self.saved = None;
        let sent = self.service.as_ref().is_some_and(|s| s.try_send(Job::Save { flats, target: target.clone() }));
        if sent {
            self.saving = Some(target);
        } else {
            self.saved = Some(Err(super::service::ServiceGone.to_string()));
        }
        sent
    }

    /// The file being written, while it is.
    pub fn saving(&self) -> Option<&Path> {
        self.saving.as_deref()
    }

    /// How the last save ended.
    pub fn saved(&self) -> Option<&SaveResult> {
        self.saved.as_ref()
    }

    /// Reads the thread's answers; true when one arrived (the view changes).
    pub fn pump(&mut self) -> bool {
        let mut changed = false;
        while let Some(Ok(Some(answer))) = self.service.as_ref().map(Service::try_event) {
            changed = true;
            match answer {
                Answer::Made { ticket, key, result } => {
                    if let Some(next) = self.book.answered(ticket, key, result) {
                        self.send_make(next);
                    }
                }
                Answer::Saved(result) => {
                    self.saving = None;
                    self.saved = Some(result);
                }
            }
        }
        changed
    }

    fn send_make(&mut self, (ticket, key): (u64, FlatsKey)) {
        let job = Job::Make { ticket, key: key.clone() };
        if !self.service.as_ref().is_some_and(|s| s.try_send(job)) {
            // Only a gone thread refuses: one making at a time never fills the queue.
            let gone = ExportFailure::Other(super::service::ServiceGone.to_string());
            self.book.answered(ticket, key, Err(gone));
        }
    }
}

fn serve(kept: &KeptInputs, jobs: &Receiver<Job>, answers: &Emitter<Answer>) {
    while let Ok(job) = jobs.recv() {
        let answer = match job {
            Job::Make { ticket, key } => {
                let result = make(kept, &key);
                Answer::Made { ticket, key, result }
            }
            Job::Save { flats, target } => {
                Answer::Saved(write_flats_png(&flats, &target).map(|()| target).map_err(|e| e.to_string()))
            }
        };
        if !answers.send(answer) {
            return;
        }
    }
}

/// The flats of `key`'s picture with its gap, the other settings as the layered files have them.
pub fn make(kept: &KeptInputs, key: &FlatsKey) -> FlatsResult {
    let settings = FlatsSettings { gap_px: key.gap_px, ..FlatsSettings::default() };
    let flats = flats_for_picture(&key.picture, kept, &settings)?;
    Ok(MadeFlats { regions: flats.regions.len(), image: Arc::new(flats.image) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(gap_px: u32) -> FlatsKey {
        FlatsKey { picture: PathBuf::from("00001-2.png"), gap_px }
    }

    fn made(regions: usize) -> FlatsResult {
        Ok(MadeFlats { image: Arc::new(RgbImage::new(2, 2)), regions })
    }

    #[test]
    fn one_making_at_a_time_and_only_the_newest_wish_waits() {
        let mut book = FlatsBook::default();
        let (first, _) = book.want(&key(4)).expect("made at once");
        assert_eq!(book.want(&key(4)), None, "already being made");
        assert_eq!(book.want(&key(6)), None, "waits");
        assert_eq!(book.want(&key(8)), None, "replaces the wish before");
        assert!(book.is_making(&key(8)) && !book.is_making(&key(6)));
        let next = book.answered(first, key(4), made(3)).expect("the wish is made next");
        assert_eq!(next.1, key(8));
        assert!(next.0 > first, "a new ticket");
        assert!(matches!(book.get(&key(4)), Some(Ok(flats)) if flats.regions == 3));
        assert_eq!(book.want(&key(4)), None, "cached");
    }

    #[test]
    fn answers_not_awaited_are_dropped() {
        let mut book = FlatsBook::default();
        let (ticket, _) = book.want(&key(4)).unwrap();
        assert_eq!(book.answered(ticket + 1, key(4), made(1)), None);
        assert!(book.get(&key(4)).is_none(), "a stale ticket is not cached");
        book.answered(ticket, key(4), made(2));
        assert_eq!(book.answered(ticket, key(4), made(9)), None);
        assert!(matches!(book.get(&key(4)), Some(Ok(flats)) if flats.regions == 2), "answered once");
    }

    #[test]
    fn the_cache_keeps_the_last_answers() {
        let mut book = FlatsBook::default();
        for gap in 0..=CACHED as u32 {
            let (ticket, k) = book.want(&key(gap)).unwrap();
            book.answered(ticket, k, made(gap as usize));
        }
        assert!(book.get(&key(0)).is_none(), "the oldest went");
        assert!((1..=CACHED as u32).all(|gap| book.get(&key(gap)).is_some()));
    }

    #[test]
    fn the_thread_says_why_a_picture_has_no_flats_and_saves_them() {
        let scratch = tempfile::tempdir().unwrap();
        let plain = scratch.path().join("plain.png");
        RgbImage::new(8, 8).save(&plain).unwrap();
        let mut maker = FlatsMaker::start(scratch.path(), Waker::none());
        let wanted = FlatsKey { picture: plain.clone(), gap_px: 4 };
        let result = wait(&mut maker, |m| m.flats(&wanted).cloned());
        assert!(matches!(&result, Err(ExportFailure::Other(why)) if why.contains("no generation settings")), "{result:?}");

        let target = scratch.path().join("plain-flats.png");
        assert!(maker.save(Arc::new(RgbImage::new(3, 2)), target.clone()));
        assert_eq!(maker.saving(), Some(target.as_path()));
        assert!(!maker.save(Arc::new(RgbImage::new(3, 2)), target.clone()), "one save at a time");
        let saved = wait(&mut maker, |m| m.saved().cloned());
        assert_eq!(saved, Ok(target.clone()));
        assert_eq!(image::open(&target).unwrap().to_rgb8().dimensions(), (3, 2));
    }

    fn wait<T>(maker: &mut FlatsMaker, mut answer: impl FnMut(&mut FlatsMaker) -> Option<T>) -> T {
        let started = std::time::Instant::now();
        loop {
            maker.pump();
            if let Some(answer) = answer(maker) {
                return answer;
            }
            assert!(started.elapsed().as_secs() < 30, "no answer");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}
