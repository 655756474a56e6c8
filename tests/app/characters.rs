//! The reference panel: a reference picture saved as a character of the library, then chosen to color
//! a page; its part colors are one click away as hint colors.

use std::time::Duration;

use egui_kittest::kittest::Queryable;
use nurie::app::form::ReferenceForm;
use nurie::characters::{Character, CharacterLibrary, PartColor};

use super::support::{checkpoint, controlnet, fixture, home, pngs, tall_harness, wait_until};

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn a_character_is_created_from_a_reference_and_colors_a_page() {
    let dir = std::env::temp_dir().join(format!("nurie-app-test-character-sheet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sheet = dir.join("キャラ表.png");
    image::RgbImage::from_fn(64, 96, |x, y| image::Rgb([(3 * x) as u8, (2 * y) as u8, 180])).save(&sheet).unwrap();
    let home = home("characters", |s| {
        s.checkpoint = Some(checkpoint());
        s.form.units[0].line_art = Some(fixture("control/lineart_input.png"));
        s.form.units[0].controlnet = Some(controlnet());
        s.form.settings.steps = 2;
        s.form.references = vec![ReferenceForm { enabled: true, picture: Some(sheet.clone()), ..ReferenceForm::default() }];
    });
    // A character already in the library, with part colors.
    let library = CharacterLibrary::in_home(&home);
    let parts = vec![PartColor::parse("hair=#2a1c5e").unwrap()];
    let mut png = Vec::new();
    image::RgbImage::new(8, 8).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    library.add(Character { name: "Aki".into(), reference: Default::default(), parts }, &png).unwrap();

    let mut harness = tall_harness(home.clone());
    wait_until(&mut harness, MINUTE, "the line art", |app| app.units.first().is_some_and(|u| u.hint.is_some()));
    let field = harness.get_by_role_and_label(egui::accesskit::Role::TextInput, "Character name");
    field.focus();
    field.type_text("ハル");
    harness.run_steps(1);
    harness.get_by_label("Save as character").click();
    harness.run_steps(2);
    let hal = library.find("ハル").expect("the character is in the library");
    assert_eq!(std::fs::read(hal.picture()).unwrap(), std::fs::read(&sheet).unwrap(), "its picture is the reference");

    // A part color is a hint color in one click.
    harness.get_by_label("hair").click();
    // The hint toolbar appears above, moving the panel down: let the layout settle.
    harness.run_steps(4);
    assert_eq!(harness.state().hints.color, egui::Color32::from_rgb(0x2a, 0x1c, 0x5e));
    assert!(harness.state().hints.painting, "ready to paint");

    // The page uses the character instead of the loose reference.
    harness.get_by_label("Remove reference").click();
    harness.run_steps(2);
    assert!(harness.state().settings.form.references.is_empty());
    harness.get_by_label("ハル").click();
    harness.run_steps(1);
    assert_eq!(harness.state().settings.form.characters, ["ハル"]);
    harness.get_by_label("Generate").click();
    wait_until(&mut harness, 2 * MINUTE, "a picture", |app| !app.gallery.items.is_empty());
    let picture = pngs(&home.join("outputs")).pop().expect("the picture");
    let record = nurie::metadata::read_settings_from_png(&picture).unwrap().record;
    assert_eq!(record.references.len(), 1, "the character's reference unit, and only it");
    let sha256 = nurie::provenance::hash::file_sha256(&hal.picture()).unwrap();
    assert_eq!(record.references[0].picture_sha256.as_deref(), Some(sha256.as_str()));

    // Reusing the picture's settings gives back its reference unit, with the kept copy of the picture.
    harness.state_mut().reuse_settings(0);
    harness.run_steps(1);
    let form = &harness.state().settings.form;
    assert!(form.characters.is_empty(), "the character's unit comes back as a reference unit, not twice");
    assert_eq!(form.references.len(), 1);
    assert_eq!(form.references[0].picture, Some(home.join("inputs").join(format!("{sha256}.png"))));
    harness.state_mut().shut_down();
}
