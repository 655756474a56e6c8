//! The whole workspace: pick a model, type a prompt, drop line art, generate, watch the preview, get
//! the gallery item; cancel; a corrupt model explained; the Japanese UI.

use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use super::support::{checkpoint, drop_file, english_on_screen, fixture, harness, home, pngs, wait_until};

const MINUTE: Duration = Duration::from_secs(60);

/// The checkpoint picker: the first combo box of the window (the model bar's).
fn checkpoint_picker<'a>(harness: &'a egui_kittest::Harness<'_, nurie::app::NurieApp>) -> egui_kittest::Node<'a> {
    harness.get_all_by_role(Role::ComboBox).next().expect("the checkpoint picker")
}

#[test]
fn line_art_becomes_a_colored_picture_in_the_gallery() {
    let home = home("generate", |_| {});
    let mut harness = harness(home.clone());
    harness.run_steps(2);
    // Pick the checkpoint from the recent files, as a user would.
    checkpoint_picker(&harness).click();
    harness.run_steps(2);
    harness.get_by_label("sd15-dev-fp16.safetensors").click();
    harness.run_steps(2);
    assert_eq!(harness.state().settings.checkpoint.as_deref(), Some(checkpoint().as_path()));
    wait_until(&mut harness, MINUTE, "the model to load", |app| {
        matches!(app.model_status, nurie::app::nurie_app::ModelStatus::Ready { .. })
    });
    // The CPU runs the default precision, Auto, in f32; the status line says which it is.
    harness.get_by_label_contains("Ready on").hover();
    harness.get_by_label_contains("· f32");

    let prompt = harness.get_all_by_role(Role::MultilineTextInput).next().expect("the prompt editor");
    prompt.focus();
    prompt.type_text("1girl, flat color, 線画");
    harness.run_steps(2);
    assert_eq!(harness.state().settings.form.settings.prompt, "1girl, flat color, 線画");

    drop_file(&mut harness, fixture("control/lineart_input.png"));
    harness.run_steps(1);
    wait_until(&mut harness, MINUTE, "the processed hint", |app| app.units.first().is_some_and(|u| u.hint.is_some()));
    harness.get_by_label("Processed hint");

    harness.get_by_label("Generate").click();
    let mut saw_preview = false;
    let start = std::time::Instant::now();
    while harness.state().gallery.items.is_empty() {
        harness.step();
        let app = harness.state();
        saw_preview |=
            app.shown.as_ref().is_some_and(|s| s.is_preview) && app.queue.running().is_some_and(|r| r.progress.latest.is_some());
        assert!(start.elapsed() < 2 * MINUTE, "no picture; notices: {:?}", app.notices);
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(saw_preview, "a live preview was shown while sampling");
    harness.run_steps(2);
    harness.get_by_label("This session (1)");
    let written = pngs(&home.join("outputs"));
    assert_eq!(written.len(), 1, "{written:?}");
    let record = nurie::metadata::read_settings_from_png(&written[0]).unwrap().record;
    assert_eq!(
        (record.settings.prompt.as_str(), record.settings.seed, record.settings.steps),
        ("1girl, flat color, 線画", 42, 3)
    );
    assert_eq!(record.controlnets.len(), 1, "the dropped line art guided the picture");
    // The picture is in the history at once, with a copy of the line art that made it.
    let history = nurie::history::Library::in_home(&home).expect("history").library;
    let found = history.search(&nurie::history::Query::parse("線画"), 0, 10).expect("search");
    assert_eq!(found.len(), 1, "{found:?}");
    let details = history.details(found[0].id).expect("details");
    let kept = details.line_art_path.expect("the line art is recorded");
    assert!(kept.starts_with(home.join("inputs")), "a copy is kept in Nurie's home: {kept:?}");
    assert_eq!(std::fs::read(&kept).ok(), std::fs::read(fixture("control/lineart_input.png")).ok());
    assert!(harness.state().notices.is_empty(), "{:?}", harness.state().notices);
    // The settings are remembered for the next start (written at the latest when the window closes).
    harness.state_mut().shut_down();
    let saved = nurie::app::settings::AppSettings::load(&home).settings;
    assert_eq!(saved.form.settings.prompt, "1girl, flat color, 線画");
}

#[test]
fn a_running_job_is_cancelled_and_a_queued_one_removed() {
    let home = home("cancel", |s| {
        s.checkpoint = Some(checkpoint());
        s.form.settings.steps = 40;
    });
    let mut harness = harness(home.clone());
    harness.run_steps(2);
    harness.get_by_label("Generate").click();
    harness.run_steps(1);
    harness.get_by_label("Generate").click();
    harness.run_steps(1);
    // Jobs are held until the checkpoint is identified (its license checked), then all are queued.
    wait_until(&mut harness, MINUTE, "the license check", |app| !app.is_checking_license());
    assert_eq!(harness.state().queue.pending().count(), 1, "the second job waits");
    wait_until(&mut harness, MINUTE, "the first step", |app| app.queue.running().is_some_and(|r| r.progress.latest.is_some()));
    // The waiting job leaves the queue through its menu; Esc stops the running one.
    harness.get_by_label_contains("Queue: 1").click();
    harness.run_steps(2);
    harness.get_by_label("×").click();
    harness.run_steps(1);
    assert_eq!(harness.state().queue.pending().count(), 0);
    harness.key_press(egui::Key::Escape);
    wait_until(&mut harness, MINUTE, "the job to stop", |app| app.queue.is_idle());
    let step = harness.state().queue.running().and_then(|r| r.progress.latest);
    assert!(step.is_none());
    assert!(harness.state().gallery.items.is_empty());
    assert!(pngs(&home.join("outputs")).is_empty(), "nothing written half");
    assert!(harness.state().notices.iter().any(|n| n.text.starts_with("Cancelled")), "{:?}", harness.state().notices);
}

#[test]
fn a_corrupt_checkpoint_is_explained_and_the_app_keeps_running() {
    let home = home("corrupt", |_| {});
    let corrupt = home.join("broken-model.safetensors");
    std::fs::write(&corrupt, b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all").unwrap();
    let mut settings = nurie::app::settings::AppSettings::load(&home).settings;
    settings.recent.checkpoints.insert(0, corrupt.clone());
    settings.save(&home).unwrap();
    let mut harness = harness(home);
    harness.run_steps(2);
    checkpoint_picker(&harness).click();
    harness.run_steps(2);
    harness.get_by_label("broken-model.safetensors").click();
    wait_until(&mut harness, MINUTE, "the load error", |app| !app.notices.is_empty());
    harness.run_steps(2);
    harness.get_by_label_contains("broken-model.safetensors");
    harness.get_by_label_contains("Stable Diffusion 1.5 checkpoint");
    // Still alive: the good model loads afterwards.
    checkpoint_picker(&harness).click();
    harness.run_steps(2);
    harness.get_by_label("sd15-dev-fp16.safetensors").click();
    wait_until(&mut harness, MINUTE, "the good model", |app| {
        matches!(app.model_status, nurie::app::nurie_app::ModelStatus::Ready { .. })
    });
}

/// Every screen in Japanese: each glyph renders (the harness fails on a missing one), and no text on
/// screen is English (names such as ControlNet, file names and what the user typed aside).
#[test]
fn the_japanese_ui_renders_every_glyph_and_no_english() {
    let home = home("japanese", |s| {
        s.language = Some(nurie::app::i18n::Language::Japanese);
        s.form.settings.prompt = "線画に色を塗る、青い空".into();
        s.form.units[0].line_art = Some(fixture("control/lineart_input.png"));
        s.form.units[0].controlnet = Some(super::support::controlnet());
        s.checkpoint = Some(checkpoint());
        // The LoRA and embedding browser open, and a missing LoRA noted under the prompt.
        let (loras, embeddings) = super::networks::network_folders("japanese");
        (s.lora_folders, s.embedding_folders) = (vec![loras], vec![embeddings]);
        s.layout.networks_open = true;
        s.form.settings.prompt.push_str(" <lora:missing_one:1>");
    });
    let mut harness = harness(home);
    wait_until(&mut harness, MINUTE, "the line art", |app| app.units.first().is_some_and(|u| u.hint.is_some()));
    wait_until(&mut harness, MINUTE, "the LoRA folders", |app| app.networks.listing().is_some());
    harness.run_steps(3);
    harness.get_by_label("生成");
    harness.get_by_label("線画");
    harness.get_by_label("プロンプト");
    assert_eq!(english_on_screen(&harness), Vec::<String>::new(), "the workspace");
    // The pickers' and the menu's own words too.
    checkpoint_picker(&harness).click();
    harness.run_steps(2);
    harness.get_by_label("モデルフォルダーを追加…");
    assert_eq!(english_on_screen(&harness), Vec::<String>::new(), "the checkpoint picker");
    harness.key_press(egui::Key::Escape);
    harness.get_by_label("≡").click();
    harness.run_steps(2);
    harness.get_by_label_contains("モデルフォルダー（");
    harness.get_by_label_contains("LoRA フォルダー（");
    assert_eq!(english_on_screen(&harness), Vec::<String>::new(), "the menu");
    harness.key_press(egui::Key::Escape);
    harness.get_by_label_contains("missing_one という LoRA はありません");
    harness.get_by_label("flat_anime");
    harness.get_by_label_contains("埋め込み (1)").click();
    harness.run_steps(2);
    harness.get_by_label("easy_negative");
    assert_eq!(english_on_screen(&harness), Vec::<String>::new(), "the embeddings");
    harness.get_by_label("スタイル").click();
    harness.run_steps(2);
    harness.get_by_label_contains("styles.csv が見つかりません");
    assert_eq!(english_on_screen(&harness), Vec::<String>::new(), "the styles menu");
    harness.key_press(egui::Key::Escape);
    // The export dialog and the export's line in the status bar.
    let picture = std::env::temp_dir().join("00001-42.png");
    harness.state_mut().open_export_dialog(&picture);
    harness.state_mut().last_export = Some(picture.with_extension("psd"));
    harness.run_steps(3);
    harness.get_by_label("レイヤーの書き出し");
    harness.get_by_label_contains("色トレス");
    assert_eq!(english_on_screen(&harness), Vec::<String>::new(), "the export dialog");
    (harness.state_mut().export_dialog, harness.state_mut().last_export) = (None, None);
    for tab in ["履歴", "モデル情報"] {
        harness.get_by_label(tab).click();
        harness.run_steps(4);
        assert_eq!(english_on_screen(&harness), Vec::<String>::new(), "{tab}");
    }
    // The check does see English: the same screen in English is full of it.
    harness.state_mut().settings.language = Some(nurie::app::i18n::Language::English);
    harness.run_steps(3);
    assert!(english_on_screen(&harness).len() > 10, "{:?}", english_on_screen(&harness));
    harness.state_mut().shut_down();
}

/// Esc belongs to an open combo box first: it closes the box and the job runs on; the next Esc, with
/// nothing open, cancels the job.
#[test]
fn esc_closes_an_open_combo_before_it_cancels_the_job() {
    let home = home("esc", |s| {
        s.checkpoint = Some(checkpoint());
        s.form.settings.steps = 40;
    });
    let mut harness = harness(home);
    harness.run_steps(2);
    harness.get_by_label("Generate").click();
    wait_until(&mut harness, MINUTE, "the first step", |app| app.queue.running().is_some_and(|r| r.progress.latest.is_some()));
    let sampler = harness
        .get_all_by_role(Role::ComboBox)
        .find(|node| egui_kittest::kittest::NodeT::accesskit_node(node).label().as_deref() == Some("Sampler"));
    sampler.expect("the sampler combo").click();
    harness.run_steps(2);
    harness.get_by_label("Euler a");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(harness.query_by_label("Euler a").is_none(), "Esc closed the combo");
    let running = harness.state().queue.running().expect("the job runs on");
    assert!(!running.cancel_requested(), "Esc went to the combo, not to the job");
    harness.key_press(egui::Key::Escape);
    wait_until(&mut harness, MINUTE, "the job to stop", |app| app.queue.is_idle());
}

/// A dropped picture that carries generation settings (A1111's PNG Info) offers them instead of being
/// taken as line art; dropped model files go to their pickers.
#[test]
fn dropped_files_go_where_they_belong() {
    let home = home("dropped", |_| {});
    let mut harness = harness(home);
    harness.run_steps(2);
    let made_with_a1111 = fixture("metadata/pil_a1111_utf8.png");
    drop_file(&mut harness, made_with_a1111.clone());
    wait_until(&mut harness, MINUTE, "the question", |app| app.dropped_picture.is_some());
    harness.run_steps(2);
    harness.get_by_label("Settings found in this picture");
    harness.get_by_label("Use its settings").click();
    harness.run_steps(2);
    let record = nurie::metadata::read_settings_from_png(&made_with_a1111).unwrap().record;
    let form = &harness.state().settings.form;
    assert_eq!((form.settings.prompt.as_str(), form.settings.seed), (record.settings.prompt.as_str(), record.settings.seed));
    assert!(form.units[0].line_art.is_none(), "the picture was not taken as line art");

    drop_file(&mut harness, super::support::controlnet());
    wait_until(&mut harness, MINUTE, "the ControlNet", |app| {
        app.settings.form.units[0].controlnet.as_deref() == Some(super::support::controlnet().as_path())
    });
    drop_file(&mut harness, checkpoint());
    wait_until(&mut harness, MINUTE, "the checkpoint", |app| app.settings.checkpoint.as_deref() == Some(checkpoint().as_path()));
    drop_file(&mut harness, fixture("control/lineart_input.png"));
    wait_until(&mut harness, MINUTE, "the line art", |app| app.settings.form.units[0].line_art.is_some());
    assert!(harness.state().dropped_picture.is_none(), "a drawing is simply line art");
    harness.state_mut().shut_down();
}

/// An A1111 text pasted into the prompt box is read as settings with the ↙ button.
#[test]
fn pasted_a1111_settings_are_read_from_the_prompt_box() {
    let pasted = "1girl, watercolor\nNegative prompt: lowres\nSteps: 28, Sampler: Euler a, Schedule type: Automatic, CFG scale: 5.5, Seed: 1234, Size: 512x768";
    let home = home("pasted", |s| s.form.settings.prompt = pasted.into());
    let mut harness = harness(home);
    harness.run_steps(2);
    harness.get_by_label("Use these settings").click();
    harness.run_steps(2);
    let settings = &harness.state().settings.form.settings;
    assert_eq!((settings.prompt.as_str(), settings.negative_prompt.as_str()), ("1girl, watercolor", "lowres"));
    assert_eq!((settings.steps, settings.cfg_scale, settings.seed, settings.width, settings.height), (28, 5.5, 1234, 512, 768));
    assert_eq!(settings.sampler.stored_name(), "euler_a");
    harness.state_mut().shut_down();
}

/// A prompt pasted from A1111 with a LoRA Nurie cannot find or `AND` says, under the prompt box, why,
/// instead of a silently different picture (more in `networks.rs`).
#[test]
fn missing_loras_and_and_are_noted_under_the_prompt() {
    let home = home("lora-note", |s| s.form.settings.prompt = "1girl, <lora:flat_anime:0.8> AND a cat".into());
    let mut harness = harness(home);
    wait_until(&mut harness, MINUTE, "the LoRA folders to be listed", |app| app.networks.listing().is_some());
    harness.run_steps(2);
    harness.get_by_label_contains("No LoRA named flat_anime in ");
    harness.get_by_label("AND (A1111's composable diffusion) is not supported: it is read as words");
    harness.state_mut().shut_down();
}
