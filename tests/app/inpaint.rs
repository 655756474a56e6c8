//! Inpainting from the window: "Inpaint (mask)" ticked, a mask painted over the img2img picture with
//! the pointer, undone, redone, inverted, loaded from a file; a generation that redraws only the
//! painted part; a clear message when there is nothing painted; the painter in Japanese.

use std::path::{Path, PathBuf};
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use image::{GrayImage, Luma, Rgb, RgbImage};
use nurie::app::NurieApp;
use nurie::app::settings::AppSettings;
use nurie::metadata::InpaintSettings;

use super::support::{checkpoint, controlnet, drag, english_on_screen, fixture, home, pngs, tall_harness, wait_until};

const MINUTE: Duration = Duration::from_secs(60);
const CANVAS: &str = "Picture to paint the mask on";

/// A 64×96 picture (the generation size of the tests' homes) with a smooth gradient, written in `home`.
fn init_picture(home: &Path) -> (PathBuf, RgbImage) {
    let picture = RgbImage::from_fn(64, 96, |x, y| Rgb([(x * 4) as u8, (y * 2) as u8, 128]));
    let path = home.join("init.png");
    picture.save(&path).unwrap();
    (path, picture)
}

/// Gives the saved settings of `home` the img2img picture `picture`.
fn use_init_picture(home: &Path, picture: &Path, adjust: impl FnOnce(&mut AppSettings)) {
    let mut settings = AppSettings::load(home).settings;
    settings.form.init_image = Some(picture.to_path_buf());
    adjust(&mut settings);
    settings.save(home).unwrap();
}

fn wait_for_the_picture(harness: &mut Harness<'_, NurieApp>, size: (u32, u32)) {
    wait_until(harness, MINUTE, "the picture under the mask", |app| app.mask.mask().dimensions() == size);
    harness.run_steps(2);
}

fn click(harness: &mut Harness<'_, NurieApp>, label: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(2);
}

/// A stroke across the picture at a quarter of its height (row 24 of 96), 8 pixels wide, from x 12.8
/// to 51.2.
fn paint_a_stroke(harness: &mut Harness<'_, NurieApp>) {
    harness.state_mut().mask.brush_size = 8;
    drag(harness, egui::vec2(0.2, 0.25), egui::vec2(0.8, 0.25), CANVAS);
}

#[test]
fn a_painted_mask_redraws_only_its_part_of_the_img2img_picture() {
    let home = home("inpaint", |s| {
        s.checkpoint = Some(checkpoint());
        s.form.settings.steps = 2;
    });
    let (path, init) = init_picture(&home);
    use_init_picture(&home, &path, |_| {});
    let mut harness = tall_harness(home.clone());
    harness.run_steps(2);
    click(&mut harness, "Inpaint (mask)");
    assert_eq!(harness.state().settings.form.settings.inpaint, Some(InpaintSettings::default()));
    wait_for_the_picture(&mut harness, (64, 96));
    paint_a_stroke(&mut harness);
    let mask = harness.state().mask.mask().clone();
    assert_eq!((mask.get_pixel(32, 24).0[0], mask.get_pixel(32, 60).0[0]), (255, 0), "the stroke, and only it");
    assert_eq!(harness.state().mask.view, Default::default(), "painting does not pan");

    harness.get_by_label("Generate").click();
    wait_until(&mut harness, 2 * MINUTE, "the picture", |app| !app.gallery.items.is_empty());
    let written = pngs(&home.join("outputs"));
    assert_eq!(written.len(), 1, "{written:?}");
    let result = image::open(&written[0]).unwrap().to_rgb8();
    assert_eq!(result.dimensions(), init.dimensions(), "the img2img picture's size");
    // Mask blur 4 reaches 10 pixels past the stroke (rows 20–28); paste-back keeps everything beyond.
    for y in (0..=6).chain(45..96) {
        for x in 0..64 {
            assert_eq!(result.get_pixel(x, y), init.get_pixel(x, y), "pixel {x},{y} is outside the mask");
        }
    }
    let redrawn = (16..48).filter(|&x| result.get_pixel(x, 24) != init.get_pixel(x, 24)).count();
    assert!(redrawn > 24, "only {redrawn} of 32 pixels in the stroke were redrawn");
    let record = nurie::metadata::read_settings_from_png(&written[0]).unwrap().record;
    assert_eq!(record.settings.inpaint, Some(InpaintSettings::default()));
    assert!(harness.state().notices.is_empty(), "{:?}", harness.state().notices);
    harness.state_mut().shut_down();
}

