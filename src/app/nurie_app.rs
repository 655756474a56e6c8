//! The application state behind the window, and what it does with the worker's events.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::file_picker::{FilePicker, Purpose};
use super::form::{FormProblem, GenerationForm, UnitForm};
use super::frame_stats::FrameStats;
use super::gallery::{Gallery, GalleryItem};
use super::history::HistoryBrowser;
use super::i18n::Texts;
use super::line_art_preview::{LineArtPreview, LineArtPreviewer, Prepared, PreviewRequest};
use super::model_info::{LicenseQuestion, ModelInfo};
use super::model_search::{ModelSearch, SearchPlaces};
use super::queue::JobQueue;
use super::settings::{AppSettings, remember};
use super::view_state::ZoomPan;
use super::worker::{Command, DeviceReport, ErrorKind, Event, JobId, JobSpec, ModelSelection, WorkerError, WorkerHandle};
use crate::output::KeptInputs;
use crate::runtime::DeviceChoice;

/// How long one frame may spend reading worker events before it draws.
const EVENT_BUDGET: Duration = Duration::from_millis(4);
/// Changed settings are written at most this often (not on every keystroke), and at exit.
const SETTINGS_SAVE_INTERVAL: Duration = Duration::from_secs(2);

/// A message in the window's message area.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub kind: Option<ErrorKind>,
    pub text: String,
}

/// What the model bar says about the loaded networks.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelStatus {
    NotLoaded,
    Loading(String),
    Ready { device: String },
    Failed,
}

/// Which view fills the window under the model bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Workspace,
    History,
    /// What the chosen checkpoint is and where it comes from.
    Model,
    /// First start: the models found, what to get for line-art coloring, the device.
    Welcome,
}

/// One unit's line art as the panel shows it.
#[derive(Default)]
pub struct UnitView {
    pub shown_for: Option<PreviewRequest>,
    pub ticket: u64,
    pub line_art: Option<egui::TextureHandle>,
    pub hint: Option<egui::TextureHandle>,
    pub lines: Option<egui::TextureHandle>,
    pub full_size: Option<(u32, u32)>,
    pub error: Option<String>,
}

/// The picture in the result view: the running job's preview or a finished image.
pub struct Shown {
    pub texture: egui::TextureHandle,
    pub is_preview: bool,
}

pub struct NurieApp {
    pub home: PathBuf,
    pub settings: AppSettings,
    pub worker: Option<WorkerHandle>,
    pub queue: JobQueue,
    pub gallery: Gallery,
    pub notices: Vec<Notice>,
    pub model_status: ModelStatus,
    /// The compute device, once the worker has opened it.
    pub device: Option<DeviceReport>,
    pub units: Vec<UnitView>,
    pub previewer: LineArtPreviewer,
    pub shown: Option<Shown>,
    pub view: ZoomPan,
    /// The before/after slider is on, at this fraction of the width.
    pub compare: bool,
    pub compare_at: f32,
    pub last_seed: Option<u64>,
    pub picker: FilePicker,
    pub token_counter: super::token_count::TokenCounter,
    /// Models found in other tools' installs and the user's model folders.
    pub models: ModelSearch,
    pub frame_stats: FrameStats,
    /// The window title last sent (the percentage of the running job).
    pub window_title: Option<String>,
    pub mode: Mode,
    pub history: HistoryBrowser,
    /// The tag being typed in the history's detail pane.
    pub history_tag_draft: String,
    /// Copies of the drawings pictures were made from, found by content hash.
    pub kept_inputs: KeptInputs,
    /// What the chosen models are and where they come from (the Model tab).
    pub model_info: ModelInfo,
    /// A generation waiting for the user's answer about its model's license.
    pub license_question: Option<LicenseQuestion>,
    /// Jobs waiting for their model to be identified, or for the answer to the license question.
    held_jobs: Vec<JobSpec>,
    /// The settings last written to disk, to save only on change, and when.
    saved: AppSettings,
    saved_at: Instant,
    ctx: egui::Context,
}

impl NurieApp {
    /// Starts the worker, reads the settings from `home` and looks for models in this user's folders.
    pub fn new(ctx: &egui::Context, home: PathBuf) -> Self {
        Self::with_model_search(ctx, home, SearchPlaces::ThisSystem)
    }

