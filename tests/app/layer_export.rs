//! Layered files from the window: "always export" writes one beside each new picture, and "Export
//! layers…" in the gallery's menu writes another, both read back with independent readers.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use egui_kittest::kittest::Queryable;

use super::support::{checkpoint, controlnet, fixture, harness, home, pngs, wait_until};

const MINUTE: Duration = Duration::from_secs(60);

fn psd_layer_names(path: &Path) -> Vec<String> {
    let psd = psd::Psd::from_bytes(&std::fs::read(path).unwrap()).unwrap();
    psd.layers().iter().map(|layer| layer.name().to_string()).collect()
}

fn ora_stack(path: &Path) -> String {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut xml = String::new();
    archive.by_name("stack.xml").unwrap().read_to_string(&mut xml).unwrap();
    xml
}

#[test]
fn layers_are_exported_beside_new_pictures_and_from_the_gallery() {
    let home = home("layers", |s| {
        s.checkpoint = Some(checkpoint());
        s.form.units[0].line_art = Some(fixture("control/lineart_input.png"));
        s.form.units[0].controlnet = Some(controlnet());
        (s.export.always, s.export.psd, s.export.ora) = (true, false, true);
    });
    let mut harness = harness(home.clone());
    wait_until(&mut harness, MINUTE, "the line art", |app| app.units.first().is_some_and(|u| u.hint.is_some()));
    harness.get_by_label("Generate").click();
    wait_until(&mut harness, 2 * MINUTE, "a picture", |app| !app.gallery.items.is_empty());
    wait_until(&mut harness, MINUTE, "the layers beside it", |app| {
        app.exporter.waiting().is_empty() && app.last_export.is_some()
    });
    let picture = pngs(&home.join("outputs")).pop().expect("the picture");
    let ora = picture.with_extension("ora");
    assert_eq!(harness.state().last_export.as_deref(), Some(ora.as_path()));
    let stack = ora_stack(&ora);
    for layer in ["name=\"Color\"", "name=\"Line art\""] {
        assert!(stack.contains(layer), "{layer} in {stack}");
    }
    harness.run_steps(2);
    harness.get_by_label_contains("Layers written:");

    // The gallery's menu: Export layers…, PSD with 色トレス, written beside the picture.
    let in_result_view = harness.get_by_label("Export layers…").rect();
    let name = picture.file_name().unwrap().to_string_lossy().into_owned();
    harness.get_by_label(&name).click_secondary();
    harness.run_steps(2);
    let in_menu = harness.get_all_by_label("Export layers…").find(|node| node.rect() != in_result_view).expect("in the menu");
    in_menu.click();
    harness.run_steps(2);
    assert!(harness.state().export_dialog.is_some(), "the dialog opened");
    harness.run_steps(3);
    harness.get_by_label("Export layers");
    harness.get_by_label_contains("Color trace").click();
    harness.run_steps(1);
    harness.get_by_label_contains(&format!("Writes {}", picture.with_extension("psd").file_name().unwrap().to_string_lossy()));
    harness.get_by_label("Export").click();
    let psd = picture.with_extension("psd");
    wait_until(&mut harness, MINUTE, "the PSD", |app| app.last_export.as_deref() == Some(psd.as_path()));
    assert!(harness.state().export_dialog.is_none(), "the dialog closed");
    let names = psd_layer_names(&psd);
    assert!(names.iter().any(|n| n == "Color") && names.iter().any(|n| n == "Line art"), "{names:?}");
    assert!(harness.state().settings.export.options.color_trace, "the choice is remembered");
    assert!(harness.state().notices.is_empty(), "{:?}", harness.state().notices);

    // The history's detail pane: OpenRaster with the flats, rebuilt from the kept line art.
    harness.get_by_label("History").click();
    wait_until(&mut harness, MINUTE, "the picture in the history", |app| app.history.total == 1);
    harness.get_by_label_contains(&name).click();
    wait_until(&mut harness, MINUTE, "the details", |app| app.history.details.is_some());
    harness.get_by_label("Export layers…").click();
    harness.run_steps(5);
    harness.get_by_label("OpenRaster (Krita, GIMP, MyPaint)").click();
    harness.get_by_label_contains("Flats").click();
    harness.run_steps(1);
    harness.get_by_label("Export").click();
    wait_until(&mut harness, MINUTE, "the ORA", |app| app.last_export.as_deref() == Some(ora.as_path()));
    let stack = ora_stack(&ora);
    assert!(stack.contains(&format!("name=\"{}\"", nurie::layered::FLATS_LAYER)), "{stack}");
    assert!(harness.state().notices.is_empty(), "{:?}", harness.state().notices);
    harness.state_mut().shut_down();
}

/// A picture that cannot be exported (gone since) is named in the message.
#[test]
fn a_failed_export_names_the_picture() {
    let home = home("layers-fail", |_| {});
    let mut harness = harness(home.clone());
    harness.run_steps(2);
    let gone = home.join("outputs/00007-1.png");
    harness.state_mut().open_export_dialog(&gone);
    harness.run_steps(2);
    harness.get_by_label("Export").click();
    wait_until(&mut harness, MINUTE, "the error", |app| !app.notices.is_empty());
    let text = &harness.state().notices[0].text;
    assert!(text.contains("00007-1.png") && text.starts_with("Cannot export the layers"), "{text}");
    assert!(!gone.with_extension("psd").exists());
    harness.state_mut().shut_down();
}