/// The line art as the picture to paint on; strokes undone and redone, the mask inverted, cleared, and
/// loaded from a file; generating with nothing painted says why nothing is made.
#[test]
fn the_mask_is_undone_inverted_cleared_and_loaded_over_the_line_art() {
    let line_art = fixture("control/lineart_input.png");
    let home = home("inpaint-mask", |s| {
        s.checkpoint = Some(checkpoint());
        s.form.units[0].line_art = Some(line_art.clone());
        s.form.units[0].controlnet = Some(controlnet());
    });
    let mut harness = tall_harness(home.clone());
    harness.run_steps(2);
    click(&mut harness, "Inpaint (mask)");
    harness.get_by_label_contains("Open a picture for img2img");
    click(&mut harness, "Use line art");
    assert_eq!(harness.state().settings.form.init_image.as_deref(), Some(line_art.as_path()));
    let size = image::image_dimensions(&line_art).unwrap();
    wait_for_the_picture(&mut harness, size);

    paint_a_stroke(&mut harness);
    let painted = harness.state().mask.mask().clone();
    assert!(!harness.state().mask.is_empty(), "painted");
    click(&mut harness, "Undo");
    assert!(harness.state().mask.is_empty(), "the stroke undone");
    click(&mut harness, "Redo");
    assert_eq!(harness.state().mask.mask(), &painted, "redone, pixel for pixel");

    click(&mut harness, "Invert");
    let inverted = harness.state().mask.mask().clone();
    assert!(inverted.pixels().zip(painted.pixels()).all(|(now, before)| now.0[0] == 255 - before.0[0]), "inverted");
    let rect = harness.get_by_label(CANVAS).rect();
    harness.hover_at(rect.center());
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(2);
    assert_eq!(harness.state().mask.mask(), &painted, "Ctrl+Z undoes the inversion");

    click(&mut harness, "Clear mask");
    assert!(harness.state().mask.is_empty());
    harness.get_by_label("Generate").click();
    harness.run_steps(2);
    let needs_mask = nurie::app::i18n::Language::English.texts().inpaint_needs_mask;
    assert!(harness.state().notices.iter().any(|n| n.text == needs_mask), "{:?}", harness.state().notices);
    assert!(harness.state().queue.is_idle() && !harness.state().is_checking_license(), "no job");

    // A mask file, smaller than the picture: its white square lands in the picture's top left quarter.
    let file = home.join("mask.png");
    GrayImage::from_fn(size.0 / 4, size.1 / 4, |x, y| Luma([if x < size.0 / 8 && y < size.1 / 8 { 255 } else { 0 }]))
        .save(&file)
        .unwrap();
    let ctx = harness.ctx.clone();
    harness.state_mut().mask.load_file(&file, &ctx);
    wait_until(&mut harness, MINUTE, "the mask file", |app| !app.mask.is_empty());
    let loaded = harness.state().mask.mask();
    assert_eq!((loaded.get_pixel(size.0 / 8, size.1 / 8).0[0], loaded.get_pixel(size.0 * 3 / 4, size.1 / 2).0[0]), (255, 0));
    click(&mut harness, "Undo");
    assert!(harness.state().mask.is_empty(), "loading a mask is one step");
    harness.state_mut().shut_down();
}

/// The inpainting switch, settings and painter in the Japanese window: every word in Japanese.
#[test]
fn the_inpainting_controls_speak_japanese() {
    let home = home("inpaint-ja", |s| s.language = Some(nurie::app::i18n::Language::Japanese));
    let (path, _) = init_picture(&home);
    use_init_picture(&home, &path, |s| {
        s.form.settings.inpaint = Some(InpaintSettings { area: nurie::vocabulary::InpaintArea::OnlyMasked, ..Default::default() })
    });
    let mut harness = tall_harness(home);
    wait_for_the_picture(&mut harness, (64, 96));
    harness.get_by_label("インペイント（マスク）");
    assert!(harness.get_all_by_label("余白").next().is_some(), "the padding slider (only masked)");
    drag(&mut harness, egui::vec2(0.2, 0.25), egui::vec2(0.8, 0.25), "マスクを塗る絵");
    assert!(!harness.state().mask.is_empty(), "painted");
    assert_eq!(english_on_screen(&harness), Vec::<String>::new());
    harness.state_mut().shut_down();
}
