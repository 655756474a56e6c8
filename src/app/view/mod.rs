//! The window's layout: model bar on top, prompt and settings on the left, line art and result side by
//! side in the middle, progress and this session's gallery at the bottom.

mod chapter_sheet_view;
mod dropped_picture;
mod export_dialog;
mod export_menu;
mod export_status;
mod flats_bar;
mod gallery_strip;
mod history_sidebar;
mod history_view;
mod inpaint_panel;
mod labelled;
mod line_art_panel;
mod model_bar;
mod model_combo;
mod model_view;
mod network_card;
mod network_folders;
mod network_panel;
mod notices;
mod pages_panel;
pub(crate) mod picture;
mod prompt_panel;
mod reference_panel;
mod result_view;
mod settings_panel;
mod status_bar;
mod style_menu;
mod welcome_view;

pub use prompt_panel::editor_id;

use super::nurie_app::{Mode, NurieApp};
use super::service::Waker;

/// Draws one frame of the whole window.
pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    handle_shortcuts(app, ui);
    refresh_networks_on_focus(app, ui.ctx());
    take_dropped_files(app, ui.ctx());
    app.refresh_line_art();
    let form = &app.settings.form.settings;
    app.hints.fit_to(form.width, form.height);
    egui::Panel::top("model-bar").show(ui, |ui| model_bar::show(app, ui));
    egui::Panel::bottom("status").show(ui, |ui| status_bar::show(app, ui));
    model_view::license_question(app, ui.ctx());
    dropped_picture::question(app, ui.ctx());
    export_dialog::show(app, ui.ctx());
    app.remember_window(ui.ctx());
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
    if app.settings.layout.networks_open {
        let width = app.settings.layout.networks_width;
        let networks =
            egui::Panel::left("networks").resizable(true).default_size(width).show(ui, |ui| network_panel::show(app, ui));
        app.settings.layout.networks_width = networks.response.rect.width().round();
    }
    let line_art_width = app.settings.layout.line_art_width;
    let line_art = egui::Panel::left("line-art").resizable(true).default_size(line_art_width).show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            line_art_panel::show(app, ui);
            reference_panel::show(app, ui);
            pages_panel::show(app, ui);
        });
    });
    app.settings.layout.line_art_width = line_art.response.rect.width().round();
    egui::CentralPanel::default()
        .show(ui, |ui| if app.sheet.open { chapter_sheet_view::show(app, ui) } else { result_view::show(app, ui) });
    update_title(app, ui.ctx());
}

/// Ctrl+Enter generates, Esc cancels (when nothing else wants it), Ctrl+V of a picture pastes line
/// art, ←/→ browse the gallery (when no text field has the focus).
fn handle_shortcuts(app: &mut NurieApp, ui: &mut egui::Ui) {
    let esc_is_free = !esc_is_wanted(app, ui.ctx());
    let (generate, cancel, pasted) = ui.input_mut(|input| {
        let pasted = input.events.iter().find_map(|event| match event {
            egui::Event::PasteImage(image) => Some(image.clone()),
            _ => None,
        });
        (
            input.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter),
            esc_is_free && input.consume_key(egui::Modifiers::NONE, egui::Key::Escape),
            pasted,
        )
    });
    if generate {
        app.enqueue();
    }
    if cancel {
        app.cancel_running();
    }
    if let Some(image) = pasted {
        app.paste_line_art_image(&image);
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

/// The window came back to the front: the user may have downloaded a LoRA meanwhile.
fn refresh_networks_on_focus(app: &mut NurieApp, ctx: &egui::Context) {
    if ctx.input(|input| input.events.iter().any(|event| matches!(event, egui::Event::WindowFocused(true)))) {
        app.refresh_networks(false);
    }
}

/// Files dropped on the window, in any view, are looked at off the UI thread (see
/// [`crate::app::dropped`]); a picture goes to the line-art unit it was dropped on, which the line-art
/// panel found in the previous frame (the drop arrives with the pointer already over it).
fn take_dropped_files(app: &mut NurieApp, ctx: &egui::Context) {
    let dropped: Vec<std::path::PathBuf> = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
    let target = app.drop_target.take();
    for path in dropped {
        app.drops.inspect(path, target, Waker::of(ctx));
    }
}

/// Whether Esc belongs to something on screen this frame: an open combo box or menu (egui closes it
/// on Esc), a dialog (the license question, a dropped picture's settings), a text field being edited
/// (Esc leaves it), or a drag in progress. Only when none of them wants it does Esc cancel the
/// running job.
fn esc_is_wanted(app: &NurieApp, ctx: &egui::Context) -> bool {
    egui::Popup::is_any_open(ctx)
        || app.license_question.is_some()
        || app.dropped_picture.is_some()
        || ctx.text_edit_focused()
        || egui::DragAndDrop::has_any_payload(ctx)
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
