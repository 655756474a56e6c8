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

impl Reporter<'_> {
    /// Moves a page's earlier picture at `picture` aside, the history following it.
    fn set_aside(&mut self, picture: &std::path::Path) -> Result<(), String> {
        let aside = crate::pages::set_aside(picture).map_err(|e| format!("{}: cannot set it aside: {e}", picture.display()))?;
        if let Some(aside) = aside
            && let Some(message) = self.history.moved(picture, &aside)
        {
            self.emitter.send(Event::Notice { message });
        }
        Ok(())
    }
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
                if page.again {
                    self.set_aside(&self.saver.folder().join(&file))?;
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
