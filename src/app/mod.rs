//! The desktop window (eframe/egui on wgpu): line art in, colored pictures out, live, without ever
//! blocking a frame. [`NurieApp`] holds the state, [`view`] draws it, and [`worker`] is the one thread
//! that owns the compute device and the models.

mod clipboard;
pub mod emphasis;
pub mod file_picker;
pub mod fonts;
pub mod form;
pub mod frame_stats;
pub mod history;
pub mod gallery;
pub mod i18n;
pub mod line_art_preview;
pub mod model_info;
pub mod model_search;
pub mod nurie_app;
pub mod progress;
pub mod queue;
pub mod settings;
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
/// worker afterwards.
pub fn run_window() -> anyhow::Result<()> {
    let home = crate::home::data_dir()?;
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Nurie")
            .with_app_id("app.nurie.Nurie")
            .with_inner_size([1400.0, 900.0])
            .with_min_inner_size([900.0, 600.0])
            .with_drag_and_drop(true),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    eframe::run_native("Nurie", options, Box::new(move |cc| Ok(Box::new(NurieApp::new(&cc.egui_ctx, home)))))
        .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
