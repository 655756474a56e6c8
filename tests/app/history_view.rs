//! The history view: pictures already on disk are indexed when the library is new, searched (in
//! Japanese too), shown with their settings, marked as favorites, and their settings reused.

use std::path::Path;
use std::time::Duration;

use egui_kittest::kittest::Queryable;
use nurie::app::nurie_app::Mode;

use super::support::{harness, home, wait_until};

const TIMEOUT: Duration = Duration::from_secs(30);

/// Copies the metadata fixtures (A1111, ComfyUI, InvokeAI pictures) into `folder`.
fn fill_with_pictures(folder: &Path) -> usize {
    std::fs::create_dir_all(folder).expect("folder");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metadata");
    let mut count = 0;
    for entry in std::fs::read_dir(fixtures).expect("fixtures").flatten() {
        if entry.path().extension().is_some_and(|e| e == "png") {
            std::fs::copy(entry.path(), folder.join(entry.file_name())).expect("copy");
            count += 1;
        }
    }
    count
}

#[test]
fn the_history_finds_shows_and_reuses_pictures() {
    let home = home("history", |_| {});
    let pictures = fill_with_pictures(&home.join("outputs"));
    let mut harness = harness(home.clone());
    harness.run_steps(2);
    harness.get_by_label("History").click();
    harness.run_steps(2);
    assert_eq!(harness.state().mode, Mode::History);
    // A new library indexes the output folder by itself.
    wait_until(&mut harness, TIMEOUT, "the output folder indexed", |app| {
        app.history.total == pictures && app.history.scan.is_none()
    });

    let search = harness.get_by_role(egui::accesskit::Role::TextInput);
    search.focus();
    search.type_text("桜");
    wait_until(&mut harness, TIMEOUT, "the Japanese search", |app| app.history.total == 2);

    harness.get_by_label_contains("pil_a1111_utf8.png").click();
    wait_until(&mut harness, TIMEOUT, "the details", |app| app.history.details.is_some());
    harness.get_by_label("1girl, 桜の木の下で本を読む少女, (水彩:1.2)");

    harness.get_by_label("★ Favorite").click();
    wait_until(&mut harness, TIMEOUT, "the favorite", |app| app.history.details.as_ref().is_some_and(|d| d.row.favorite));
    harness.get_by_label("Favorites").click();
    wait_until(&mut harness, TIMEOUT, "the favorites filter", |app| app.history.total == 1);

    harness.get_by_label("Reuse settings").click();
    harness.run_steps(2);
    let app = harness.state();
    assert_eq!(app.mode, Mode::Workspace);
    assert_eq!(app.settings.form.settings.prompt, "1girl, 桜の木の下で本を読む少女, (水彩:1.2)");
    assert_eq!(app.settings.form.settings.seed, 42);
    let notices: Vec<&str> = app.notices.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(notices, [format!("{pictures} pictures indexed")], "the first indexing is reported, nothing else");
    harness.state_mut().shut_down();
}

#[test]
fn the_side_bar_narrows_by_folder_tag_and_model_and_forgets_a_folder() {
    let home = home("history-sidebar", |_| {});
    let outputs = fill_with_pictures(&home.join("outputs"));
    let webui = home.join("webui/txt2img-images");
    std::fs::create_dir_all(&webui).expect("folder");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metadata");
    for name in ["pil_comfyui.png", "pil_invokeai.png"] {
        std::fs::copy(fixtures.join(name), webui.join(name)).expect("copy");
    }
    let mut harness = harness(home.clone());
    harness.state_mut().mode = Mode::History;
    wait_until(&mut harness, TIMEOUT, "the output folder indexed", |app| {
        app.history.total == outputs && app.history.scan.is_none()
    });
    harness.state_mut().history.scan(vec![webui.clone()], false);
    wait_until(&mut harness, TIMEOUT, "the webui folder imported", |app| {
        app.history.total == outputs + 2 && app.history.scan.is_none()
    });

    wait_until(&mut harness, TIMEOUT, "the folders listed", |app| app.history.facets.folders.len() == 2);
    harness.get_by_label("webui/txt2img-images (2)").click();
    wait_until(&mut harness, TIMEOUT, "the folder filter", |app| app.history.total == 2);
    harness.get_by_label("v1-5-pruned-emaonly (2)").click();
    wait_until(&mut harness, TIMEOUT, "folder and model together", |app| app.history.total == 1);
    harness.get_by_label("v1-5-pruned-emaonly (2)").click();
    wait_until(&mut harness, TIMEOUT, "the model filter cleared", |app| app.history.total == 2);

    harness.get_by_label_contains("pil_invokeai.png").click();
    wait_until(&mut harness, TIMEOUT, "the details", |app| app.history.details.is_some());
    let tag_field = harness.get_by_role_and_label(egui::accesskit::Role::TextInput, "Add tag");
    tag_field.focus();
    tag_field.type_text("風景");
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    wait_until(&mut harness, TIMEOUT, "the tag listed", |app| app.history.facets.tags == [("風景".to_string(), 1)]);
    harness.get_by_label("All folders").click();
    wait_until(&mut harness, TIMEOUT, "every folder", |app| app.history.total == outputs + 2);
    harness.get_by_label("風景 (1)").click();
    wait_until(&mut harness, TIMEOUT, "the tag filter", |app| app.history.total == 1);
    harness.get_by_label("風景 (1)").click();

    harness.get_by_label("webui/txt2img-images (2)").click();
    harness.run_steps(2);
    harness.get_by_label("Forget this folder").click();
    harness.run_steps(2);
    harness.get_by_label("Forget").click();
    wait_until(&mut harness, TIMEOUT, "the folder forgotten", |app| {
        app.history.total == outputs && app.history.facets.folders.len() == 1
    });
    assert!(webui.join("pil_comfyui.png").exists() && webui.join("pil_invokeai.png").exists(), "the files stay");
    assert!(harness.state().history.filters.folder.is_none());
    harness.state_mut().shut_down();
}

/// Two windows on one home generate at once with the same seed into the same folder: no picture
/// replaces another, both land in the one history, and each window's history shows the other's too.
#[test]
fn two_windows_generating_at_once_keep_every_picture() {
    let home = home("two-windows", |s| {
        s.checkpoint = Some(super::support::checkpoint());
        s.form.settings.prompt = "二つの窓".into();
        s.form.settings.batch_size = 2;
    });
    let mut first = harness(home.clone());
    let mut second = harness(home.clone());
    for window in [&mut first, &mut second] {
        wait_until(window, TIMEOUT * 2, "the model", |app| {
            matches!(app.model_status, nurie::app::nurie_app::ModelStatus::Ready { .. })
        });
        window.state_mut().enqueue();
    }
    let start = std::time::Instant::now();
    while first.state().gallery.items.len() < 2 || second.state().gallery.items.len() < 2 {
        first.step();
        second.step();
        assert!(start.elapsed() < TIMEOUT * 4, "notices: {:?} {:?}", first.state().notices, second.state().notices);
        std::thread::sleep(Duration::from_millis(10));
    }
    let pictures = super::support::pngs(&home.join("outputs"));
    assert_eq!(pictures.len(), 4, "{pictures:?}");
    for picture in &pictures {
        let record = nurie::metadata::read_settings_from_png(picture).expect("a whole picture").record;
        assert_eq!(record.settings.prompt, "二つの窓");
    }
    for window in [&mut first, &mut second] {
        window.state_mut().mode = Mode::History;
        wait_until(window, TIMEOUT, "all four pictures in the history", |app| app.history.total == 4);
    }
    first.state_mut().shut_down();
    second.state_mut().shut_down();
}