    /// As [`NurieApp::new`], looking for other tools' installs in `places` (tests give their own).
    pub fn with_model_search(ctx: &egui::Context, home: PathBuf, places: SearchPlaces) -> Self {
        super::fonts::install_fonts(ctx);
        let loaded = AppSettings::load(&home);
        let mut notices = Vec::new();
        if let Some(warning) = loaded.warning {
            notices.push(Notice { kind: None, text: warning });
        }
        let repaint = ctx.clone();
        let worker = match WorkerHandle::spawn(home.clone(), move || repaint.request_repaint()) {
            Ok(worker) => Some(worker),
            Err(e) => {
                notices.push(Notice { kind: Some(ErrorKind::Device), text: format!("cannot start the worker thread: {e}") });
                None
            }
        };
        let wake_ctx = ctx.clone();
        let history_ctx = ctx.clone();
        let outputs = loaded
            .settings
            .output_folder
            .clone()
            .or_else(|| crate::home::default_output_dir().ok())
            .unwrap_or_else(|| home.join("outputs"));
        let history = HistoryBrowser::start(&home, outputs, Arc::new(move || history_ctx.request_repaint()));
        let history_home = home.clone();
        let info_ctx = ctx.clone();
        let mut app = Self {
            home,
            saved: loaded.settings.clone(),
            saved_at: Instant::now(),
            settings: loaded.settings,
            worker,
            queue: JobQueue::default(),
            gallery: Gallery::default(),
            notices,
            model_status: ModelStatus::NotLoaded,
            device: None,
            units: Vec::new(),
            previewer: LineArtPreviewer::new(Arc::new(move || wake_ctx.request_repaint())),
            shown: None,
            view: ZoomPan::default(),
            compare: false,
            compare_at: 0.5,
            last_seed: None,
            picker: FilePicker::default(),
            token_counter: Default::default(),
            models: ModelSearch::new(places),
            frame_stats: FrameStats::from_environment(),
            window_title: None,
            mode: Mode::Workspace,
            history,
            history_tag_draft: String::new(),
            kept_inputs: KeptInputs::in_home(&history_home),
            model_info: ModelInfo::start(&history_home, Arc::new(move || info_ctx.request_repaint())),
            license_question: None,
            held_jobs: Vec::new(),
            ctx: ctx.clone(),
        };
        app.search_models();
        if app.settings.form.units.is_empty() {
            app.settings.form.units.push(UnitForm::default());
        }
        app.preload();
        if app.settings.checkpoint.is_none() && !app.settings.welcome_done {
            app.mode = Mode::Welcome;
        }
        app
    }

