//! The LoRA and embedding browser beside the prompt, the notes under the prompt about what it names,
//! and Ctrl+↑/↓ on a LoRA tag.

use std::path::PathBuf;
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use nurie::app::NurieApp;

use super::support::{harness, home, wait_until};

const MINUTE: Duration = Duration::from_secs(60);

/// A folder of LoRAs (`flat_anime` with an A1111 preview beside it, `ink_lines` without) and one of
/// embeddings (`easy_negative`), made fresh for test `name`.
pub fn network_folders(name: &str) -> (PathBuf, PathBuf) {
    let root = std::env::temp_dir().join(format!("nurie-app-test-{name}-networks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (loras, embeddings) = (root.join("loras"), root.join("embeddings"));
    std::fs::create_dir_all(&loras).expect("folder");
    std::fs::create_dir_all(&embeddings).expect("folder");
    for file in ["flat_anime.safetensors", "ink_lines.safetensors"] {
        std::fs::write(loras.join(file), b"not read by the browser").expect("file");
    }
    image::RgbImage::from_pixel(64, 96, image::Rgb([200, 120, 40])).save(loras.join("flat_anime.preview.png")).expect("png");
    std::fs::write(embeddings.join("easy_negative.safetensors"), b"not read by the browser").expect("file");
    (loras, embeddings)
}

/// The app with the browser open on the folders of [`network_folders`], once they are listed.
fn browser(name: &str, prompt: &str) -> (Harness<'static, NurieApp>, PathBuf) {
    let (loras, embeddings) = network_folders(name);
    let home = home(name, |s| {
        s.lora_folders = vec![loras.clone()];
        s.embedding_folders = vec![embeddings];
        s.layout.networks_open = true;
        s.form.settings.prompt = prompt.into();
    });
    let mut harness = harness(home);
    wait_until(&mut harness, MINUTE, "the folders to be listed", |app| app.networks.listing().is_some());
    harness.run_steps(2);
    (harness, loras)
}

#[test]
fn the_browser_lists_loras_with_their_preview_and_a_click_inserts_the_tag() {
    let (mut harness, loras) = browser("browser", "1girl, smile");
    let preview = loras.join("flat_anime.safetensors");
    wait_until(&mut harness, MINUTE, "the preview", |app| app.networks.has_picture(&preview));
    harness.get_by_label_contains("LoRA (2)");
    harness.get_by_label("ink_lines");
    harness.get_by_label("flat_anime").click();
    harness.run_steps(2);
    assert_eq!(harness.state().settings.form.settings.prompt, "1girl, smile <lora:flat_anime:1>");
    // A second click takes it out again, as in A1111.
    harness.get_by_label("flat_anime").click();
    harness.run_steps(2);
    assert_eq!(harness.state().settings.form.settings.prompt, "1girl, smile");

    // The search narrows the cards.
    harness.state_mut().networks.search = "INK".into();
    harness.run_steps(2);
    assert!(harness.query_by_label("flat_anime").is_none(), "filtered out");
    harness.get_by_label("ink_lines");

    // An embedding goes to the negative prompt with Shift+click.
    harness.state_mut().networks.search.clear();
    harness.get_by_label_contains("Embeddings (1)").click();
    harness.run_steps(2);
    harness.get_by_label("easy_negative").click_modifiers(egui::Modifiers::SHIFT);
    harness.run_steps(2);
    let settings = &harness.state().settings.form.settings;
    assert_eq!(settings.prompt, "1girl, smile");
    assert!(settings.negative_prompt.ends_with("worst quality easy_negative"), "{}", settings.negative_prompt);
    harness.state_mut().shut_down();
}

/// A LoRA the folders do not have is named under the prompt with the folders looked in; hypernetworks
/// and `AND` keep their notes; a LoRA that is there needs no note.
#[test]
fn a_missing_lora_shows_why_under_the_prompt() {
    let prompt = "1girl, <lora:flat_anime:0.8>, <lora:nowhere:0.8>, <hypernet:old:1> AND a cat";
    let (mut harness, loras) = browser("missing-lora", prompt);
    harness.get_by_label(&format!("No LoRA named nowhere in {}: generating will stop with this message", loras.display()));
    harness.get_by_label("<hypernet:…> tags are taken out of the prompt as A1111 does, but Nurie does not apply them");
    harness.get_by_label("AND (A1111's composable diffusion) is not supported: it is read as words");
    assert!(harness.query_by_label_contains("No LoRA named flat_anime").is_none());
    harness.state_mut().shut_down();
}

/// Ctrl+↑ with the cursor in `<lora:NAME:W>` steps W by 0.05; elsewhere it still changes emphasis.
#[test]
fn ctrl_up_on_a_lora_tag_changes_its_weight() {
    let (mut harness, _) = browser("lora-weight", "1girl, <lora:flat_anime:0.8>");
    let editor = harness.get_all_by_role(Role::MultilineTextInput).next().expect("the prompt editor");
    editor.focus();
    harness.run_steps(2);
    let put_cursor = |harness: &mut Harness<'_, NurieApp>, at: usize| {
        let id = nurie::app::view::editor_id(false);
        let mut state = egui::TextEdit::load_state(&harness.ctx, id).unwrap_or_default();
        state.cursor.set_char_range(Some(egui::text::CCursorRange::one(egui::text::CCursor::new(at))));
        state.store(&harness.ctx, id);
        harness.run_steps(1);
    };
    put_cursor(&mut harness, 12);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::ArrowUp);
    harness.run_steps(2);
    assert_eq!(harness.state().settings.form.settings.prompt, "1girl, <lora:flat_anime:0.85>");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::ArrowDown);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::ArrowDown);
    harness.run_steps(2);
    assert_eq!(harness.state().settings.form.settings.prompt, "1girl, <lora:flat_anime:0.75>");
    put_cursor(&mut harness, 2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::ArrowUp);
    harness.run_steps(2);
    assert_eq!(harness.state().settings.form.settings.prompt, "(1girl:1.1), <lora:flat_anime:0.75>");
    harness.state_mut().shut_down();
}

