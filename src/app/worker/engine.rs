//! The worker thread: owns the device and the loaded networks, runs one job at a time, and reports
//! through a bounded channel. A panic inside burn (e.g. out of GPU memory) fails the job, not the app.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::mpsc::Receiver;

use crate::app::service::Emitter;
use crate::error_report::error_report;
use crate::generate::{GenerateError, ModelFiles, Models, Plan, ResolveError, Resolver, generate};
use crate::history::{MadeFrom, Recorder};
use crate::output::{ImageSaver, KeptInputs};
use crate::runtime::{ComputeDevice, DeviceChoice, device};

use super::messages::{Command, DeviceReport, ErrorKind, Event, Job, JobId, JobSpec, ModelSelection, WorkerError};
use super::reporter::Reporter;

/// Networks on a device, and what they were loaded from.
struct Loaded {
    selection: ModelSelection,
    files: ModelFiles,
    models: Models,
}

pub struct Engine {
    emitter: Emitter<Event>,
    compute: Option<(DeviceChoice, ComputeDevice)>,
    loaded: Option<Loaded>,
    resolver: Resolver,
    history: Recorder,
    /// Where the hints painted in the window are kept, as the drawings are.
    kept_inputs: KeptInputs,
}

impl Engine {
    /// `home` is Nurie's data directory: the history index, the model hash cache, the registry.
    pub fn new(emitter: Emitter<Event>, home: &Path) -> Self {
        Self {
            emitter,
            compute: None,
            loaded: None,
            resolver: Resolver::in_home(home)
                .with_lora_folders(crate::networks::lora_folders(&[]))
                .with_embedding_folders(&crate::networks::embedding_folders(&[])),
            history: Recorder::new(home.to_path_buf()),
            kept_inputs: KeptInputs::in_home(home),
        }
    }

    /// Handles commands until `Shutdown` or until the window hangs up.
    pub fn serve(mut self, commands: Receiver<Command>) {
        while let Ok(command) = commands.recv() {
            match command {
                Command::Shutdown => break,
                Command::Preload(selection) => self.guarded(None, |engine| {
                    let files =
                        ModelFiles { checkpoint: selection.checkpoint.clone(), vae: selection.vae.clone(), controlnets: vec![] };
                    engine.ensure_loaded(&selection, &files, None).map(|_| ())
                }),
                Command::OpenDevice(choice) => self.guarded(None, |engine| engine.device(choice).map(|_| ())),
                Command::Run(job) => self.guarded(Some(job.id), |engine| engine.run(&job)),
            }
        }
    }

    /// Runs `work`, turning an error or a panic into a `Failed` event. After a panic the loaded
    /// networks are dropped: their state is unknown.
    fn guarded(&mut self, job: Option<JobId>, work: impl FnOnce(&mut Self) -> Result<(), WorkerError>) {
        let result = catch_unwind(AssertUnwindSafe(|| work(self)));
        let error = match result {
            Ok(Ok(())) => return,
            Ok(Err(error)) => error,
            Err(panic) => {
                self.loaded = None;
                self.compute = None;
                WorkerError { kind: ErrorKind::Device, message: panic_message(panic.as_ref()) }
            }
        };
        self.emitter.send(Event::Failed { job, error });
    }

    /// The job's LoRA folders (the user's, which the window sends with each job, then the installs'),
    /// listed again only when they changed.
    fn use_lora_folders(&mut self, user: &[std::path::PathBuf]) {
        let folders = crate::networks::lora_folders(user);
        let library = self.resolver.lora_library();
        if library.folders() != folders.as_slice() {
            *library = crate::networks::lora::LoraLibrary::new(folders);
        }
    }

    fn run(&mut self, job: &Job) -> Result<(), WorkerError> {
        let plan = &self.with_painted_inputs(&job.spec)?;
        self.use_lora_folders(&job.spec.lora_folders);
        self.resolver.set_embedding_folders(&crate::networks::embedding_folders(&job.spec.embedding_folders));
        let resolved = self.resolver.resolve(plan).map_err(resolve_error)?;
        let saver = ImageSaver::new(&job.spec.output_folder)
            .map_err(|e| WorkerError { kind: ErrorKind::Output, message: e.to_string() })?;
        self.ensure_loaded(&job.spec.models(), &resolved.files, Some(job.id))?;
        let (Some((_, compute)), Some(loaded)) = (&self.compute, &mut self.loaded) else {
            return Err(WorkerError { kind: ErrorKind::Device, message: "the models are not loaded".into() });
        };
        loaded
            .models
            .apply_loras(&resolved.loras)
            .map_err(|e| WorkerError { kind: ErrorKind::Model, message: error_report(&e) })?;
        let mut reporter = Reporter {
            job: job.id,
            cancel: &job.cancel,
            saver,
            request: &resolved.request,
            provenance: &resolved.provenance,
            emitter: &self.emitter,
            history: &mut self.history,
            made_from: MadeFrom {
                line_art: plan.units.first().map(|unit| unit.line_art.clone()),
                init_image: plan.init_image.clone(),
                color_hints: plan.color_hints.clone(),
                references: plan.references.iter().map(|unit| unit.picture.clone()).collect(),
                mask: plan.mask.clone(),
            },
            page: job.spec.page.clone(),
        };
        let outcome = generate(&loaded.models, &resolved.request, &compute.device, &mut reporter).map_err(generate_error)?;
        self.emitter.send(Event::Finished { job: job.id, images: outcome.images, cancelled: outcome.cancelled });
        Ok(())
    }

