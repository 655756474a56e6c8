//! The window's layout: model bar on top, prompt and settings on the left, line art and result side by
//! side in the middle, progress and this session's gallery at the bottom.

mod gallery_strip;
mod history_sidebar;
mod history_view;
mod labelled;
mod line_art_panel;
mod model_bar;
mod model_combo;
mod model_view;
mod notices;
mod picture;
mod prompt_panel;
mod result_view;
mod settings_panel;
mod status_bar;
mod welcome_view;

use super::nurie_app::{Mode, NurieApp};

/// Draws one frame of the whole window.
pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    app.pump();
    handle_shortcuts(app, ui);
    app.refresh_line_art();
    egui::Panel::top("model-bar").show(ui, |ui| model_bar::show(app, ui));
    egui::Panel::bottom("status").show(ui, |ui| status_bar::show(app, ui));
    model_view::license_question(app, ui.ctx());
    match app.mode {
        Mode::History => {
            history_view::show(app, ui);
            update_title(app, ui.ctx());
            return;
        }
        Mode::Model => {
            model_view::show(app, ui);
            update_title(app, ui.ctx());
            return;
        }
        Mode::Welcome => {
            welcome_view::show(app, ui);
            update_title(app, ui.ctx());
            return;
        }
        Mode::Workspace => {}
    }
    let gallery_height = app.settings.layout.gallery_height;
    let gallery =
        egui::Panel::bottom("gallery").resizable(true).default_size(gallery_height).show(ui, |ui| gallery_strip::show(app, ui));
    app.settings.layout.gallery_height = gallery.response.rect.height().round();
    let controls_width = app.settings.layout.controls_width;
    let controls = egui::Panel::left("controls").resizable(true).default_size(controls_width).show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            notices::show(app, ui);
            prompt_panel::show(app, ui);
            ui.separator();
            settings_panel::show(app, ui);
        });
    });
    app.settings.layout.controls_width = controls.response.rect.width().round();
    let line_art_width = app.settings.layout.line_art_width;
    let line_art = egui::Panel::left("line-art").resizable(true).default_size(line_art_width).show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| line_art_panel::show(app, ui));
    });
    app.settings.layout.line_art_width = line_art.response.rect.width().round();
    egui::CentralPanel::default().show(ui, |ui| result_view::show(app, ui));
    update_title(app, ui.ctx());
}

/// Ctrl+Enter generates, Esc cancels, ←/→ browse the gallery (when no text field has the focus).
fn handle_shortcuts(app: &mut NurieApp, ui: &mut egui::Ui) {
    let (generate, cancel) = ui.input_mut(|input| {
        (
            input.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter),
            input.consume_key(egui::Modifiers::NONE, egui::Key::Escape),
        )
    });
    if generate {
        app.enqueue();
    }
    if cancel {
        app.cancel_running();
    }
    if !ui.ctx().egui_wants_keyboard_input() {
        let (left, right) = ui.input(|i| (i.key_pressed(egui::Key::ArrowLeft), i.key_pressed(egui::Key::ArrowRight)));
        let offset = right as isize - left as isize;
        if offset != 0 {
            app.gallery.browse(offset);
            app.view_gallery_item(app.gallery.selected.unwrap_or(0));
        }
    }
}

/// "Nurie — 45 %" in the title (and so in the taskbar) while a job runs.
/// Sent only on change: every viewport command wakes the next frame, and not every platform reports the
/// title back, so the title last sent is remembered.
fn update_title(app: &mut NurieApp, ctx: &egui::Context) {
    let title = match app.queue.running() {
        Some(running) => format!("Nurie — {:.0} %", running.progress.fraction() * 100.0),
        None => "Nurie".to_string(),
    };
    if app.window_title.as_deref() != Some(title.as_str()) {
        ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
        app.window_title = Some(title);
    }
}
