//! Sampler, steps, CFG, seed (dice and reuse), RNG source, clip skip, size (presets, match the line
//! art), batch count, and img2img.

use super::labelled::labelled_row;
use crate::app::file_picker::Purpose;
use crate::app::form::{RANDOM_SEED, SIZE_PRESETS};
use crate::app::nurie_app::NurieApp;
use crate::sampling::SamplerKind;
use crate::sampling::noise::RngSource;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.heading(texts.settings);
    let last_seed = app.last_seed;
    let line_art_size = app.units.iter().find_map(|u| u.full_size);
    let form = &mut app.settings.form;
    egui::Grid::new("generation-settings").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
        let label = ui.label(texts.sampler);
        egui::ComboBox::from_id_salt("sampler")
            .selected_text(form.sampler.a1111_label())
            .show_ui(ui, |ui| {
                for kind in SamplerKind::ALL {
                    ui.selectable_value(&mut form.sampler, kind, kind.a1111_label());
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();
        labelled_row(ui, texts.steps, egui::Slider::new(&mut form.steps, 1..=150));
        labelled_row(ui, texts.cfg_scale, egui::Slider::new(&mut form.cfg_scale, 1.0..=30.0).step_by(0.5));
        let label = ui.label(texts.seed);
        ui.horizontal(|ui| {
            ui.add(egui::DragValue::new(&mut form.seed).range(RANDOM_SEED..=4_294_967_295)).labelled_by(label.id);
            if ui.button(texts.random_short).on_hover_text(texts.random_seed).clicked() {
                form.seed = RANDOM_SEED;
            }
            let reuse = ui.add_enabled(last_seed.is_some(), egui::Button::new(texts.reuse_short)).on_hover_text(texts.reuse_seed);
            if let (true, Some(seed)) = (reuse.clicked(), last_seed) {
                form.seed = seed as i64;
            }
        });
        ui.end_row();
        ui.label(texts.rng_source);
        ui.horizontal(|ui| {
            ui.selectable_value(&mut form.rng, RngSource::Nv, "GPU (NV)");
            ui.selectable_value(&mut form.rng, RngSource::Cpu, "CPU");
        });
        ui.end_row();
        labelled_row(ui, texts.clip_skip, egui::Slider::new(&mut form.clip_skip, 1..=12));
        labelled_row(ui, texts.width, egui::Slider::new(&mut form.width, 64..=2048).step_by(8.0));
        labelled_row(ui, texts.height, egui::Slider::new(&mut form.height, 64..=2048).step_by(8.0));
        ui.label(texts.size);
        ui.horizontal_wrapped(|ui| {
            for (w, h) in SIZE_PRESETS {
                if ui.selectable_label((form.width, form.height) == (w, h), format!("{w}×{h}")).clicked() {
                    (form.width, form.height) = (w, h);
                }
            }
        });
        ui.end_row();
        ui.label("");
        let matched = ui.add_enabled(line_art_size.is_some(), egui::Button::new(texts.match_line_art));
        if let (true, Some(size)) = (matched.clicked(), line_art_size) {
            (form.width, form.height) = match_size(size);
        }
        ui.end_row();
        labelled_row(ui, texts.batch_count, egui::Slider::new(&mut form.batch_count, 1..=32));
    });
    img2img(app, ui);
    generate_buttons(app, ui);
}

/// The line art's aspect ratio at about 512² pixels (SD1.5's native area), sides multiples of 8.
pub fn match_size((width, height): (u32, u32)) -> (u32, u32) {
    let scale = (512.0 * 512.0 / (width.max(1) as f64 * height.max(1) as f64)).sqrt();
    let side = |s: u32| (((s as f64 * scale) / 8.0).round() as u32 * 8).clamp(64, 2048);
    (side(width), side(height))
}

fn img2img(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.separator();
    ui.label(texts.img2img);
    ui.horizontal(|ui| {
        let name = app.settings.form.init.image.as_deref().map(super::model_combo::file_name);
        ui.label(name.unwrap_or_else(|| "—".into()));
        if ui.button(texts.open_image).clicked() {
            app.pick(Purpose::InitImage, None);
        }
        if app.settings.form.init.image.is_some() && ui.button(texts.clear).clicked() {
            app.settings.form.init.image = None;
        }
    });
    if app.settings.form.init.image.is_some() {
        ui.add(egui::Slider::new(&mut app.settings.form.init.strength, 0.0..=1.0).text(texts.denoising_strength));
    }
}

fn generate_buttons(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.separator();
    ui.horizontal(|ui| {
        let generate = egui::Button::new(egui::RichText::new(texts.generate).heading()).min_size(egui::vec2(140.0, 36.0));
        if ui.add(generate).on_hover_text("Ctrl+Enter").clicked() {
            app.enqueue();
        }
        let running = app.queue.running().is_some();
        if ui.add_enabled(running, egui::Button::new(texts.cancel)).on_hover_text("Esc").clicked() {
            app.cancel_running();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_the_line_art_keeps_its_shape_near_512_squared() {
        assert_eq!(match_size((2048, 2048)), (512, 512));
        assert_eq!(match_size((1200, 1800)), (416, 624));
        assert_eq!(match_size((3000, 1000)), (888, 296));
    }
}
