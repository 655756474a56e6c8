//! The history grid's frame time while scrolling, for `nurie bench history`: the real app without a
//! window (egui runs headless), on a library that is already indexed, the mouse wheel turned over the
//! grid every frame at a 60 Hz pace. What is timed is the UI thread's work per frame: the app's event
//! handling, the layout of the visible rows (fetching their pages from the history thread),
//! thumbnails becoming textures, and tessellation: everything a frame costs before the GPU draws it.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::app::model_search::SearchPlaces;
use crate::app::nurie_app::{Mode, NurieApp};
use crate::model_library::SearchBases;

const WINDOW: egui::Vec2 = egui::vec2(1400.0, 900.0);
const FRAME_PACE: Duration = Duration::from_micros(16_667);
/// A point in the grid (below the model bar and search bar, left of any detail pane).
const OVER_GRID: egui::Pos2 = egui::pos2(500.0, 500.0);

/// What scrolling measured.
#[derive(Debug, Clone)]
pub struct ScrollReport {
    /// The UI thread's work in each scrolling frame.
    pub work: Vec<Duration>,
    /// Points scrolled per frame.
    pub step: f32,
    /// Pictures in the grid.
    pub pictures: usize,
    /// Thumbnails that became textures while scrolling.
    pub thumbnails_loaded: usize,
    /// How long the first screen of thumbnails took to appear, from opening the history.
    pub first_screen: Duration,
}

/// Opens the app on `home` (whose library is indexed), waits for the first screen of thumbnails, then
/// scrolls `frames` frames by `step` points each.
pub fn measure_grid_scroll(home: &Path, frames: usize, step: f32, timeout: Duration) -> Result<ScrollReport, String> {
    let ctx = egui::Context::default();
    let mut app = NurieApp::with_model_search(&ctx, home.to_path_buf(), SearchPlaces::Given(SearchBases::default()));
    app.mode = Mode::History;
    let mut scroller = Scroller { ctx, app };
    let opened = Instant::now();
    let first_screen =
        scroller.frames_until(opened + timeout, |app| app.history.total > 0 && app.history.thumbnails_loaded >= 8)?;
    let loaded_before = scroller.app.history.thumbnails_loaded;
    let mut work = Vec::with_capacity(frames);
    for _ in 0..frames {
        let started = Instant::now();
        scroller.frame(vec![wheel(step)]);
        work.push(started.elapsed());
        std::thread::sleep(FRAME_PACE.saturating_sub(started.elapsed()));
    }
    let report = ScrollReport {
        work,
        step,
        pictures: scroller.app.history.total,
        thumbnails_loaded: scroller.app.history.thumbnails_loaded - loaded_before,
        first_screen: first_screen - opened,
    };
    scroller.app.shut_down();
    Ok(report)
}

struct Scroller {
    ctx: egui::Context,
    app: NurieApp,
}

impl Scroller {
    /// One frame with `events`, tessellated as eframe would before painting.
    fn frame(&mut self, mut events: Vec<egui::Event>) {
        events.insert(0, egui::Event::PointerMoved(OVER_GRID));
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, WINDOW)),
            events,
            ..Default::default()
        };
        let app = &mut self.app;
        // What eframe does each frame: the app's logic (its events), then its window.
        let mut output = self.ctx.run_ui(input, |ui| {
            app.pump();
            crate::app::view::show(app, ui);
            app.frame_ends();
        });
        let shapes = std::mem::take(&mut output.shapes);
        let _meshes = self.ctx.tessellate(shapes, output.pixels_per_point);
        // Without a GPU there is nothing to upload the new textures to.
        output.textures_delta.clear();
    }

    /// Runs paced frames until `done`; the time it held, or an error at `deadline`.
    fn frames_until(&mut self, deadline: Instant, done: impl Fn(&NurieApp) -> bool) -> Result<Instant, String> {
        loop {
            self.frame(Vec::new());
            if done(&self.app) {
                return Ok(Instant::now());
            }
            if Instant::now() > deadline {
                let texts = self.app.texts();
                let messages: Vec<String> = self.app.history.messages.iter().filter_map(|m| m.text(texts)).collect();
                let messages = messages.join("; ");
                return Err(format!("the history did not show its pictures in time ({messages})"));
            }
            std::thread::sleep(FRAME_PACE);
        }
    }
}

fn wheel(step: f32) -> egui::Event {
    egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, -step),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    }
}
