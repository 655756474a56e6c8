//! Hires fix from the window: ticked, its upscaler chosen, a picture made at twice the size, recorded
//! with A1111's hires keys.

use std::time::Duration;

use egui_kittest::kittest::Queryable;

use super::support::{checkpoint, home, pngs, tall_harness, wait_until};

#[test]
fn hires_fix_makes_the_picture_at_the_larger_size() {
    let home = home("hires", |s| {
        s.checkpoint = Some(checkpoint());
        s.form.settings.steps = 2;
        (s.form.settings.width, s.form.settings.height) = (64, 96);
    });
    let mut harness = tall_harness(home.clone());
    harness.run_steps(2);
    harness.get_by_label("Hires fix").click();
    harness.run_steps(2);
    assert!(harness.get_all_by_label("Upscale by").count() >= 1, "the scale slider shows");
    harness.get_all_by_label("Upscaler").last().expect("the upscaler picker").click();
    harness.run_steps(2);
    harness.get_by_label("Latent (nearest-exact)").click();
    harness.run_steps(2);
    let hires = harness.state().settings.form.settings.hires.clone().expect("hires fix is on");
    assert_eq!(hires.upscaler, "Latent (nearest-exact)");
    harness.get_by_label("Generate").click();
    wait_until(&mut harness, Duration::from_secs(120), "the picture", |app| !app.gallery.items.is_empty());
    let written = pngs(&home.join("outputs"));
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(image::image_dimensions(&written[0]).unwrap(), (128, 192));
    let record = nurie::metadata::read_settings_from_png(&written[0]).unwrap().record;
    assert_eq!(record.settings.hires, Some(hires));
    assert_eq!(record.settings.denoising_strength, Some(nurie::metadata::DEFAULT_HIRES_DENOISING_STRENGTH));
    harness.state_mut().shut_down();
}
