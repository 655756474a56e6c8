//! The first start: the welcome screen lists the models found in other tools' installs, explains what
//! to get (with licenses), says what the pictures will run on, and leaves for the workspace for good.

use std::time::Duration;

use egui_kittest::kittest::Queryable;
use nurie::app::i18n::Language;
use nurie::app::nurie_app::Mode;
use nurie::model_library::SearchBases;
use nurie::runtime::DeviceChoice;

use super::support::{checkpoint, controlnet, harness_searching, home, wait_until};

/// A first start: no checkpoint chosen, nothing recent, the welcome screen not yet left.
fn first_start(name: &str, language: Language) -> std::path::PathBuf {
    home(name, |s| {
        s.recent.checkpoints.clear();
        s.recent.controlnets.clear();
        s.checkpoint = None;
        s.welcome_done = false;
        s.device = DeviceChoice::Auto;
        s.language = Some(language);
    })
}

#[test]
fn the_first_start_shows_the_welcome_screen_with_what_was_found() {
    let parent = tempfile::tempdir().expect("temp");
    let comfy = parent.path().join("ComfyUI/models");
    for (folder, source, name) in [
        ("checkpoints", checkpoint(), "anime-model.safetensors"),
        ("controlnet", controlnet(), "control_v11p_sd15_lineart.safetensors"),
    ] {
        std::fs::create_dir_all(comfy.join(folder)).expect("install folder");
        std::fs::copy(source, comfy.join(folder).join(name)).expect("model copied");
    }
    // A checkpoint saved straight into the Downloads folder by a browser.
    let downloads = tempfile::tempdir().expect("temp");
    std::fs::copy(checkpoint(), downloads.path().join("some-model-v2.safetensors")).expect("model copied");
    let bases = SearchBases {
        parents: vec![parent.path().to_path_buf()],
        invokeai_root: None,
        downloads: vec![downloads.path().to_path_buf()],
    };
    let home = first_start("welcome", Language::English);
    let mut harness = harness_searching(home.clone(), bases);
    assert_eq!(harness.state().mode, Mode::Welcome);
    wait_until(&mut harness, Duration::from_secs(20), "the model search and the device", |app| {
        !app.models.is_scanning() && app.device.is_some()
    });
    harness.run_steps(2);
    harness.get_by_label("Welcome to Nurie");
    harness.get_by_label("• ComfyUI: 1 checkpoint · 1 ControlNet (1 line art)");
    harness.get_by_label("• Downloads folder: 1 checkpoint");
    harness.get_by_label_contains("control_v11p_sd15s2_lineart_anime");
    assert_eq!(
        harness.query_all_by_label_contains("CreativeML OpenRAIL-M").count(),
        2,
        "the checkpoint's and the ControlNets' licenses"
    );
    harness.get_by_label_contains("MIT license");
    harness.get_by_label("Add a model folder…");
    // The device line: a GPU by name, or the CPU explained in plain words (this machine has no GPU).
    let device = harness.state().device.clone().expect("device opened");
    if device.is_gpu {
        let nurie::runtime::DeviceSummary::Gpu { name, .. } = &device.summary else { panic!("a GPU without a name") };
        harness.get_by_label_contains(name);
    } else {
        harness.get_by_label_contains("No usable GPU was found");
        assert!(
            harness.state().notices.iter().any(|n| n.text.starts_with("No usable GPU was found")),
            "the notice stays in the workspace"
        );
    }

    harness.get_by_label("Start coloring").click();
    harness.run_steps(2);
    assert_eq!(harness.state().mode, Mode::Workspace);
    harness.state_mut().shut_down();
    let saved = nurie::app::settings::AppSettings::load(&home).settings;
    assert!(saved.welcome_done, "the welcome screen is not shown again");
}

#[test]
fn the_welcome_screen_in_japanese_renders_every_glyph() {
    // The harness fails on any glyph missing from the fonts.
    let mut harness = harness_searching(first_start("welcome-ja", Language::Japanese), SearchBases::default());
    wait_until(&mut harness, Duration::from_secs(20), "the model search", |app| !app.models.is_scanning());
    harness.run_steps(2);
    harness.get_by_label("Nurie へようこそ");
    harness.get_by_label("線画の色塗りに必要なもの");
    harness.get_by_label("色塗りを始める");
    assert_eq!(super::support::english_on_screen(&harness), Vec::<String>::new());
    harness.state_mut().shut_down();
}
