//! Progress of the running job (step, it/s, ETA, a bar) and the queue of waiting jobs.

use crate::app::nurie_app::NurieApp;
use crate::app::progress::format_duration;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.horizontal(|ui| {
        super::export_status::show(app, ui);
        if app.is_checking_license() {
            ui.spinner();
            ui.label(texts.checking_license);
        }
        let Some(running) = app.queue.running() else {
            ui.label((texts.queue_waiting)(app.queue.pending().count()));
            return;
        };
        let progress = &running.progress;
        let mut status = match progress.latest {
            Some(step) => (texts.progress_line)(step.image + 1, step.images, step.step, step.steps),
            None => format!("{}…", texts.preparing),
        };
        if let Some(rate) = progress.iterations_per_second() {
            status.push_str(&format!(" · {rate:.2} it/s"));
        }
        if let Some(eta) = progress.eta() {
            status.push_str(&format!(" · {}", (texts.time_left)(&format_duration(eta, texts.seconds))));
        }
        let id = running.id;
        let cancelling = running.cancel_requested();
        ui.add(egui::ProgressBar::new(progress.fraction()).desired_width(240.0).show_percentage());
        ui.label(status);
        if ui.add_enabled(!cancelling, egui::Button::new(texts.cancel)).clicked() {
            app.queue.cancel(id);
        }
        queue_menu(app, ui);
    });
}

/// The waiting jobs, each with move up/down and remove.
fn queue_menu(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    let waiting: Vec<(crate::app::worker::JobId, String)> =
        app.queue.pending().map(|job| (job.id, short(&job.spec.plan.settings.prompt))).collect();
    if waiting.is_empty() {
        return;
    }
    ui.menu_button((texts.queue_waiting)(waiting.len()), |ui| {
        for (id, prompt) in waiting {
            ui.horizontal(|ui| {
                if ui.small_button("▲").on_hover_text(texts.move_up).clicked() {
                    app.queue.move_by(id, -1);
                }
                if ui.small_button("▼").on_hover_text(texts.move_down).clicked() {
                    app.queue.move_by(id, 1);
                }
                if ui.small_button("×").on_hover_text(texts.cancel).clicked() {
                    app.queue.cancel(id);
                }
                ui.label(prompt);
            });
        }
    });
}

fn short(prompt: &str) -> String {
    let mut text: String = prompt.chars().take(40).collect();
    if prompt.chars().count() > 40 {
        text.push('…');
    }
    text
}
