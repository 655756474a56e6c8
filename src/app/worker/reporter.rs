//! The worker's [`Observer`]: saves each finished picture and records it in the history, forwards
//! progress and previews to the window, and answers `Cancel` once the user asked for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::generate::{FinishedImage, Flow, Observer, Provenance, Request, StepProgress};
use crate::history::{MadeFrom, Recorder};
use crate::output::ImageSaver;

use super::messages::{Event, JobId, PageJob, StepInfo};
use crate::app::service::Emitter;

pub struct Reporter<'a> {
    pub job: JobId,
    pub cancel: &'a AtomicBool,
    pub saver: ImageSaver,
    pub request: &'a Request,
    pub provenance: &'a Provenance,
    pub emitter: &'a Emitter<Event>,
    pub history: &'a mut Recorder,
    /// Recorded with each picture in the history.
    pub made_from: MadeFrom,
    /// A chapter's page: the pictures are named after it.
    pub page: Option<PageJob>,
}

impl Observer for Reporter<'_> {
    fn step(&mut self, progress: &StepProgress) -> Flow {
        let info = StepInfo {
            image: progress.image,
            together: progress.together,
            images: progress.images,
            step: progress.step,
            steps: progress.steps,
        };
        // Previews are lossy: when the window is behind, a step's preview is dropped, never waited for.
        self.emitter.offer(Event::Step { job: self.job, info, preview: progress.preview() });
        if self.cancel.load(Ordering::Relaxed) { Flow::Cancel } else { Flow::Continue }
    }

    fn image(&mut self, image: FinishedImage) -> Result<(), String> {
        let saved = match &self.page {
            Some(page) => {
                let file = crate::pages::picture_name(&page.name, image.index, self.request.batch_count());
                if let Some(message) = crate::pages::make_room(&self.saver.folder().join(&file), Some(&mut *self.history))
                    .map_err(|e| e.to_string())?
                {
                    self.emitter.send(Event::Notice { message });
                }
                self.saver.save_named(&file, self.request, self.provenance, &image)
            }
            None => self.saver.save(self.request, self.provenance, &image),
        };
        let saved = saved.map_err(|e| e.to_string())?;
        if let Some(message) = self.history.add_saved(&saved, self.saver.folder(), &self.made_from) {
            self.emitter.send(Event::Notice { message });
        }
        self.emitter.send(Event::ImageSaved {
            job: self.job,
            index: image.index,
            path: saved.path,
            image: Arc::new(image.image),
            record: Box::new(saved.record),
        });
        Ok(())
    }
}
