//! What the window and the worker say to each other.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::generate::{Plan, RgbPreview};
use crate::metadata::GenerationRecord;
use crate::runtime::{DeviceChoice, DeviceSummary, Fallback, Precision};

/// Numbers jobs in the order the user queued them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

/// Which networks to load, where, and in what precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSelection {
    pub checkpoint: PathBuf,
    pub vae: Option<PathBuf>,
    pub device: DeviceChoice,
    pub precision: Precision,
}

/// The device the networks run on, as the window tells the user about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceReport {
    pub choice: DeviceChoice,
    /// What it is, for the window to word in its language.
    pub summary: DeviceSummary,
    pub is_gpu: bool,
    /// Why `auto` is on the CPU: no adapter, only software ones, or a driver that failed to open.
    pub fallback: Option<Fallback>,
}

/// Everything one queued generation needs; files are read by the worker, not the window.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub plan: Plan,
    pub device: DeviceChoice,
    pub precision: Precision,
    pub output_folder: PathBuf,
    /// The folders the user added for the prompt's LoRAs and embeddings; the worker looks there
    /// first, then in the installs it finds (`crate::networks::lora_folders`).
    pub lora_folders: Vec<PathBuf>,
    pub embedding_folders: Vec<PathBuf>,
    /// The color hints painted in the window, at the generation size; the worker keeps them in Nurie's
    /// home (by hash, as drawings are) and gives the plan that file.
    pub color_hints: Option<Arc<image::RgbaImage>>,
    /// The inpainting mask painted in the window (white where the picture is redrawn), at the img2img
    /// picture's size or smaller; the worker keeps it as the hints are and gives the plan that file.
    pub mask: Option<Arc<image::GrayImage>>,
    /// A chapter's page: its pictures are named after it (`page3.png`) instead of numbered.
    pub page: Option<PageJob>,
}

/// A job coloring one page of a chapter.
#[derive(Debug, Clone, PartialEq)]
pub struct PageJob {
    /// The page's name (its drawing's), which its pictures take; any picture already there by that
    /// name (a page colored again, or left half done) is set aside (`earlier/`) as the new one takes it.
    pub name: String,
}

impl JobSpec {
    /// The networks the job runs on.
    pub fn models(&self) -> ModelSelection {
        ModelSelection {
            checkpoint: self.plan.checkpoint.clone(),
            vae: self.plan.vae.clone(),
            device: self.device,
            precision: self.precision,
        }
    }
}

/// A job handed to the worker, with the flag that cancels it after the current step.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    pub spec: JobSpec,
    pub cancel: Arc<AtomicBool>,
}

/// Window → worker.
#[derive(Debug)]
pub enum Command {
    /// Load these networks now (the user picked a model), so the first generation starts at once.
    Preload(ModelSelection),
    /// Open the compute device now (at start), so the window can say early what pictures will run on.
    OpenDevice(DeviceChoice),
    Run(Box<Job>),
    Shutdown,
}

/// Where image `image` of `images` is: step `step` of `steps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepInfo {
    pub image: usize,
    /// Images taking their steps together with `image` (one UNet batch).
    pub together: usize,
    pub images: usize,
    pub step: usize,
    pub steps: usize,
}

/// Worker → window.
#[derive(Debug)]
pub enum Event {
    /// Loading a part of the models ("UNet", …) for a job or a preload.
    Loading {
        job: Option<JobId>,
        part: String,
    },
    /// The models of `selection` are ready on `device`, computing in `precision` ("f16", "f32").
    ModelsReady {
        selection: ModelSelection,
        device: DeviceSummary,
        precision: String,
    },
    /// The compute device was opened for a choice (at start, or when the choice changed).
    DeviceOpened(DeviceReport),
    Step {
        job: JobId,
        info: StepInfo,
        preview: RgbPreview,
    },
    /// A finished picture, already on disk with its metadata.
    ImageSaved {
        job: JobId,
        index: usize,
        path: PathBuf,
        image: Arc<image::RgbImage>,
        record: Box<GenerationRecord>,
    },
    /// The job ended: every image written, or cancelled after `images` of them.
    Finished {
        job: JobId,
        images: usize,
        cancelled: bool,
    },
    /// Something the user should know that stops nothing (e.g. the history could not record a picture).
    Notice {
        message: String,
    },
    /// The job (or the preload, `job: None`) failed; images saved before stay saved.
    Failed {
        job: Option<JobId>,
        error: WorkerError,
    },
}

/// A failure as the window shows it: what happened and what the user can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerError {
    pub kind: ErrorKind,
    pub message: String,
}

/// The kinds of failure the window explains differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A model file is missing, corrupt, or of another family.
    Model,
    /// A line-art or init image cannot be read.
    Image,
    /// The settings cannot run (size, steps, …).
    Settings,
    /// The device ran out of memory or failed.
    Device,
    /// A picture could not be written.
    Output,
}
