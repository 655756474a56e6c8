//! A home folder with settings, a harness around the real app, and waiting for the worker.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use nurie::app::NurieApp;
use nurie::app::model_search::SearchPlaces;
use nurie::app::settings::AppSettings;
use nurie::model_library::SearchBases;

pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(relative)
}

pub fn checkpoint() -> PathBuf {
    fixture("parity/sd15-dev-fp16.safetensors")
}

pub fn controlnet() -> PathBuf {
    fixture("parity/controlnet-lineart-dev-fp16.safetensors")
}

/// A fresh home with `settings`: the CPU device, small and fast generations, outputs inside the home.
pub fn home(name: &str, adjust: impl FnOnce(&mut AppSettings)) -> PathBuf {
    let home = std::env::temp_dir().join(format!("nurie-app-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).expect("temp home");
    let mut settings = AppSettings { device: nurie::runtime::DeviceChoice::Cpu, ..AppSettings::default() };
    settings.language = Some(nurie::app::i18n::Language::English);
    settings.output_folder = Some(home.join("outputs"));
    settings.recent.checkpoints = vec![checkpoint()];
    settings.recent.controlnets = vec![controlnet()];
    // A returning user's window; the first-run screen has its own test.
    settings.welcome_done = true;
    let form = &mut settings.form;
    (form.settings.steps, form.settings.width, form.settings.height, form.settings.seed, form.settings.cfg_scale) =
        (3, 64, 96, 42, 6.0);
    form.random_seed = false;
    adjust(&mut settings);
    settings.save(&home).expect("settings written");
    home
}

/// The app on `home`, looking for other tools' installs nowhere (the test machine's own folders stay out).
pub fn harness(home: PathBuf) -> Harness<'static, NurieApp> {
    harness_searching(home, SearchBases::default())
}

/// The app on `home` in a window tall enough to show what lies under the line-art unit (the Reference,
/// Characters and Pages sections) without scrolling.
pub fn tall_harness(home: PathBuf) -> Harness<'static, NurieApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 1800.0))
        .build_eframe(move |cc| NurieApp::with_model_search(&cc.egui_ctx, home, SearchPlaces::Given(SearchBases::default())))
}

/// The app on `home`, looking for other tools' installs under `bases`.
pub fn harness_searching(home: PathBuf, bases: SearchBases) -> Harness<'static, NurieApp> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| NurieApp::with_model_search(&cc.egui_ctx, home, SearchPlaces::Given(bases)))
}

/// Steps frames until `done` holds, failing after `timeout`.
pub fn wait_until(harness: &mut Harness<'_, NurieApp>, timeout: Duration, what: &str, done: impl Fn(&NurieApp) -> bool) {
    let start = Instant::now();
    loop {
        harness.step();
        if done(harness.state()) {
            return;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}; notices: {:?}", harness.state().notices);
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Drags with the primary button from `from` to `to` (fractions of the widget labelled `canvas`) in a
/// few moves, a frame each, as a hand paints a stroke.
pub fn drag(harness: &mut Harness<'_, NurieApp>, from: egui::Vec2, to: egui::Vec2, canvas: &str) {
    use egui_kittest::kittest::Queryable;
    let rect = harness.get_by_label(canvas).rect();
    let at = |t: f32| rect.min + (from + (to - from) * t) * rect.size();
    harness.hover_at(at(0.0));
    harness.step();
    harness.drag_at(at(0.0));
    harness.step();
    for step in 1..=4 {
        harness.hover_at(at(step as f32 / 4.0));
        harness.step();
    }
    harness.drop_at(at(1.0));
    harness.run_steps(2);
}

/// A file dropped on the window, as the OS integration hands it over.
#[derive(Debug)]
pub struct Dropped(pub PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

pub fn drop_file(harness: &mut Harness<'_, NurieApp>, path: PathBuf) {
    harness.input_mut().dropped_files.push(Arc::new(Dropped(path)));
}

/// The PNG files in a folder.
pub fn pngs(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else { return vec![] };
    let mut files: Vec<PathBuf> =
        entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "png")).collect();
    files.sort();
    files
}

/// Words the Japanese window may show in Latin letters: names of tools, models, formats, samplers and
/// keys, which Japanese users know by these names too, and "English" in the language menu (each language
/// is listed by its own name).
const NAMES: &[&str] = &[
    "nurie",
    "controlnet",
    "vae",
    "lora",
    "sd",
    "a1111",
    "automatic1111",
    "comfyui",
    "forge",
    "invokeai",
    "cpu",
    "gpu",
    "nv",
    "clip",
    "skip",
    "cfg",
    "img2img",
    "png",
    "jpeg",
    "webp",
    "bmp",
    "euler",
    "dpm",
    "karras",
    "ddim",
    "unipc",
    "unet",
    "none",
    "invert",
    "binarize",
    "mit",
    "openrail",
    "creativeml",
    "hugging",
    "face",
    "lllyasviel",
    "vulkan",
    "linux",
    "windows",
    "macos",
    "ctrl",
    "enter",
    "esc",
    "autov1",
    "autov2",
    "sha",
    "burn",
    "flex",
    "lavapipe",
    "llvmpipe",
    // Mesa's software adapter names itself "llvmpipe (LLVM 15.0.6, 256 bits)": the driver's words.
    "bits",
    "mesa",
    "stable",
    "diffusion",
    "novelai",
    "gb",
    "mb",
    "english",
    // Layered file formats and the programs that open them.
    "openraster",
    "photoshop",
    "krita",
    "mypaint",
];

/// egui's own words for screen readers, which it does not translate.
const EGUI_WORDS: &[&str] = &["Resize panel"];

/// The texts on screen that contain an English word: every accessible label and value except what the
/// user typed (text fields), file names and paths, and egui's own words. The Japanese window must show
/// none.
pub fn english_on_screen(harness: &Harness<'_, NurieApp>) -> Vec<String> {
    use egui::accesskit::Role;
    use egui_kittest::kittest::{NodeT, Queryable};
    let typed = |role: Role| matches!(role, Role::TextInput | Role::MultilineTextInput | Role::SearchInput);
    let text = |node: egui_kittest::Node<'_>| {
        let node = node.accesskit_node();
        node.label().or_else(|| node.value())
    };
    let typed_texts: Vec<String> = harness
        .query_all(egui_kittest::kittest::by().predicate(move |node| typed(node.role())))
        .filter_map(|node| node.accesskit_node().value())
        .collect();
    let mut found: Vec<String> = harness
        .query_all(egui_kittest::kittest::by().predicate(move |node| !typed(node.role())))
        .filter_map(text)
        .filter(|text| !typed_texts.contains(text) && !EGUI_WORDS.contains(&text.as_str()))
        .filter(|text| has_english_word(text))
        .collect();

    found.sort();
    found.dedup();
    found
}

fn has_english_word(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || "()（）[]【】,、。:：;・·…!?！？\"'“”「」+×=<>".contains(c))
        .filter(|word| !word.is_empty())
        // File names, paths, hashes and numbers are data, not words of the interface.
        .filter(|word| !word.contains(['.', '_', '/', '\\']) && !word.chars().any(|c| c.is_ascii_digit()))
        .map(|word| word.trim_matches('-'))
        // Acronyms (EMA, LDM, GB) are names too.
        .filter(|word| !word.chars().all(|c| c.is_ascii_uppercase()))
        .any(|word| {
            let letters = word.chars().filter(char::is_ascii_alphabetic).count();
            letters >= 2 && letters == word.chars().count() && !NAMES.contains(&word.to_ascii_lowercase().as_str())
        })
}
