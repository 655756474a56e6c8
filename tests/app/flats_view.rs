//! The result view's Flats (下塗り): the finished picture's flats made in the background beside its
//! colors, made again with another gap, and "Save flats…" writing them beside the picture.

use std::time::Duration;

use egui_kittest::kittest::Queryable;
use nurie::app::flats_maker::FlatsKey;
use nurie::flats::FlatsSettings;

use super::support::{checkpoint, controlnet, english_on_screen, fixture, harness, home, wait_until};

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn flats_are_shown_beside_the_colors_and_saved_beside_the_picture() {
    let home = home("flats", |s| {
        s.checkpoint = Some(checkpoint());
        s.form.units[0].line_art = Some(fixture("control/lineart_input.png"));
        s.form.units[0].controlnet = Some(controlnet());
    });
    let mut harness = harness(home);
    wait_until(&mut harness, MINUTE, "the line art", |app| app.units.first().is_some_and(|u| u.hint.is_some()));
    harness.get_by_label("Generate").click();
    wait_until(&mut harness, 2 * MINUTE, "a picture", |app| !app.gallery.items.is_empty() && !app.is_busy());
    let picture = harness.state().gallery.items[0].path.clone();
    harness.run_steps(2);

    harness.get_by_label("Flats").click();
    let key = FlatsKey { picture: picture.clone(), gap_px: FlatsSettings::default().gap_px };
    wait_until(&mut harness, MINUTE, "the flats on view", |app| app.flats.texture_key() == Some(&key));
    let size = image::image_dimensions(&picture).unwrap();
    let Some(Ok(made)) = harness.state().flats.maker.cached(&key).cloned() else { panic!("no flats") };
    assert_eq!(made.image.dimensions(), size, "the flats cover the picture");
    assert!(made.regions >= 2, "the lines divide the picture: {} areas", made.regions);

    // The slider's gap: the flats are made again with it.
    harness.state_mut().flats.gap_px = 12;
    let wider = FlatsKey { gap_px: 12, ..key };
    wait_until(&mut harness, MINUTE, "the flats with a wider gap", |app| app.flats.texture_key() == Some(&wider));

    harness.get_by_label("Save flats…").click();
    wait_until(&mut harness, MINUTE, "the flats saved", |app| app.flats.maker.saved().is_some());
    let stem = picture.file_stem().unwrap().to_string_lossy().into_owned();
    let target = picture.with_file_name(format!("{stem}-flats.png"));
    assert_eq!(harness.state().flats.maker.saved(), Some(&Ok(target.clone())));
    assert_eq!(image::image_dimensions(&target).unwrap(), size);
    harness.run_steps(2);
    harness.get_by_label_contains("Flats saved:");

    // Back to the colors.
    harness.get_by_label("Color").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Save flats…").is_none(), "the flats' controls go with them");
    assert!(harness.state().notices.is_empty(), "{:?}", harness.state().notices);
    harness.state_mut().shut_down();
}

/// The flats' controls, the note while they are made and the saved message, in Japanese.
#[test]
fn the_flats_speak_japanese() {
    let home = home("flats-ja", |s| {
        s.language = Some(nurie::app::i18n::Language::Japanese);
        s.checkpoint = Some(checkpoint());
        s.form.units[0].line_art = Some(fixture("control/lineart_input.png"));
        s.form.units[0].controlnet = Some(controlnet());
    });
    let mut harness = harness(home);
    wait_until(&mut harness, MINUTE, "the line art", |app| app.units.first().is_some_and(|u| u.hint.is_some()));
    harness.get_by_label("生成").click();
    wait_until(&mut harness, 2 * MINUTE, "a picture", |app| !app.gallery.items.is_empty() && !app.is_busy());
    harness.run_steps(2);
    harness.get_by_label("下塗り").click();
    wait_until(&mut harness, MINUTE, "the flats", |app| app.flats.texture_key().is_some());
    harness.get_by_label("下塗りを保存…").click();
    wait_until(&mut harness, MINUTE, "the flats saved", |app| app.flats.maker.saved().is_some());
    harness.run_steps(2);
    harness.get_by_label_contains("下塗りを保存しました");
    harness.get_by_label("カラー");
    assert_eq!(english_on_screen(&harness), Vec::<String>::new());
    harness.state_mut().shut_down();
}
