//! Layered files (PSD, OpenRaster) of finished pictures, written on the thread `nurie-layer-export`:
//! rebuilding a picture's layers reads its PNG and the kept line art and may make the flats, which takes
//! far longer than a frame. The window sends [`ExportJob`]s and reads each one's [`ExportOutcome`].

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use serde::{Deserialize, Serialize};

use super::service::{Emitter, Service, ServiceGone, Waker};
use crate::flats::FlatsSettings;
use crate::layered::{LayerOptions, LayeredError, LayeredFormat, layers_for_picture};
use crate::output::KeptInputs;

/// Jobs waiting beyond this make the window wait (a batch with "always export" on).
const QUEUE: usize = 16;

/// What goes into the layered file besides the colors and the line art.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportOptions {
    /// 色トレス: the lines recolored from the colors beside them.
    pub color_trace: bool,
    /// The flats (下塗り) as a layer of their own.
    pub flats: bool,
    /// The background (areas touching the border) transparent.
    pub transparent: bool,
}

impl ExportOptions {
    fn layer_options(self) -> LayerOptions {
        LayerOptions {
            color_trace: self.color_trace,
            flats: self.flats.then(FlatsSettings::default),
            // The window's flats come with their per-color layers, ready for selecting a color's areas.
            flats_by_color: self.flats,
            transparent: self.transparent,
        }
    }
}

/// One layered file to write.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportJob {
    /// The PNG Nurie made (its metadata names the line art).
    pub picture: PathBuf,
    pub format: LayeredFormat,
    /// Where to write; the picture's name with the format's extension when the user did not choose.
    pub target: PathBuf,
    pub options: ExportOptions,
}

impl ExportJob {
    /// The job writing `picture` in `format` beside it (`00012-1234.png` → `00012-1234.psd`).
    pub fn beside(picture: &Path, format: LayeredFormat, options: ExportOptions) -> Self {
        Self { picture: picture.to_path_buf(), format, target: format.beside(picture), options }
    }
}

/// How a job ended: the file written, or why not (the message names the picture).
#[derive(Debug, Clone, PartialEq)]
pub enum ExportOutcome {
    Written { picture: PathBuf, target: PathBuf },
    Failed { picture: PathBuf, why: ExportFailure },
}

/// Why a layered file was not written, for the window to say in its language.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportFailure {
    /// The picture was not made from line art (or not by Nurie).
    NoLineArt,
    /// The line art it was made from is no longer kept.
    LineArtGone,
    /// Anything else (the picture gone, a full disk), in the engine's words.
    Other(String),
}

impl From<LayeredError> for ExportFailure {
    fn from(error: LayeredError) -> Self {
        match error {
            LayeredError::NoLineArt { .. } => ExportFailure::NoLineArt,
            LayeredError::LineArtGone { .. } => ExportFailure::LineArtGone,
            // The window names the picture already.
            LayeredError::Picture { message, .. } => ExportFailure::Other(message),
            other => ExportFailure::Other(other.to_string()),
        }
    }
}

/// The window's end of the export thread, and how many jobs it has not answered yet.
pub struct LayerExporter {
    service: Option<Service<ExportJob, ExportOutcome>>,
    waiting: Vec<PathBuf>,
}

impl LayerExporter {
    /// Starts the thread; the line art is looked for in `home`'s kept inputs. Without a thread, every
    /// job fails with [`ServiceGone`]'s message.
    pub fn start(home: &Path, waker: Waker) -> Self {
        let kept = KeptInputs::in_home(home);
        let service = Service::start("layer-export", (QUEUE, QUEUE), waker, move |jobs, outcomes| serve(&kept, &jobs, &outcomes));
        Self { service: service.ok(), waiting: Vec::new() }
    }

    /// Queues `job`; an error when the thread is gone.
    pub fn export(&mut self, job: ExportJob) -> Result<(), ServiceGone> {
        let target = job.target.clone();
        self.service.as_ref().ok_or(ServiceGone)?.send(job)?;
        self.waiting.push(target);
        Ok(())
    }

    /// The files being written, oldest first.
    pub fn waiting(&self) -> &[PathBuf] {
        &self.waiting
    }

    /// The outcomes that arrived since the last call.
    pub fn finished(&mut self) -> Vec<ExportOutcome> {
        let mut outcomes = Vec::new();
        while let Some(Ok(Some(outcome))) = self.service.as_ref().map(Service::try_event) {
            // The thread answers in order.
            if !self.waiting.is_empty() {
                self.waiting.remove(0);
            }
            outcomes.push(outcome);
        }
        outcomes
    }
}

fn serve(kept: &KeptInputs, jobs: &Receiver<ExportJob>, outcomes: &Emitter<ExportOutcome>) {
    while let Ok(job) = jobs.recv() {
        if !outcomes.send(run(kept, job)) {
            return;
        }
    }
}

/// Builds the layers from the PNG and the kept line art and writes them, whole or not at all.
pub fn run(kept: &KeptInputs, job: ExportJob) -> ExportOutcome {
    let written = layers_for_picture(&job.picture, kept, job.options.layer_options())
        .and_then(|stack| job.format.write(&stack, &job.target));
    match written {
        Ok(()) => ExportOutcome::Written { picture: job.picture, target: job.target },
        Err(e) => ExportOutcome::Failed { picture: job.picture, why: e.into() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_not_made_by_nurie_or_gone_says_why() {
        let scratch = tempfile::tempdir().unwrap();
        let kept = KeptInputs::in_home(scratch.path());
        let plain = scratch.path().join("plain.png");
        image::RgbImage::new(8, 8).save(&plain).unwrap();
        for (picture, expected) in [(plain, "no generation settings"), (scratch.path().join("gone.png"), "gone.png")] {
            let outcome = run(&kept, ExportJob::beside(&picture, LayeredFormat::Psd, ExportOptions::default()));
            let ExportOutcome::Failed { picture: named, why } = outcome else { panic!("{outcome:?}") };
            assert_eq!(named, picture);
            assert!(matches!(&why, ExportFailure::Other(message) if message.contains(expected)), "{why:?}");
            assert!(!picture.with_extension("psd").exists(), "nothing half-written");
        }
    }

    #[test]
    fn always_export_writes_the_formats_ticked() {
        let mut settings = crate::app::settings::ExportSettings::default();
        assert!(!settings.always, "off by default");
        assert_eq!(settings.formats(), vec![LayeredFormat::Psd]);
        settings.ora = true;
        assert_eq!(settings.formats(), vec![LayeredFormat::Psd, LayeredFormat::Ora]);
    }
}