    pub fn texts(&self) -> &'static Texts {
        self.settings.language().texts()
    }

    pub fn form(&mut self) -> &mut GenerationForm {
        &mut self.settings.form
    }

    pub fn model_selection(&self) -> ModelSelection {
        ModelSelection {
            checkpoint: self.settings.checkpoint.clone().unwrap_or_default(),
            vae: self.settings.vae.clone(),
            device: self.settings.device,
            precision: self.settings.precision,
        }
    }

    pub fn output_folder(&self) -> PathBuf {
        self.settings
            .output_folder
            .clone()
            .or_else(|| crate::home::default_output_dir().ok())
            .unwrap_or_else(|| self.home.join("outputs"))
    }

    fn send(&mut self, command: Command) {
        let sent = self.worker.as_ref().map(|w| w.send(command));
        if !matches!(sent, Some(Ok(()))) {
            self.notify(Some(ErrorKind::Device), super::worker::WorkerGone.to_string());
        }
    }

    pub fn notify(&mut self, kind: Option<ErrorKind>, text: String) {
        let notice = Notice { kind, text };
        if !self.notices.contains(&notice) {
            self.notices.push(notice);
        }
    }

    /// The user picked a checkpoint: remember it and load it in the background.
    pub fn choose_checkpoint(&mut self, path: &Path) {
        self.settings.checkpoint = Some(path.to_path_buf());
        remember(&mut self.settings.recent.checkpoints, path);
        self.preload();
    }

    pub fn choose_vae(&mut self, path: Option<&Path>) {
        self.settings.vae = path.map(Path::to_path_buf);
        if let Some(path) = path {
            remember(&mut self.settings.recent.vaes, path);
        }
        self.preload();
    }

    pub fn choose_controlnet(&mut self, unit: usize, path: &Path) {
        if let Some(form) = self.settings.form.units.get_mut(unit) {
            form.controlnet = Some(path.to_path_buf());
        }
        remember(&mut self.settings.recent.controlnets, path);
    }

    /// Sets the line art of `unit` (a file the user dropped, opened or pasted).
    pub fn set_line_art(&mut self, unit: usize, path: &Path) {
        while self.settings.form.units.len() <= unit {
            self.settings.form.units.push(UnitForm::default());
        }
        let form = &mut self.settings.form.units[unit];
        form.line_art = Some(path.to_path_buf());
        if form.controlnet.is_none() {
            let found = self.models.line_art_controlnet().map(Path::to_path_buf);
            form.controlnet = self.settings.recent.controlnets.first().cloned().or(found);
        }
    }

    /// Loads the chosen networks on the chosen device now; with no checkpoint chosen yet, opens the
    /// device only, so the window can say what the pictures will run on.
    pub fn preload(&mut self) {
        match self.settings.checkpoint.is_some() {
            true => {
                self.model_status = ModelStatus::Loading(String::new());
                self.send(Command::Preload(self.model_selection()));
            }
            false => self.send(Command::OpenDevice(self.settings.device)),
        }
    }

    /// Queues the form as a job (Generate button, Ctrl+Enter). The job is held until the checkpoint is
    /// identified, and, when its license forbids commercial use and the user has not said to stop
    /// asking for this model, until the user answers.
    pub fn enqueue(&mut self) {
        let seed = self.settings.form.resolve_seed();
        match self.settings.form.to_spec(self.model_selection(), self.output_folder(), seed) {
            Ok(spec) => {
                self.last_seed = Some(seed);
                self.held_jobs.push(spec);
                self.release_held_jobs();
            }
            Err(problem) => {
                let texts = self.texts();
                let text = match problem {
                    FormProblem::NoCheckpoint => texts.error_no_checkpoint.to_string(),
                    FormProblem::UnitIncomplete(unit) => format!("{} {}: {}", texts.unit, unit + 1, texts.error_unit_incomplete),
                };
                self.notify(Some(ErrorKind::Settings), text);
            }
        }
    }

    /// Queues the held jobs once their checkpoint's license is known and allows it (or was accepted).
    fn release_held_jobs(&mut self) {
        let Some(model) = self.held_jobs.first().map(|spec| spec.models.checkpoint.clone()) else { return };
        if self.license_question.is_some() {
            return;
        }
        self.model_info.want(&model);
        if self.model_info.is_identifying(&model) {
            return;
        }
        match self.model_info.license_question(&model, &self.settings.license_acknowledged) {
            Some(question) => self.license_question = Some(question),
            None => self.queue_held_jobs(),
        }
    }

    fn queue_held_jobs(&mut self) {
        for spec in std::mem::take(&mut self.held_jobs) {
            self.queue.push(spec);
        }
        self.start_next_job();
    }

    /// The answer to the license question: generate or not, and whether to ask again for this model.
    pub fn answer_license_question(&mut self, generate: bool, stop_asking: bool) {
        let Some(question) = self.license_question.take() else { return };
        if stop_asking && !self.settings.license_acknowledged.contains(&question.sha256) {
            self.settings.license_acknowledged.push(question.sha256);
        }
        if generate {
            self.queue_held_jobs();
        } else {
            self.held_jobs.clear();
        }
    }

    /// A job is held while its model is identified (see [`Self::enqueue`]).
    pub fn is_checking_license(&self) -> bool {
        !self.held_jobs.is_empty() && self.license_question.is_none()
    }

    fn start_next_job(&mut self) {
        if let Some(job) = self.queue.start_next() {
            self.send(Command::Run(Box::new(job)));
        }
    }

    /// Reads worker and previewer events for at most [`EVENT_BUDGET`]; saves changed settings every
    /// [`SETTINGS_SAVE_INTERVAL`].
    pub fn pump(&mut self) {
        let started = Instant::now();
        while started.elapsed() < EVENT_BUDGET {
            let event = match self.worker.as_ref().map(WorkerHandle::try_event) {
                Some(Ok(Some(event))) => event,
                Some(Err(gone)) => {
                    self.worker = None;
                    self.notify(Some(ErrorKind::Device), gone.to_string());
                    break;
                }
                _ => break,
            };
            self.on_event(event);
        }
        if started.elapsed() >= EVENT_BUDGET {
            self.ctx.request_repaint();
        }
        while let Some(preview) = self.previewer.try_result() {
            self.on_line_art_preview(preview);
        }
        if self.models.poll() {
            self.report_unreadable_model_folders();
        }
        self.history.pump(&self.ctx);
        for message in std::mem::take(&mut self.history.messages) {
            self.notify(None, message);
        }
        self.model_info.pump();
        for message in std::mem::take(&mut self.model_info.messages) {
            self.notify(None, message);
        }
        if let Some(checkpoint) = &self.settings.checkpoint {
            self.model_info.want(checkpoint);
        }
        self.release_held_jobs();
        if let Some((purpose, Some(path))) = self.picker.poll() {
            self.on_picked(purpose, &path);
        }
        if self.saved_at.elapsed() >= SETTINGS_SAVE_INTERVAL {
            self.save_settings_if_changed();
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Loading { part, .. } => self.model_status = ModelStatus::Loading(part),
            Event::ModelsReady { device, .. } => self.model_status = ModelStatus::Ready { device },
            Event::DeviceOpened(report) => self.on_device_opened(report),
            Event::Step { job, info, preview } => {
                if let Some(running) = self.queue.running_mut().filter(|r| r.id == job) {
                    running.progress.on_step(info, Instant::now());
                }
                let image = egui::ColorImage::from_rgb([preview.width, preview.height], &preview.pixels);
                let texture = self.ctx.load_texture("result-preview", image, egui::TextureOptions::LINEAR);
                self.shown = Some(Shown { texture, is_preview: true });
            }
            Event::ImageSaved { job, path, image, record, .. } => {
                self.history.pictures_added();
                self.on_image(job, path, image, *record);
            }
            Event::Finished { job, images, cancelled } => {
                if cancelled {
                    let text = format!("{} ({} {})", self.texts().cancelled, images, self.texts().image);
                    self.notify(None, text);
                    if self.shown.as_ref().is_some_and(|s| s.is_preview) {
                        self.shown = None;
                    }
                }
                self.job_ended(job);
            }
            Event::Notice { message } => self.notify(None, message),
            Event::Failed { job, error } => self.on_failure(job, error),
        }
    }

    fn on_image(&mut self, job: JobId, path: PathBuf, image: Arc<image::RgbImage>, record: crate::metadata::GenerationRecord) {
        let color = egui::ColorImage::from_rgb([image.width() as usize, image.height() as usize], image.as_raw());
        let texture = self.ctx.load_texture(path.to_string_lossy(), color, egui::TextureOptions::LINEAR);
        self.shown = Some(Shown { texture: texture.clone(), is_preview: false });
        self.gallery.add(GalleryItem { job, path, image, record, texture: Some(texture) });
    }

    fn on_failure(&mut self, job: Option<JobId>, error: WorkerError) {
        if job.is_none() || error.kind == ErrorKind::Model {
            self.model_status = ModelStatus::Failed;
        }
        self.notify(Some(error.kind), error.message);
        if let Some(job) = job {
            self.job_ended(job);
        }
    }

    /// True while models load or a job runs: the frames that must stay smooth.
    pub fn is_busy(&self) -> bool {
        self.queue.running().is_some() || matches!(self.model_status, ModelStatus::Loading(_))
    }

    /// Closes the frame's timing.
    pub fn frame_ends(&mut self) {
        let busy = self.is_busy();
        self.frame_stats.frame_ends(Instant::now(), busy);
    }

    fn job_ended(&mut self, job: JobId) {
        if self.frame_stats.report {
            eprintln!("frame stats, job {job:?}: {}", self.frame_stats.take().report());
        }
        self.queue.finished(job);
        self.start_next_job();
    }

    /// Asks for a fresh hint preview of every unit whose file or settings changed.
    pub fn refresh_line_art(&mut self) {
        let (width, height) = (self.settings.form.width, self.settings.form.height);
        self.units.resize_with(self.settings.form.units.len(), UnitView::default);
        for (unit, form) in self.settings.form.units.iter().enumerate() {
            let Some(path) = &form.line_art else {
                self.units[unit] = UnitView::default();
                continue;
            };
            let request = PreviewRequest { unit, path: path.clone(), settings: form.settings, width, height };
            if self.units[unit].shown_for.as_ref() != Some(&request) {
                self.units[unit].shown_for = Some(request.clone());
                self.units[unit].ticket = self.previewer.request(request);
            }
        }
    }

    fn on_line_art_preview(&mut self, preview: LineArtPreview) {
        let Some(view) = self.units.get_mut(preview.request.unit).filter(|v| v.ticket == preview.ticket) else {
            return;
        };
        match preview.result {
            Ok(Prepared { line_art, full_size, hint, lines }) => {
                let art = egui::ColorImage::from_rgb([line_art.width() as usize, line_art.height() as usize], line_art.as_raw());
                let hint = egui::ColorImage::from_gray([hint.width() as usize, hint.height() as usize], hint.as_raw());
                let unit = preview.request.unit;
                view.line_art = Some(self.ctx.load_texture(format!("line-art-{unit}"), art, egui::TextureOptions::LINEAR));
                view.hint = Some(self.ctx.load_texture(format!("hint-{unit}"), hint, egui::TextureOptions::LINEAR));
                let lines =
                    egui::ColorImage::from_rgba_premultiplied([lines.width() as usize, lines.height() as usize], lines.as_raw());
                view.lines = Some(self.ctx.load_texture(format!("lines-{unit}"), lines, egui::TextureOptions::LINEAR));
                view.full_size = Some(full_size);
                view.error = None;
            }
            Err(error) => {
                view.error = Some(error.clone());
                view.line_art = None;
                view.hint = None;
                view.lines = None;
                self.notify(Some(ErrorKind::Image), error);
            }
        }
    }

    fn save_settings_if_changed(&mut self) {
        if self.settings == self.saved {
            return;
        }
        self.saved_at = Instant::now();
        match self.settings.save(&self.home) {
            Ok(()) => self.saved = self.settings.clone(),
            Err(e) => {
                self.saved = self.settings.clone();
                let text = format!("cannot save the settings in {}: {e}", self.home.display());
                self.notify(None, text);
            }
        }
    }

    /// Opens a file dialog for `purpose` (its answer arrives in a later frame).
    pub fn pick(&mut self, purpose: Purpose, suggested_name: Option<String>) {
        let ctx = self.ctx.clone();
        self.picker.open(purpose, suggested_name, move || ctx.request_repaint());
    }

    fn on_picked(&mut self, purpose: Purpose, path: &Path) {
        match purpose {
            Purpose::Checkpoint => self.choose_checkpoint(path),
            Purpose::Vae => self.choose_vae(Some(path)),
            Purpose::ControlNet(unit) => self.choose_controlnet(unit, path),
            Purpose::LineArt(unit) => self.set_line_art(unit, path),
            Purpose::InitImage => self.settings.form.init.image = Some(path.to_path_buf()),
            Purpose::OutputFolder => self.settings.output_folder = Some(path.to_path_buf()),
            Purpose::ModelFolder => self.add_model_folder(path),
            Purpose::HistoryFolder => self.history.scan(vec![path.to_path_buf()], false),
            Purpose::SaveAs(index) => self.save_copy(index, path),
            Purpose::CompositionBase => self.model_info.base = Some(path.to_path_buf()),
            Purpose::CompositionReference => {
                if !self.model_info.references.iter().any(|r| r == path) {
                    self.model_info.references.push(path.to_path_buf());
                }
            }
        }
    }

    /// Keeps what the worker opened, and says so in plain words when `auto` found no GPU to use.
    fn on_device_opened(&mut self, report: DeviceReport) {
        let already_told = self.device.as_ref().is_some_and(|known| !known.is_gpu && known.choice == report.choice);
        if report.choice == DeviceChoice::Auto && !report.is_gpu && !already_told {
            let reason = report.fallback.as_deref().map(|reason| format!(" ({reason})")).unwrap_or_default();
            self.notify(None, format!("{}{reason}", self.texts().no_gpu_notice));
        }
        self.device = Some(report);
    }

    /// Leaves the welcome screen for good (it stays reachable from the model bar).
    pub fn finish_welcome(&mut self) {
        self.settings.welcome_done = true;
        self.mode = Mode::Workspace;
    }

    /// Looks for models again (at start, and when the user's model folders change).
    pub fn search_models(&mut self) {
        let ctx = self.ctx.clone();
        if let Err(e) = self.models.start(&self.settings.model_folders, move || ctx.request_repaint()) {
            self.notify(None, format!("cannot look for models: {e}"));
        }
    }

    pub fn add_model_folder(&mut self, path: &Path) {
        if !self.settings.model_folders.iter().any(|p| p == path) {
            self.settings.model_folders.push(path.to_path_buf());
            self.search_models();
        }
    }

    pub fn remove_model_folder(&mut self, index: usize) {
        if index < self.settings.model_folders.len() {
            self.settings.model_folders.remove(index);
            self.search_models();
        }
    }

    fn report_unreadable_model_folders(&mut self) {
        let folders: Vec<String> = self.models.unreadable().iter().map(|p| p.display().to_string()).collect();
        if !folders.is_empty() {
            let text = format!("{}: {}", self.texts().unreadable_model_folders, folders.join(", "));
            self.notify(None, text);
        }
    }

    /// Copies gallery picture `index` (metadata included) to `target`.
    fn save_copy(&mut self, index: usize, target: &Path) {
        let Some(item) = self.gallery.items.get(index) else { return };
        if let Err(e) = std::fs::copy(&item.path, target) {
            let text = format!("cannot save {}: {e}", target.display());
            self.notify(Some(ErrorKind::Output), text);
        }
    }

    /// Pastes an image from the clipboard as unit `unit`'s line art (kept under the home's `inputs`,
    /// named by content hash so the same picture is stored once).
    pub fn paste_line_art(&mut self, unit: usize) {
        match super::clipboard::paste_image(&self.home.join("inputs")) {
            Ok(path) => self.set_line_art(unit, &path),
            Err(e) => self.notify(Some(ErrorKind::Image), e),
        }
    }

    /// Cancels the running job (Esc, the Cancel button).
    pub fn cancel_running(&mut self) {
        self.queue.cancel_running();
    }

    /// Shows gallery picture `index` in the result view.
    pub fn view_gallery_item(&mut self, index: usize) {
        if index < self.gallery.items.len() {
            self.gallery.selected = Some(index);
        }
        self.shown =
            self.gallery.selected().and_then(|item| item.texture.clone()).map(|texture| Shown { texture, is_preview: false });
    }

    /// Reuses a finished picture's settings (prompt, sampler, seed, size…) in the form.
    pub fn reuse_settings(&mut self, index: usize) {
        if let Some(record) = self.gallery.items.get(index).map(|item| item.record.clone()) {
            self.apply_record(&record);
        }
    }

    /// Puts the settings of `record` (a gallery or history picture) into the form.
    pub fn apply_record(&mut self, record: &crate::metadata::GenerationRecord) {
        let form = &mut self.settings.form;
        form.prompt = record.prompt.clone();
        form.negative_prompt = record.negative_prompt.clone();
        form.steps = record.steps;
        if let Ok(sampler) = record.sampler.parse() {
            form.sampler = sampler;
        }
        form.cfg_scale = record.cfg_scale as f32;
        form.seed = record.seed as i64;
        form.rng = record.rng.into();
        form.clip_skip = record.clip_skip;
        form.width = record.width;
        form.height = record.height;
        for (unit, saved) in form.units.iter_mut().zip(&record.controlnets) {
            unit.weight = saved.weight as f32;
            unit.start = saved.guidance_start as f32;
            unit.end = saved.guidance_end as f32;
            unit.mode = saved.control_mode.into();
        }
    }

    pub fn reuse_seed(&mut self, index: usize) {
        if let Some(item) = self.gallery.items.get(index) {
            self.settings.form.seed = item.record.seed as i64;
        }
    }

    pub fn use_as_init_image(&mut self, index: usize) {
        if let Some(item) = self.gallery.items.get(index) {
            self.settings.form.init.image = Some(item.path.clone());
        }
    }

    /// Cancels everything and stops the worker (window closing).
    pub fn shut_down(&mut self) {
        for id in self.queue.pending().map(|j| j.id).collect::<Vec<_>>() {
            self.queue.cancel(id);
        }
        self.queue.cancel_running();
        self.save_settings_if_changed();
        if let Some(worker) = self.worker.take() {
            worker.shut_down();
        }
    }
}
