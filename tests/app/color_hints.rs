//! Color hints in the window: painted on the line art with a palette color, undone and redone with
//! the buttons, erased and brought back with Ctrl+Z.

use std::time::Duration;

use egui_kittest::kittest::Queryable;
use nurie::app::NurieApp;
use nurie::app::color_hints::{SWATCHES, Tool};

use super::support::{checkpoint, controlnet, drag, english_on_screen, fixture, harness, home, pngs, wait_until};

const MINUTE: Duration = Duration::from_secs(60);
const CANVAS: &str = "Line art to paint hints on";

/// The hint pixels of row `y` from `x0` to `x1` (inclusive).
fn row(app: &NurieApp, y: u32, x0: u32, x1: u32) -> Vec<[u8; 4]> {
    let picture = app.hints.picture().unwrap_or_else(|| image::RgbaImage::new(64, 96));
    (x0..=x1).map(|x| picture.get_pixel(x, y).0).collect()
}

#[test]
fn hints_are_painted_on_the_line_art_undone_redone_and_erased() {
    let home = home("color-hints", |s| s.form.units[0].line_art = Some(fixture("control/lineart_input.png")));
    let mut harness = harness(home);
    wait_until(&mut harness, MINUTE, "the line art", |app| app.units.first().is_some_and(|u| u.line_art.is_some()));
    harness.get_by_label("Paint hints").click();
    harness.run_steps(2);
    harness.get_by_label("Red").click();
    harness.run_steps(2);
    assert_eq!(harness.state().hints.color, SWATCHES[7]);
    assert!(harness.state().hints.picture().is_none(), "nothing painted yet");
    assert!(harness.get_all_by_label("Hint strength").next().is_some(), "the strength slider");

    // Across the picture (64×96) at a fifth of its height: row 19, from x 12.8 to 51.2.
    drag(&mut harness, egui::vec2(0.2, 0.2), egui::vec2(0.8, 0.2), CANVAS);
    let red = SWATCHES[7].to_srgba_unmultiplied();
    let painted = harness.state().hints.picture().expect("hints painted");
    assert_eq!(painted.dimensions(), (64, 96), "at the generation size");
    assert!(row(harness.state(), 19, 13, 51).iter().all(|pixel| *pixel == red), "{:?}", row(harness.state(), 19, 13, 51));
    assert_eq!(harness.state().view, Default::default(), "painting does not pan");

    harness.get_by_label("Undo").click();
    harness.run_steps(2);
    assert!(harness.state().hints.picture().is_none(), "undone");
    harness.get_by_label("Redo").click();
    harness.run_steps(2);
    assert_eq!(harness.state().hints.picture().as_ref(), Some(&painted), "redone, pixel for pixel");

    // The eraser, then Ctrl+Z with the pointer over the line art.
    harness.get_by_label("Eraser").click();
    harness.run_steps(2);
    drag(&mut harness, egui::vec2(0.1, 0.2), egui::vec2(0.9, 0.2), CANVAS);
    assert!(row(harness.state(), 19, 13, 51).iter().all(|pixel| pixel[3] == 0), "erased");
    let rect = harness.get_by_label(CANVAS).rect();
    harness.hover_at(rect.center());
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(2);
    assert_eq!(harness.state().hints.picture().as_ref(), Some(&painted), "the erasing undone");

    // The eyedropper, with no result yet, takes the hint's color and goes back to the brush.
    harness.get_by_label("Blue").click();
    harness.get_by_label("Eyedropper").click();
    harness.run_steps(2);
    drag(&mut harness, egui::vec2(0.5, 0.2), egui::vec2(0.5, 0.2), CANVAS);
    assert_eq!((harness.state().hints.color, harness.state().hints.tool), (SWATCHES[7], Tool::Brush));
    assert_eq!(harness.state().hints.picture().as_ref(), Some(&painted), "picking paints nothing");
    harness.state_mut().shut_down();
}

/// The hint toolbar in the Japanese window: every word in Japanese.
#[test]
fn the_hint_toolbar_speaks_japanese() {
    let home = home("color-hints-ja", |s| {
        s.language = Some(nurie::app::i18n::Language::Japanese);
        s.form.units[0].line_art = Some(fixture("control/lineart_input.png"));
    });
    let mut harness = harness(home);
    wait_until(&mut harness, MINUTE, "the line art", |app| app.units.first().is_some_and(|u| u.line_art.is_some()));
    harness.get_by_label("色ヒントを塗る").click();
    harness.run_steps(2);
    harness.get_by_label("赤").click();
    harness.run_steps(2);
    drag(&mut harness, egui::vec2(0.2, 0.2), egui::vec2(0.8, 0.2), "色ヒントを塗る線画");
    let english: Vec<String> = english_on_screen(&harness);
    assert!(english.is_empty(), "English in the Japanese window: {english:?}");
    harness.state_mut().shut_down();
}

/// Painted hints go with the job: the picture records them by hash, Nurie keeps the painted layer under
/// that hash, and the kept file holds exactly what was painted.
#[test]
fn painted_hints_color_the_next_picture_and_are_kept_with_it() {
    let home = home("color-hints-generate", |s| {
        s.checkpoint = Some(checkpoint());
        s.form.units[0].line_art = Some(fixture("control/lineart_input.png"));
        s.form.units[0].controlnet = Some(controlnet());
        s.form.settings.steps = 2;
    });
    let mut harness = harness(home.clone());
    wait_until(&mut harness, MINUTE, "the line art", |app| app.units.first().is_some_and(|u| u.hint.is_some()));
    harness.get_by_label("Paint hints").click();
    harness.run_steps(2);
    harness.get_by_label("Red").click();
    drag(&mut harness, egui::vec2(0.2, 0.2), egui::vec2(0.8, 0.2), CANVAS);
    let painted = harness.state().hints.picture().expect("hints painted");
    harness.get_by_label("Generate").click();
    wait_until(&mut harness, 2 * MINUTE, "a picture", |app| !app.gallery.items.is_empty());
    let picture = pngs(&home.join("outputs")).pop().expect("the picture");
    let record = nurie::metadata::read_settings_from_png(&picture).unwrap().record;
    let sha256 = record.color_hints_sha256.expect("the hints are recorded");
    assert_eq!(record.settings.hint_strength, Some(nurie::metadata::DEFAULT_HINT_STRENGTH));
    let kept = home.join("inputs").join(format!("{sha256}.png"));
    assert_eq!(image::open(&kept).unwrap().to_rgba8(), painted, "the kept hints are the painted ones");

    // Reusing the picture's settings brings its hints back onto a cleared layer.
    harness.get_by_label("Clear").click();
    harness.run_steps(2);
    assert!(harness.state().hints.picture().is_none(), "cleared");
    harness.state_mut().reuse_settings(0);
    harness.run_steps(2);
    assert_eq!(harness.state().hints.picture().as_ref(), Some(&painted), "the picture's hints are back");
    harness.state_mut().shut_down();
}