/// A LoRA in a folder the user added is found by the worker (the window sends the folders with the
/// job) and applied: the picture records it.
#[test]
fn a_lora_in_a_users_folder_is_applied_when_generating() {
    let (loras, _) = network_folders("lora-generate");
    let lora = super::support::fixture("networks/lora-kohya-dev.safetensors");
    std::fs::copy(lora, loras.join("lora-kohya-dev.safetensors")).expect("copy");
    let home = home("lora-generate", |s| {
        s.lora_folders = vec![loras.clone()];
        s.checkpoint = Some(super::support::checkpoint());
        s.form.settings.prompt = "1girl, <lora:lora-kohya-dev:0.7>".into();
    });
    let mut harness = harness(home.clone());
    harness.run_steps(2);
    harness.get_by_label("Generate").click();
    wait_until(&mut harness, 2 * MINUTE, "the picture", |app| !app.gallery.items.is_empty());
    let written = super::support::pngs(&home.join("outputs"));
    let record = nurie::metadata::read_settings_from_png(&written[0]).expect("metadata").record;
    let names: Vec<&str> = record.networks.iter().map(|network| network.name.as_str()).collect();
    assert_eq!(names, ["lora-kohya-dev"]);
    assert!(harness.state().notices.is_empty(), "{:?}", harness.state().notices);
    harness.state_mut().shut_down();
}

/// A1111's saved styles (`styles.csv` of an install found) are offered beside the prompt and applied
/// as A1111 applies them.
#[test]
fn a_style_from_a1111s_styles_csv_is_applied_to_the_prompts() {
    let parent = std::env::temp_dir().join(format!("nurie-app-test-styles-installs-{}", std::process::id()));
    let webui = parent.join("stable-diffusion-webui");
    std::fs::create_dir_all(&webui).expect("install");
    std::fs::write(
        webui.join("styles.csv"),
        "name,prompt,negative_prompt\nWatercolor,\"masterpiece, {prompt}, watercolor\",blurry\n",
    )
    .expect("styles.csv");
    let home = home("styles", |s| {
        s.form.settings.prompt = "1girl".into();
        s.form.settings.negative_prompt = "lowres".into();
    });
    let bases = nurie::model_library::SearchBases { parents: vec![parent], invokeai_root: None, downloads: vec![] };
    let mut harness = super::support::harness_searching(home, bases);
    wait_until(&mut harness, MINUTE, "the styles", |app| app.networks.listing().is_some());
    harness.run_steps(2);
    harness.get_by_label("Styles").click();
    harness.run_steps(2);
    harness.get_by_label("Watercolor").click();
    harness.run_steps(2);
    let settings = &harness.state().settings.form.settings;
    assert_eq!(
        (settings.prompt.as_str(), settings.negative_prompt.as_str()),
        ("masterpiece, 1girl, watercolor", "lowres, blurry")
    );
    harness.state_mut().shut_down();
}