    /// The job's plan, with the hints and the mask painted in the window kept as files it names.
    fn with_painted_inputs(&self, spec: &JobSpec) -> Result<Plan, WorkerError> {
        let mut plan = spec.plan.clone();
        let not_kept = |what: &str, e: crate::output::KeepError| WorkerError {
            kind: ErrorKind::Output,
            message: format!("the painted {what} could not be kept: {e}"),
        };
        if let Some(hints) = &spec.color_hints {
            plan.color_hints = Some(self.kept_inputs.keep_png(hints.as_ref()).map_err(|e| not_kept("color hints", e))?);
        }
        if let Some(mask) = &spec.mask {
            plan.mask = Some(self.kept_inputs.keep_png(mask.as_ref()).map_err(|e| not_kept("mask", e))?);
        }
        Ok(plan)
    }

    /// Loads `files` on the selected device unless they are already there; the old networks are
    /// dropped first so two models never share the memory.
    fn ensure_loaded(&mut self, selection: &ModelSelection, files: &ModelFiles, job: Option<JobId>) -> Result<(), WorkerError> {
        // The files must match in order too: a request names its ControlNets by position.
        let same = self.loaded.as_ref().is_some_and(|l| &l.selection == selection && &l.files == files);
        if same {
            return Ok(());
        }
        self.loaded = None;
        self.device(selection.device)?;
        let (Some((_, compute)), emitter) = (&self.compute, &self.emitter) else {
            return Err(WorkerError { kind: ErrorKind::Device, message: "no device".into() });
        };
        let dtype =
            selection.precision.dtype_on(compute).map_err(|e| WorkerError { kind: ErrorKind::Device, message: e.to_string() })?;
        let models = Models::load(files, &compute.device, dtype, |part| {
            emitter.send(Event::Loading { job, part: part.to_string() });
        })
        .map_err(|e| WorkerError { kind: ErrorKind::Model, message: e.to_string() })?;
        let device = compute.summary.clone();
        self.loaded = Some(Loaded { selection: selection.clone(), files: files.clone(), models });
        let precision = crate::runtime::dtype_name(dtype);
        self.emitter.send(Event::ModelsReady { selection: selection.clone(), device, precision });
        Ok(())
    }

    fn device(&mut self, choice: DeviceChoice) -> Result<&ComputeDevice, WorkerError> {
        if self.compute.as_ref().is_none_or(|(c, _)| *c != choice) {
            let compute = device::open(choice).map_err(|e| WorkerError { kind: ErrorKind::Device, message: e.to_string() })?;
            self.emitter.send(Event::DeviceOpened(DeviceReport {
                choice,
                summary: compute.summary.clone(),
                is_gpu: compute.is_gpu,
                fallback: compute.fallback_note.clone(),
            }));
            self.compute = Some((choice, compute));
        }
        match &self.compute {
            Some((_, compute)) => Ok(compute),
            None => Err(WorkerError { kind: ErrorKind::Device, message: "no device".into() }),
        }
    }
}

fn resolve_error(error: ResolveError) -> WorkerError {
    let kind = match &error {
        ResolveError::Model(_)
        | ResolveError::Lora(_)
        | ResolveError::Embedding(_)
        | ResolveError::Tokenizer(_)
        | ResolveError::HiresUpscaler(_) => ErrorKind::Model,
        ResolveError::LineArt(_)
        | ResolveError::LineArtSize { .. }
        | ResolveError::InitImage(_)
        | ResolveError::Reference { .. }
        | ResolveError::HintsFile(_)
        | ResolveError::Hints { .. }
        | ResolveError::Inpaint(_)
        | ResolveError::MaskWithoutPicture => ErrorKind::Image,
        ResolveError::Request(_) | ResolveError::HintsInMaskedRegion => ErrorKind::Settings,
    };
    WorkerError { kind, message: error_report(&error) }
}

fn generate_error(error: GenerateError) -> WorkerError {
    let kind = match &error {
        GenerateError::Request(_) | GenerateError::Sampler(_) | GenerateError::Schedule(_) | GenerateError::NonFinite { .. } => {
            ErrorKind::Settings
        }
        GenerateError::Output { .. } => ErrorKind::Output,
        GenerateError::Device { .. } => ErrorKind::Device,
        _ => ErrorKind::Model,
    };
    WorkerError { kind, message: error_report(&error) }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown failure");
    format!("the compute device failed: {text}")
}
