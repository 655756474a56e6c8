//! The desktop window (eframe/egui on wgpu): line art in, colored pictures out, live, without ever
//! blocking a frame. [`NurieApp`] holds the state, [`view`] draws it, and [`worker`] is the one thread
//! that owns the compute device and the models.

pub mod chapter_pages;
pub mod chapter_sheet;
mod clipboard;
pub mod color_hints;
pub mod dropped;
pub mod emphasis;
pub mod export_dialog;
pub mod file_picker;
pub mod flats_maker;
pub mod flats_view;
pub mod fonts;
pub mod form;
pub mod frame_stats;
pub mod gallery;
pub mod history;
pub mod i18n;
pub mod layer_export;
pub mod line_art_preview;
pub mod mask_painter;
pub mod model_info;
pub mod model_search;
pub mod network_browser;
pub mod network_texts;
pub mod nurie_app;
pub mod paint;
pub mod progress;
pub mod prompt_insert;
pub mod prompt_notes;
pub mod prompt_underline;
pub mod queue;
pub mod service;
pub mod settings;
pub mod styles;
pub mod tag_weight;
pub mod token_count;
pub mod view;
pub mod view_state;
pub mod worker;

pub use nurie_app::NurieApp;

impl eframe::App for NurieApp {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.frame_stats.frame_begins(std::time::Instant::now());
        // Runs even while the window is hidden, so the worker never waits on a full channel.
        self.pump();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        view::show(self, ui);
        self.frame_ends();
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.shut_down();
    }
}

/// Opens the window and runs until it is closed. The window appears at once; models load on the
/// worker afterwards. It draws through wgpu; where wgpu cannot draw (a broken or missing GPU driver),
/// Nurie starts itself again drawing through OpenGL (`NURIE_RENDERER=glow`: winit allows one event
/// loop per process), and if that fails too, says what to install.
pub fn run_window() -> anyhow::Result<()> {
    let home = crate::home::data_dir()?;
    let renderer = match std::env::var("NURIE_RENDERER").as_deref() {
        Ok("glow") => eframe::Renderer::Glow,
        _ => eframe::Renderer::Wgpu,
    };
    let error = match open_window(home, renderer) {
        Ok(()) => return Ok(()),
        Err(error) => error,
    };
    if renderer == eframe::Renderer::Wgpu && std::env::var_os("NURIE_RENDERER").is_none() {
        eprintln!("nurie: the window cannot draw through wgpu ({error}); starting again with OpenGL");
        let status = std::process::Command::new(std::env::current_exe()?)
            .args(std::env::args_os().skip(1))
            .env("NURIE_RENDERER", "glow")
            .status()?;
        std::process::exit(status.code().unwrap_or(1));
    }
    anyhow::bail!(
        "cannot open the window ({error}). Install or update the graphics driver (on Linux: Mesa's mesa-vulkan-drivers and \
         libgl1-mesa-dri, or your GPU vendor's driver). The command-line tools (`nurie generate`, `nurie --help`) work without a window."
    )
}

/// The window's smallest size, in logical points.
const MIN_WINDOW_SIZE: [f32; 2] = [900.0, 600.0];

fn open_window(home: std::path::PathBuf, renderer: eframe::Renderer) -> Result<(), eframe::Error> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Nurie")
        .with_app_id("app.nurie.Nurie")
        .with_inner_size([1400.0, 900.0])
        .with_min_inner_size(MIN_WINDOW_SIZE)
        .with_drag_and_drop(true);
    // Where the window was last time (the settings are read again, whole, by the app).
    if let Some(placement) = settings::AppSettings::load(&home).settings.window {
        viewport = placement.apply(viewport, MIN_WINDOW_SIZE);
    }
    if let Ok(icon) = eframe::icon_data::from_png_bytes(WINDOW_ICON) {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions { viewport, renderer, ..Default::default() };
    eframe::run_native(
        "Nurie",
        options,
        Box::new(move |cc| {
            let app = NurieApp::new(&cc.egui_ctx, home);
            if app.mode == nurie_app::Mode::Welcome {
                // Said on the terminal too, for scripts that start the app (scripts/test-package.sh).
                eprintln!("nurie: first start: showing the welcome screen");
            }
            Ok(Box::new(app))
        }),
    )
}

/// The app icon (assets/icon/nurie.svg rendered by scripts/make-icons.sh).
const WINDOW_ICON: &[u8] = include_bytes!("../../assets/icon/nurie-256.png");
