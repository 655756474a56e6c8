//! The application state behind the window, and what it does with the worker's events.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::chapter_pages::{ChapterPages, PageSeed};
use super::chapter_sheet::ChapterSheet;
use super::clipboard::PasteError;
use super::color_hints::HintLayer;
use super::dropped::{DropInspector, DroppedFile};
use super::export_dialog::ExportDialog;
use super::file_picker::{FilePicker, Purpose};
use super::flats_view::FlatsView;
use super::form::{FormProblem, GenerationForm, ReferenceForm, UnitForm};
use super::frame_stats::FrameStats;
use super::gallery::{Gallery, GalleryItem};
use super::history::HistoryBrowser;
use super::i18n::Texts;
use super::layer_export::{ExportFailure, ExportJob, ExportOutcome, LayerExporter};
use super::line_art_preview::{LineArtPreview, LineArtPreviewer, Prepared, PreviewRequest};
use super::mask_painter::MaskPainter;
use super::model_info::{LicenseQuestion, ModelInfo};
use super::model_search::{ModelSearch, SearchPlaces};
use super::network_browser::{ListRequest, NetworkBrowser};
use super::prompt_notes::PromptNotes;
use super::queue::JobQueue;
use super::service::Waker;
use super::settings::{AppSettings, WindowPlacement, remember};
use super::view_state::ZoomPan;
use super::worker::{
    Command, DeviceReport, ErrorKind, Event, JobId, JobSpec, ModelSelection, PageJob, WorkerError, WorkerHandle,
};
use crate::characters::{Character, CharacterLibrary, KeptCharacter};
use crate::generate::ReferencePlan;
use crate::model_library::ModelKind;
use crate::output::KeptInputs;
use crate::pages::{Chapter, Page};
use crate::provenance::hash::file_name;
use crate::runtime::{DeviceChoice, DeviceSummary};

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
    /// Loaded on `device`, computing in `precision` ("f16", "f32": what Auto chose).
    Ready {
        device: DeviceSummary,
        precision: String,
    },
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

/// A dropped picture that carries generation settings, waiting for the user to say what it is for.
#[derive(Debug)]
pub struct DroppedPicture {
    pub path: PathBuf,
    /// The line-art unit it was dropped on, if any.
    pub unit: Option<usize>,
    pub settings: Box<crate::metadata::ParsedSettings>,
}

/// What the user painted for a job, which the worker keeps as files: color hints at the generation
/// size, the inpainting mask at the img2img picture's.
struct Painted {
    color_hints: Option<Arc<image::RgbaImage>>,
    mask: Option<Arc<image::GrayImage>>,
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
    /// The color hints painted over the line art, at the generation size (one layer for the whole
    /// form; not saved with the settings).
    pub hints: HintLayer,
    /// The inpainting mask painted over the img2img picture (not saved with the settings).
    pub mask: MaskPainter,
    /// The before/after slider is on, at this fraction of the width.
    pub compare: bool,
    pub compare_at: f32,
    pub last_seed: Option<u64>,
    pub picker: FilePicker,
    pub token_counter: super::token_count::TokenCounter,
    /// Models found in other tools' installs and the user's model folders.
    pub models: ModelSearch,
    /// Where other tools' installs are looked for (their LoRA and embedding folders too).
    places: SearchPlaces,
    /// The LoRAs, embeddings and styles found, for the browser beside the prompt.
    pub networks: NetworkBrowser,
    /// What the prompt names that Nurie cannot find or does not do, said under it.
    pub prompt_notes: PromptNotes,
    pub frame_stats: FrameStats,
    /// The window title last sent (the percentage of the running job).
    pub window_title: Option<String>,
    pub mode: Mode,
    pub history: HistoryBrowser,
    /// The tag being typed in the history's detail pane.
    pub history_tag_draft: String,
    /// Copies of the drawings pictures were made from, found by content hash.
    pub kept_inputs: KeptInputs,
    /// The characters of the library, as last listed (at start and after each change).
    pub characters: Vec<KeptCharacter>,
    /// The name being typed for a new character.
    pub character_draft: String,
    /// The chapter being colored page by page.
    pub pages: ChapterPages,
    /// The chapter's contact sheet in the middle of the workspace.
    pub sheet: ChapterSheet,
    /// What the chosen models are and where they come from (the Model tab).
    pub model_info: ModelInfo,
    /// A generation waiting for the user's answer about its model's license.
    pub license_question: Option<LicenseQuestion>,
    /// Jobs waiting for their model to be identified, or for the answer to the license question.
    held_jobs: Vec<JobSpec>,
    /// Files dropped on the window, being looked at.
    pub drops: DropInspector,
    /// A dropped picture with settings, asking whether to use them or the picture as line art.
    pub dropped_picture: Option<DroppedPicture>,
    /// The line-art unit under the pointer while files are dragged over the window.
    pub drop_target: Option<usize>,
    /// Writes layered files (PSD, OpenRaster) in the background.
    pub exporter: LayerExporter,
    /// The "Export layers…" dialog, while open (and while its save dialog is).
    pub export_dialog: Option<ExportDialog>,
    /// The layered file last written, with "Show in folder" in the status bar until dismissed.
    pub last_export: Option<PathBuf>,
    /// The result view's Flats (下塗り): shown or not, their gap, made in the background.
    pub flats: FlatsView,
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
        let texts = loaded.settings.language().texts();
        let mut notices = Vec::new();
        if let Some(problem) = &loaded.warning {
            notices.push(Notice { kind: None, text: problem.text(texts) });
        }
        let waker = Waker::of(ctx);
        let worker = match WorkerHandle::spawn(home.clone(), waker.clone()) {
            Ok(worker) => Some(worker),
            Err(e) => {
                notices.push(Notice { kind: Some(ErrorKind::Device), text: (texts.cannot_start_worker)(&e.to_string()) });
                None
            }
        };
        let outputs = loaded
            .settings
            .output_folder
            .clone()
            .or_else(|| crate::home::default_output_dir().ok())
            .unwrap_or_else(|| home.join("outputs"));
        let history = HistoryBrowser::start(&home, outputs, waker.clone());
        let history_home = home.clone();
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
            previewer: LineArtPreviewer::new(waker.clone()),
            shown: None,
            view: ZoomPan::default(),
            hints: HintLayer::default(),
            mask: MaskPainter::default(),
            compare: false,
            compare_at: 0.5,
            last_seed: None,
            picker: FilePicker::default(),
            token_counter: Default::default(),
            models: ModelSearch::new(places.clone()),
            places,
            networks: NetworkBrowser::start(waker.clone()),
            prompt_notes: PromptNotes::default(),
            frame_stats: FrameStats::from_environment(),
            window_title: None,
            mode: Mode::Workspace,
            history,
            history_tag_draft: String::new(),
            kept_inputs: KeptInputs::in_home(&history_home),
            characters: CharacterLibrary::in_home(&history_home).list().0,
            character_draft: String::new(),
            pages: ChapterPages::default(),
            sheet: ChapterSheet::new(history_home.join("thumbnails"), waker.clone()),
            model_info: ModelInfo::start(&history_home, waker.clone()),
            license_question: None,
            held_jobs: Vec::new(),
            drops: DropInspector::default(),
            dropped_picture: None,
            drop_target: None,
            exporter: LayerExporter::start(&history_home, waker.clone()),
            export_dialog: None,
            last_export: None,
            flats: FlatsView::start(&history_home, waker.clone()),
            ctx: ctx.clone(),
        };
        app.search_models();
        app.refresh_networks(false);
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
            self.notify(Some(ErrorKind::Device), self.texts().worker_gone.to_string());
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
        if self.settings.checkpoint.is_some() {
            self.model_status = ModelStatus::Loading(String::new());
            self.send(Command::Preload(self.model_selection()));
        } else {
            self.send(Command::OpenDevice(self.settings.device));
        }
    }

    /// Queues the form as a job (Generate button, Ctrl+Enter). The job is held until the checkpoint is
    /// identified, and, when its license forbids commercial use and the user has not said to stop
    /// asking for this model, until the user answers.
    pub fn enqueue(&mut self) {
        let seed = self.settings.form.resolve_seed();
        let (checkpoint, vae) = (self.settings.checkpoint.as_deref(), self.settings.vae.as_deref());
        match self.settings.form.to_plan(checkpoint, vae, seed) {
            Ok(mut plan) => {
                match self.chosen_characters() {
                    Ok(references) => plan.references.extend(references),
                    Err(text) => return self.notify(Some(ErrorKind::Settings), text),
                }
                let mask = match self.painted_mask() {
                    Ok(mask) => mask,
                    Err(text) => return self.notify(Some(ErrorKind::Settings), text),
                };
                // Ctrl+Enter may come before the hint layer follows a new size: ask for the plan's.
                let color_hints = self.hints.picture_sized(plan.settings.width, plan.settings.height).map(Arc::new);
                let painted = Painted { color_hints, mask };
                let spec = self.job_spec(plan, self.output_folder(), painted, None);
                self.last_seed = Some(seed);
                self.held_jobs.push(spec);
                self.release_held_jobs();
            }
            Err(problem) => self.notify_form_problem(problem),
        }
    }

    /// Says what keeps the form from becoming a job.
    fn notify_form_problem(&mut self, problem: FormProblem) {
        let texts = self.texts();
        let text = match problem {
            FormProblem::NoCheckpoint => texts.error_no_checkpoint.to_string(),
            FormProblem::UnitIncomplete(unit) => (texts.unit_incomplete)(unit + 1),
        };
        self.notify(Some(ErrorKind::Settings), text);
    }

    /// A job of `plan` with the window's device, precision and network folders, and what was painted
    /// for it.
    fn job_spec(&self, plan: crate::generate::Plan, output_folder: PathBuf, painted: Painted, page: Option<PageJob>) -> JobSpec {
        JobSpec {
            plan,
            device: self.settings.device,
            precision: self.settings.precision,
            output_folder,
            lora_folders: self.settings.lora_folders.clone(),
            embedding_folders: self.settings.embedding_folders.clone(),
            color_hints: painted.color_hints,
            mask: painted.mask,
            page,
        }
    }

    /// The mask painted over the img2img picture when inpainting is on (`None` when it is off), or
    /// what is missing: without a mask the job would be a plain img2img, which the user did not ask for.
    fn painted_mask(&self) -> Result<Option<Arc<image::GrayImage>>, String> {
        let form = &self.settings.form;
        if form.settings.inpaint.is_none() {
            return Ok(None);
        }
        let texts = self.texts();
        let picture = form.init_image.as_deref().ok_or_else(|| texts.inpaint_needs_picture.to_string())?;
        let mask = self.mask.mask_for(picture).ok_or_else(|| texts.inpaint_needs_mask.to_string())?;
        Ok(Some(Arc::new(mask)))
    }

    /// Opens the chapter in `folder` for the Pages section.
    pub fn open_chapter(&mut self, folder: &Path) {
        match self.pages.open(folder) {
            Ok(()) => self.refresh_pages(true),
            Err(e) => self.notify(Some(ErrorKind::Image), e.to_string()),
        }
    }

    /// Which of the chapter's pages are colored (every second, or `now`).
    pub fn refresh_pages(&mut self, now: bool) {
        let pictures = self.settings.form.settings.batch_size.max(1) as usize;
        self.pages.refresh(&self.output_folder(), pictures, now);
    }

    /// Queues a job for every page of the chapter not colored yet (nor queued already): the form's
    /// settings, the page's drawing as the first unit's line art, the chapter's seed policy; the
    /// pictures go to the chapter's folder in the output folder, named after the drawings.
    pub fn color_chapter(&mut self) {
        let (Some(chapter), Some(out)) = (self.pages.chapter.clone(), self.pages.out_folder(&self.output_folder())) else {
            return;
        };
        let pictures = self.settings.form.settings.batch_size.max(1) as usize;
        let queued = self.queued_pages(&out);
        let missing: Vec<Page> = chapter
            .pages
            .iter()
            .filter(|page| !page.is_done(&out, pictures) && !queued.contains(&page.name()))
            .cloned()
            .collect();
        self.queue_pages(&chapter, &out, &missing, PageSeed::Chapter);
    }

    /// Queues page `number` of the chapter again with the form's settings now, from the chapter's seed
    /// or, with `seed` [`PageSeed::New`], a new one; its pictures there are set aside (`earlier/`)
    /// when the new ones are written, the other pages stay as they are.
    pub fn color_page_again(&mut self, number: usize, seed: PageSeed) {
        let (Some(chapter), Some(out)) = (self.pages.chapter.clone(), self.pages.out_folder(&self.output_folder())) else {
            return;
        };
        let Some(page) = chapter.pages.get(number).cloned() else { return };
        if self.queued_pages(&out).contains(&page.name()) {
            return self.notify(None, (self.texts().page_already_queued)(&page.name()));
        }
        self.queue_pages(&chapter, &out, &[page], seed);
    }

    /// The names of the pages queued, running or held for the chapter colored into `out`.
    pub fn queued_pages(&self, out: &Path) -> Vec<String> {
        self.queue
            .pending()
            .map(|job| &job.spec)
            .chain(self.queue.running().map(|job| &job.spec))
            .chain(&self.held_jobs)
            .filter(|spec| spec.output_folder == out)
            .filter_map(|spec| spec.page.as_ref().map(|page| page.name.clone()))
            .collect()
    }

    /// Queues `pages` of `chapter`, colored into `out`, with the form's settings and characters.
    fn queue_pages(&mut self, chapter: &Chapter, out: &Path, pages: &[Page], seed: PageSeed) {
        let pictures = self.settings.form.settings.batch_size.max(1) as usize;
        let policy = self.pages.seeds;
        let chapter_seed = chapter.recorded_seed(out, policy, pictures).unwrap_or_else(|| self.settings.form.resolve_seed());
        let characters = match self.chosen_characters() {
            Ok(references) => references,
            Err(text) => return self.notify(Some(ErrorKind::Settings), text),
        };
        // Every page starts from the same img2img picture, so the same mask serves them all.
        let mask = match self.painted_mask() {
            Ok(mask) => mask,
            Err(text) => return self.notify(Some(ErrorKind::Settings), text),
        };
        let (checkpoint, vae) = (self.settings.checkpoint.clone(), self.settings.vae.clone());
        for page in pages {
            let mut form = self.settings.form.clone();
            if form.units.is_empty() {
                form.units.push(UnitForm::default());
            }
            (form.units[0].line_art, form.units[0].enabled) = (Some(page.drawing.clone()), true);
            let page_seed = match seed {
                PageSeed::Chapter => policy.seed_for(chapter_seed, page.number, pictures),
                PageSeed::New => crate::sampling::noise::random_seed(),
            };
            match form.to_plan(checkpoint.as_deref(), vae.as_deref(), page_seed) {
                Ok(mut plan) => {
                    plan.references.extend(characters.iter().cloned());
                    let painted = Painted { color_hints: None, mask: mask.clone() };
                    let spec = self.job_spec(plan, out.to_path_buf(), painted, Some(PageJob { name: page.name() }));
                    self.held_jobs.push(spec);
                }
                Err(problem) => return self.notify_form_problem(problem),
            }
        }
        self.release_held_jobs();
    }

    /// The reference units of the characters chosen in the form, or what is wrong with a choice.
    fn chosen_characters(&self) -> Result<Vec<ReferencePlan>, String> {
        let chosen = &self.settings.form.characters;
        chosen
            .iter()
            .map(|name| {
                let kept = self.characters.iter().find(|kept| &kept.character.name == name);
                kept.map(|kept| ReferencePlan { picture: kept.picture(), settings: kept.character.reference })
                    .ok_or_else(|| (self.texts().character_missing)(name))
            })
            .collect()
    }

    /// Keeps the first reference unit's picture, with its settings, as a new character called `name`.
    pub fn save_character(&mut self, name: &str) {
        let texts = self.texts();
        let first = self.settings.form.references.iter().find(|unit| unit.picture.is_some());
        let Some((picture, settings)) = first.and_then(|unit| unit.picture.clone().map(|p| (p, unit.settings))) else {
            return self.notify(Some(ErrorKind::Settings), texts.character_needs_reference.to_string());
        };
        let png = match std::fs::read(&picture) {
            Ok(bytes) if image::guess_format(&bytes).is_ok_and(|format| format == image::ImageFormat::Png) => Ok(bytes),
            Ok(_) => crate::control::load_rgb8(&picture).map_err(|e| e.to_string()).and_then(|rgb| {
                let mut png = Vec::new();
                rgb.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).map_err(|e| e.to_string())?;
                Ok(png)
            }),
            Err(e) => Err(format!("{}: {e}", picture.display())),
        };
        let character = Character { name: name.trim().to_string(), reference: settings, parts: vec![] };
        let library = CharacterLibrary::in_home(&self.home);
        match png.and_then(|png| library.add(character, &png).map_err(|e| e.to_string())) {
            Ok(_) => {
                self.characters = library.list().0;
                self.character_draft.clear();
            }
            Err(text) => self.notify(Some(ErrorKind::Settings), text),
        }
    }

    /// Queues the held jobs once their checkpoint's license is known and allows it (or was accepted).
    fn release_held_jobs(&mut self) {
        let Some(model) = self.held_jobs.first().map(|spec| spec.plan.checkpoint.clone()) else { return };
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
                Some(Err(_)) => {
                    self.worker = None;
                    self.notify(Some(ErrorKind::Device), self.texts().worker_gone.to_string());
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
        if self.networks.poll(&self.ctx) {
            self.token_counter.set_embeddings(self.networks.embeddings());
        }
        self.history.pump(&self.ctx);
        for message in std::mem::take(&mut self.history.messages) {
            if let Some(text) = message.text(self.texts()) {
                self.notify(None, text);
            }
        }
        self.model_info.pump();
        for message in std::mem::take(&mut self.model_info.messages) {
            let text = message.text(self.texts());
            self.notify(None, text);
        }
        if let Some(checkpoint) = &self.settings.checkpoint {
            self.model_info.want(checkpoint);
        }
        self.release_held_jobs();
        for (unit, file) in self.drops.finished() {
            self.on_dropped(unit, file);
        }
        for outcome in self.exporter.finished() {
            self.on_exported(outcome);
        }
        self.flats.maker.pump();
        if let Some((purpose, Some(path))) = self.picker.poll() {
            self.on_picked(purpose, &path);
            if matches!(purpose, Purpose::LoraFolder | Purpose::EmbeddingFolder) {
                self.refresh_networks(false);
            }
        }
        if self.saved_at.elapsed() >= SETTINGS_SAVE_INTERVAL {
            self.save_settings_if_changed();
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Loading { part, .. } => self.model_status = ModelStatus::Loading(part),
            Event::ModelsReady { device, precision, .. } => self.model_status = ModelStatus::Ready { device, precision },
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
                self.export_always(&path, &record);
                self.on_image(job, path, image, *record);
            }
            Event::Finished { job, images, cancelled } => {
                if cancelled {
                    let text = (self.texts().cancelled_after)(images);
                    self.notify(None, text);
                    if self.shown.as_ref().is_some_and(|s| s.is_preview) {
                        self.shown = None;
                    }
                } else {
                    self.ask_for_attention_if_away();
                }
                self.job_ended(job);
            }
            Event::Notice { message } => self.notify(None, message),
            Event::Failed { job, error } => self.on_failure(job, error),
        }
    }

    /// A batch finished while the user looks elsewhere: the taskbar entry asks for attention (and
    /// stops once the window is in front again).
    fn ask_for_attention_if_away(&self) {
        let in_front = self.ctx.input(|input| input.viewport().focused.unwrap_or(true));
        if !in_front {
            let attention = egui::UserAttentionType::Informational;
            self.ctx.send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(attention));
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
        let (width, height) = (self.settings.form.settings.width, self.settings.form.settings.height);
        self.units.resize_with(self.settings.form.units.len(), UnitView::default);
        for (unit, form) in self.settings.form.units.iter().enumerate() {
            let Some(path) = &form.line_art else {
                self.units[unit] = UnitView::default();
                continue;
            };
            let request = PreviewRequest { unit, path: path.clone(), settings: form.line_art_settings, width, height };
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
                let text = (self.texts().cannot_save_settings)(&self.home.display().to_string(), &e.to_string());
                self.notify(None, text);
            }
        }
    }

    /// Opens a file dialog for `purpose` (its answer arrives in a later frame).
    pub fn pick(&mut self, purpose: Purpose, suggested_name: Option<String>) {
        self.picker.open(purpose, suggested_name, Waker::of(&self.ctx));
    }

    fn on_picked(&mut self, purpose: Purpose, path: &Path) {
        match purpose {
            Purpose::Checkpoint => self.choose_checkpoint(path),
            Purpose::Vae => self.choose_vae(Some(path)),
            Purpose::ControlNet(unit) => self.choose_controlnet(unit, path),
            Purpose::LineArt(unit) => self.set_line_art(unit, path),
            Purpose::ChapterFolder => self.open_chapter(path),
            Purpose::ReferencePicture(unit) => {
                if let Some(reference) = self.settings.form.references.get_mut(unit) {
                    reference.picture = Some(path.to_path_buf());
                }
            }
            Purpose::InitImage => self.settings.form.init_image = Some(path.to_path_buf()),
            Purpose::Mask => self.mask.load_file(path, &self.ctx),
            Purpose::OutputFolder => self.settings.output_folder = Some(path.to_path_buf()),
            Purpose::ModelFolder => self.add_model_folder(path),
            Purpose::LoraFolder => add_folder(&mut self.settings.lora_folders, path),
            Purpose::EmbeddingFolder => add_folder(&mut self.settings.embedding_folders, path),
            Purpose::HistoryFolder => self.history.scan(vec![path.to_path_buf()], false),
            Purpose::SaveAs(index) => self.save_copy(index, path),
            Purpose::ExportLayers(_) => self.export_from_dialog(Some(path.to_path_buf())),
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
            let texts = self.texts();
            let reason =
                report.fallback.as_ref().map(|reason| format!(" {}", (texts.no_gpu_because)(reason))).unwrap_or_default();
            self.notify(None, format!("{}{reason}", texts.no_gpu_notice));
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
        if let Err(e) = self.models.start(&self.settings.model_folders, Waker::of(&self.ctx)) {
            let text = (self.texts().cannot_look_for_models)(&e.to_string());
            self.notify(None, text);
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

    /// Lists the LoRA and embedding folders again (at start, the Refresh button, the window back in
    /// front, a folder added or removed); `forget_pictures` decodes the card pictures again too.
    pub fn refresh_networks(&mut self, forget_pictures: bool) {
        let request = ListRequest {
            places: self.places.clone(),
            user_lora_folders: self.settings.lora_folders.clone(),
            user_embedding_folders: self.settings.embedding_folders.clone(),
        };
        self.networks.refresh(request, forget_pictures);
    }

    fn report_unreadable_model_folders(&mut self) {
        let folders: Vec<String> = self.models.unreadable().iter().map(|p| p.display().to_string()).collect();
        if !folders.is_empty() {
            let text = (self.texts().unreadable_model_folders_are)(&folders.join(", "));
            self.notify(None, text);
        }
    }

    /// Copies gallery picture `index` (metadata included) to `target`.
    fn save_copy(&mut self, index: usize, target: &Path) {
        let Some(item) = self.gallery.items.get(index) else { return };
        if let Err(e) = std::fs::copy(&item.path, target) {
            let text = (self.texts().cannot_save_copy)(&target.display().to_string(), &e.to_string());
            self.notify(Some(ErrorKind::Output), text);
        }
    }

    /// A file dropped on the window, once looked at: a picture becomes line art (of the unit it was
    /// dropped on, or the first without any), unless it carries settings, which the window offers; a
    /// model goes to its picker.
    fn on_dropped(&mut self, unit: Option<usize>, file: DroppedFile) {
        let texts = self.texts();
        match file {
            DroppedFile::Picture { path, settings: None } => self.set_line_art(self.line_art_target(unit), &path),
            DroppedFile::Picture { path, settings: Some(settings) } => {
                self.dropped_picture = Some(DroppedPicture { path, unit, settings });
            }
            DroppedFile::Model { path, kind } => match kind {
                ModelKind::Checkpoint => self.choose_checkpoint(&path),
                ModelKind::Vae => self.choose_vae(Some(&path)),
                ModelKind::ControlNet => self.choose_controlnet(unit.unwrap_or(0), &path),
                ModelKind::Lora | ModelKind::Unknown => {
                    self.notify(Some(ErrorKind::Model), (texts.dropped_model_not_used)(&file_name(&path)));
                }
            },
            DroppedFile::Other { path } => self.notify(None, (texts.dropped_file_not_used)(&file_name(&path))),
        }
    }

    /// The unit a picture goes to: the one it was dropped on, or the first without line art.
    fn line_art_target(&self, unit: Option<usize>) -> usize {
        unit.or_else(|| self.settings.form.units.iter().position(|u| u.line_art.is_none())).unwrap_or(0)
    }

    /// The answer about a dropped picture with settings: use its settings, or use it as line art.
    pub fn answer_dropped_picture(&mut self, use_settings: bool, as_line_art: bool) {
        let Some(dropped) = self.dropped_picture.take() else { return };
        if use_settings {
            self.apply_record(&dropped.settings.record);
            for warning in &dropped.settings.warnings {
                self.notify(None, warning.clone());
            }
        }
        if as_line_art {
            self.set_line_art(self.line_art_target(dropped.unit), &dropped.path);
        }
    }

    /// A1111's ↙: reads the settings of an infotext pasted into the prompt box (prompt, negative
    /// prompt, sampler, seed, size…) into the form.
    pub fn read_settings_from_prompt(&mut self) {
        let text = &self.settings.form.settings.prompt;
        if !looks_like_infotext(text) {
            let message = self.texts().no_settings_in_prompt.to_string();
            self.notify(None, message);
            return;
        }
        let parsed = crate::metadata::settings_from_infotext(text);
        self.apply_record(&parsed.record);
        for warning in parsed.warnings {
            self.notify(None, warning);
        }
    }

    /// Pastes a picture from egui's clipboard event (Ctrl+V) as line art.
    pub fn paste_line_art_image(&mut self, image: &egui::ColorImage) {
        let [width, height] = image.size;
        let rgba: Vec<u8> = image.pixels.iter().flat_map(|pixel| pixel.to_srgba_unmultiplied()).collect();
        let saved = image::RgbaImage::from_raw(width as u32, height as u32, rgba)
            .ok_or(PasteError::Unreadable)
            .and_then(|picture| super::clipboard::save_by_content(&self.home.join("inputs"), &picture));
        match saved {
            Ok(path) => self.set_line_art(self.line_art_target(None), &path),
            Err(e) => {
                let text = e.text(self.texts());
                self.notify(Some(ErrorKind::Image), text);
            }
        }
    }

    /// Shows `path` selected in the system's file manager (or, where it cannot select, its folder).
    pub fn reveal(&mut self, path: &Path) {
        let shown = opener::reveal(path).or_else(|_| path.parent().map_or(Ok(()), opener::open));
        if let Err(e) = shown {
            let text = (self.texts().cannot_show_in_folder)(&path.display().to_string(), &e.to_string());
            self.notify(None, text);
        }
    }

    /// Keeps the window's size and position for the next start (saved with the other settings).
    pub fn remember_window(&mut self, ctx: &egui::Context) {
        let placement = ctx.input(|input| WindowPlacement::of(input.viewport()));
        if let Some(placement) = placement
            && self.settings.window.as_ref() != Some(&placement)
        {
            self.settings.window = Some(placement);
        }
    }

    /// Pastes an image from the clipboard as unit `unit`'s line art (kept under the home's `inputs`,
    /// named by content hash so the same picture is stored once).
    pub fn paste_line_art(&mut self, unit: usize) {
        match super::clipboard::paste_image(&self.home.join("inputs")) {
            Ok(path) => self.set_line_art(unit, &path),
            Err(e) => {
                let text = e.text(self.texts());
                self.notify(Some(ErrorKind::Image), text);
            }
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
        self.settings.form = GenerationForm::from_record(record, &self.settings.form);
        self.reuse_hints(record);
        self.reuse_references(record);
    }

    /// Gives the form exactly the reference units `record` names (its characters' units among them,
    /// so no character stays ticked as well), each with the copy of its picture Nurie kept, or the
    /// picture of the form's unit at its place when none is kept.
    fn reuse_references(&mut self, record: &crate::metadata::GenerationRecord) {
        if record.references.is_empty() {
            return;
        }
        let form = &self.settings.form;
        let units = record
            .references
            .iter()
            .enumerate()
            .map(|(index, recorded)| {
                let kept = recorded.picture_sha256.as_deref().and_then(|sha| self.kept_inputs.find(sha));
                let picture = kept.or_else(|| form.references.get(index).and_then(|unit| unit.picture.clone()));
                ReferenceForm { enabled: true, picture, settings: recorded.settings }
            })
            .collect();
        self.settings.form.references = units;
        self.settings.form.characters.clear();
    }

    /// Puts the color hints `record` names back on the hint layer, from the copy Nurie keeps (a
    /// picture made without hints leaves the layer as it is).
    fn reuse_hints(&mut self, record: &crate::metadata::GenerationRecord) {
        let size = (record.settings.width, record.settings.height);
        match crate::layered::kept_hints(record, &self.kept_inputs, size) {
            Ok(Some(hints)) => self.hints.replace_with(hints),
            Ok(None) => {}
            Err(why) => {
                let text = format!("{}: {why}", self.texts().hints_not_kept);
                self.notices.push(Notice { kind: Some(ErrorKind::Image), text });
            }
        }
    }

    pub fn reuse_seed(&mut self, index: usize) {
        if let Some(item) = self.gallery.items.get(index) {
            (self.settings.form.random_seed, self.settings.form.settings.seed) = (false, item.record.settings.seed);
        }
    }

    pub fn use_as_init_image(&mut self, index: usize) {
        if let Some(item) = self.gallery.items.get(index) {
            self.settings.form.init_image = Some(item.path.clone());
        }
    }

    /// Opens the "Export layers…" dialog for `picture`, with the options chosen last time.
    pub fn open_export_dialog(&mut self, picture: &Path) {
        self.export_dialog = Some(ExportDialog::new(picture, self.settings.export.options));
    }

    /// Writes the dialog's picture to `target` (its default, beside the picture, when `None`) and
    /// closes the dialog; its options are remembered for next time and for "always export".
    pub fn export_from_dialog(&mut self, target: Option<PathBuf>) {
        let Some(dialog) = self.export_dialog.take() else { return };
        self.settings.export.options = dialog.options;
        let target = target.unwrap_or_else(|| dialog.default_target());
        self.export_layers(dialog.job(target));
    }

    /// Asks where to write the dialog's layered file (the system's save dialog, off the UI thread).
    pub fn choose_export_target(&mut self) {
        let Some(dialog) = &self.export_dialog else { return };
        let target = dialog.default_target();
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned());
        let folder = target.parent().map(Path::to_path_buf);
        self.picker.open_in(Purpose::ExportLayers(dialog.format), folder, name, Waker::of(&self.ctx));
    }

    /// Queues `job` on the export thread.
    pub fn export_layers(&mut self, job: ExportJob) {
        if self.exporter.export(job).is_err() {
            self.notify(Some(ErrorKind::Output), self.texts().worker_gone.to_string());
        }
    }

    /// "Always export": a new picture (already on disk) also written as layered files beside it. A
    /// picture made without line art has no lines to lay on top, and is left alone without a message.
    fn export_always(&mut self, picture: &Path, record: &crate::metadata::GenerationRecord) {
        if !self.settings.export.always || record.controlnets.is_empty() {
            return;
        }
        for format in self.settings.export.formats() {
            self.export_layers(ExportJob::beside(picture, format, self.settings.export.options));
        }
    }

    fn on_exported(&mut self, outcome: ExportOutcome) {
        match outcome {
            ExportOutcome::Written { target, .. } => self.last_export = Some(target),
            ExportOutcome::Failed { picture, why } => {
                let texts = self.texts();
                let why = match why {
                    ExportFailure::NoLineArt => texts.no_line_art_kept.to_string(),
                    ExportFailure::LineArtGone => texts.line_art_gone.to_string(),
                    ExportFailure::Other(message) => message,
                };
                let text = (texts.cannot_export_layers)(&picture.display().to_string(), &why);
                self.notify(Some(ErrorKind::Output), text);
            }
        }
    }

    /// Cancels everything and stops the worker (window closing).
    pub fn shut_down(&mut self) {
        for id in self.queue.pending().map(|j| j.id).collect::<Vec<_>>() {
            self.queue.cancel(id);
        }
        self.queue.cancel_running();
        self.save_settings_if_changed();
        self.networks.stop();
        if let Some(worker) = self.worker.take() {
            worker.shut_down();
        }
    }
}

/// Adds `path` to a folder list unless it is there already.
fn add_folder(folders: &mut Vec<PathBuf>, path: &Path) {
    if !folders.iter().any(|known| known == path) {
        folders.push(path.to_path_buf());
    }
}

/// Whether `text` is an A1111 infotext (a prompt followed by a line of settings), not just a prompt.
/// Asked every frame: text without `Steps: ` is not parsed.
pub fn looks_like_infotext(text: &str) -> bool {
    text.contains("Steps: ") && crate::metadata::parse_infotext(text).params.contains_key("Steps")
}
