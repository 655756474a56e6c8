//! What Nurie remembers between runs, in `settings.json` under its home (see [`crate::home`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::runtime::{DeviceChoice, Precision};

use super::form::GenerationForm;
use super::i18n::{Language, Texts};
use super::layer_export::ExportOptions;
use crate::layered::LayeredFormat;

/// How many files each recent list keeps.
const RECENT_LIMIT: usize = 10;
const FILE_NAME: &str = "settings.json";

/// Files the user picked lately, most recent first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecentModels {
    pub checkpoints: Vec<PathBuf>,
    pub vaes: Vec<PathBuf>,
    pub controlnets: Vec<PathBuf>,
}

/// Puts `path` first in `list`, once, keeping at most [`RECENT_LIMIT`] entries.
pub fn remember(list: &mut Vec<PathBuf>, path: &Path) {
    list.retain(|p| p != path);
    list.insert(0, path.to_path_buf());
    list.truncate(RECENT_LIMIT);
}

/// Panel sizes and view toggles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Layout {
    pub controls_width: f32,
    pub line_art_width: f32,
    pub gallery_height: f32,
    pub overlay_lines: bool,
    /// The LoRA and embedding browser beside the prompt is shown, this wide.
    pub networks_open: bool,
    pub networks_width: f32,
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            controls_width: 360.0,
            line_art_width: 380.0,
            gallery_height: 120.0,
            overlay_lines: false,
            networks_open: false,
            networks_width: 300.0,
        }
    }
}

/// Where the window was and how big, in logical points, to open it the same way next time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowPlacement {
    pub size: [f32; 2],
    /// `None` where the system does not tell windows where they are (Wayland).
    pub position: Option<[f32; 2]>,
    pub maximized: bool,
}

impl WindowPlacement {
    /// The window's placement now; `None` while minimized or before the system said.
    pub fn of(viewport: &egui::ViewportInfo) -> Option<WindowPlacement> {
        if viewport.minimized == Some(true) {
            return None;
        }
        let size = viewport.inner_rect?.size();
        let position = viewport.outer_rect.map(|rect| [rect.min.x.round(), rect.min.y.round()]);
        Some(WindowPlacement { size: [size.x.round(), size.y.round()], position, maximized: viewport.maximized == Some(true) })
    }

    /// `builder` opening the window where it was: sizes below `min` (a smaller screen since) are raised.
    pub fn apply(&self, builder: egui::ViewportBuilder, min: [f32; 2]) -> egui::ViewportBuilder {
        let size = [self.size[0].max(min[0]), self.size[1].max(min[1])];
        let builder = builder.with_inner_size(size).with_maximized(self.maximized);
        match self.position {
            Some(position) => builder.with_position(position),
            None => builder,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppSettings {
    /// `None` follows the system locale.
    pub language: Option<Language>,
    pub checkpoint: Option<PathBuf>,
    pub vae: Option<PathBuf>,
    pub recent: RecentModels,
    /// Folders the user added to the model search, besides the known installs.
    pub model_folders: Vec<PathBuf>,
    /// Folders the user added to those prompts' LoRA names are looked for in (before the installs').
    pub lora_folders: Vec<PathBuf>,
    /// Folders the user added to those prompts' embedding names are looked for in.
    pub embedding_folders: Vec<PathBuf>,
    /// `None`: the default output folder ([`crate::home::default_output_dir`]).
    pub output_folder: Option<PathBuf>,
    pub device: DeviceChoice,
    pub precision: Precision,
    pub form: GenerationForm,
    pub layout: Layout,
    /// SHA-256s of the models whose non-commercial license the user said not to be asked about again.
    pub license_acknowledged: Vec<String>,
    /// The user left the first-run welcome screen ("Start coloring").
    pub welcome_done: bool,
    /// The window's size and position when it was last open.
    pub window: Option<WindowPlacement>,
    /// Layered files: the options last chosen, and whether each new picture gets them.
    pub export: ExportSettings,
}

/// The layered-export choices, remembered: the dialog starts from them, and with `always` on every
/// finished picture is also written as the formats ticked here, beside its PNG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportSettings {
    pub options: ExportOptions,
    /// Off by default: a layered file is several times the PNG's size.
    pub always: bool,
    pub psd: bool,
    pub ora: bool,
}

impl Default for ExportSettings {
    fn default() -> Self {
        Self { options: ExportOptions::default(), always: false, psd: true, ora: false }
    }
}

impl ExportSettings {
    /// The formats "always export" writes.
    pub fn formats(&self) -> Vec<LayeredFormat> {
        [(self.psd, LayeredFormat::Psd), (self.ora, LayeredFormat::Ora)]
            .into_iter()
            .filter_map(|(on, format)| on.then_some(format))
            .collect()
    }
}

/// Settings read at start, and what went wrong reading them (shown once in the window).
pub struct Loaded {
    pub settings: AppSettings,
    pub warning: Option<SettingsProblem>,
}

/// Why the saved settings were not used, put into words by the window in its language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsProblem {
    CannotRead {
        path: PathBuf,
        error: String,
    },
    /// Unreadable, moved to `aside`.
    SetAside {
        path: PathBuf,
        error: String,
        aside: PathBuf,
    },
}

impl SettingsProblem {
    pub fn text(&self, texts: &Texts) -> String {
        match self {
            SettingsProblem::CannotRead { path, error } => (texts.cannot_read_settings)(&path.display().to_string(), error),
            SettingsProblem::SetAside { path, error, aside } => {
                (texts.settings_set_aside)(&path.display().to_string(), error, &aside.display().to_string())
            }
        }
    }
}

impl AppSettings {
    /// Reads the settings of `home`. A missing file gives the defaults; an unreadable one too, after
    /// moving it aside to `settings.json.broken` so nothing the user had is overwritten silently. Files
    /// written by Nurie 0.1 are read through [`upgrade_form`].
    pub fn load(home: &Path) -> Loaded {
        let path = home.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded { settings: Self::default(), warning: None },
            Err(e) => {
                let warning = SettingsProblem::CannotRead { path, error: e.to_string() };
                return Loaded { settings: Self::default(), warning: Some(warning) };
            }
        };
        let parsed = serde_json::from_str::<serde_json::Value>(&text).and_then(|mut value| {
            if let Some(form) = value.get_mut("form") {
                upgrade_form(form);
            }
            serde_json::from_value(value)
        });
        match parsed {
            Ok(settings) => Loaded { settings, warning: None },
            Err(e) => {
                let aside = home.join(format!("{FILE_NAME}.broken"));
                let _ = std::fs::rename(&path, &aside);
                let warning = SettingsProblem::SetAside { path, error: e.to_string(), aside };
                Loaded { settings: Self::default(), warning: Some(warning) }
            }
        }
    }

    /// Writes the settings atomically (see [`crate::atomic_write`]); two windows saving at once each
    /// write a whole file, the last one wins.
    pub fn save(&self, home: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(home)?;
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::atomic_write::write_file_atomically(&home.join(FILE_NAME), &json)
    }

    pub fn language(&self) -> Language {
        self.language.unwrap_or_else(Language::system)
    }
}

/// Renames the form fields of Nurie 0.1's settings files to today's, so a user's prompt and settings
/// survive the update: seed −1 (random) became `random_seed`, `batch_count` the settings'
/// `batch_size`, `init.image`/`init.strength` became `init_image`/`denoising_strength`, and a unit's
/// `settings`, `start`, `end` and `mode` became `line_art_settings`, `guidance_start`, `guidance_end`
/// and `control_mode`. Files already in today's form pass unchanged.
fn upgrade_form(form: &mut serde_json::Value) {
    let Some(form) = form.as_object_mut() else { return };
    let old_seed = form.get("seed").and_then(serde_json::Value::as_i64).filter(|_| !form.contains_key("random_seed"));
    if let Some(seed) = old_seed {
        form.insert("random_seed".into(), (seed < 0).into());
        form.insert("seed".into(), seed.max(0).into());
    }
    rename(form, "batch_count", "batch_size");
    if let Some(serde_json::Value::Object(mut init)) = form.remove("init") {
        if let Some(image) = init.remove("image") {
            form.insert("init_image".into(), image);
        }
        if let Some(strength) = init.remove("strength") {
            form.insert("denoising_strength".into(), strength);
        }
    }
    let units = form.get_mut("units").and_then(serde_json::Value::as_array_mut).into_iter().flatten();
    for unit in units.filter_map(serde_json::Value::as_object_mut) {
        for (old, new) in
            [("settings", "line_art_settings"), ("start", "guidance_start"), ("end", "guidance_end"), ("mode", "control_mode")]
        {
            rename(unit, old, new);
        }
    }
}

fn rename(object: &mut serde_json::Map<String, serde_json::Value>, old: &str, new: &str) {
    if !object.contains_key(new)
        && let Some(value) = object.remove(old)
    {
        object.insert(new.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_the_home_folder() {
        let home = tempfile::tempdir().unwrap();
        let mut settings = AppSettings { checkpoint: Some("/models/anything.safetensors".into()), ..AppSettings::default() };
        settings.form.settings.prompt = "ぬりえ, flat color".into();
        settings.language = Some(Language::Japanese);
        settings.save(home.path()).unwrap();
        let loaded = AppSettings::load(home.path());
        assert!(loaded.warning.is_none());
        assert_eq!(loaded.settings, settings);
    }

    #[test]
    fn a_corrupt_file_gives_defaults_a_warning_and_is_kept_aside() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(FILE_NAME), b"{ not json").unwrap();
        let loaded = AppSettings::load(home.path());
        assert_eq!(loaded.settings, AppSettings::default());
        let warning = loaded.warning.unwrap().text(Language::English.texts());
        assert!(warning.contains("settings.json.broken"), "{warning}");
        assert!(home.path().join("settings.json.broken").exists());
    }

    #[test]
    fn the_window_is_remembered_where_it_was_unless_minimized() {
        let mut viewport = egui::ViewportInfo {
            inner_rect: Some(egui::Rect::from_min_size(egui::pos2(104.0, 131.0), egui::vec2(1280.4, 801.6))),
            outer_rect: Some(egui::Rect::from_min_size(egui::pos2(100.2, 100.0), egui::vec2(1290.0, 840.0))),
            maximized: Some(false),
            ..Default::default()
        };
        let placement = WindowPlacement::of(&viewport).unwrap();
        assert_eq!(placement, WindowPlacement { size: [1280.0, 802.0], position: Some([100.0, 100.0]), maximized: false });
        viewport.minimized = Some(true);
        assert_eq!(WindowPlacement::of(&viewport), None, "a minimized window keeps its last placement");
        // A smaller screen since: the window opens at least at its minimum size.
        let tiny = WindowPlacement { size: [300.0, 200.0], position: None, maximized: false };
        let builder = tiny.apply(egui::ViewportBuilder::default(), [900.0, 600.0]);
        assert_eq!(builder.inner_size, Some(egui::vec2(900.0, 600.0)));
        assert_eq!(builder.position, None);
    }

    #[test]
    fn recent_lists_keep_the_newest_first_without_duplicates() {
        let mut list = Vec::new();
        for i in 0..12 {
            remember(&mut list, Path::new(&format!("/m/{i}")));
        }
        remember(&mut list, Path::new("/m/5"));
        assert_eq!(list.len(), RECENT_LIMIT);
        assert_eq!(list[0], PathBuf::from("/m/5"));
        assert_eq!(list.iter().filter(|p| p.ends_with("5")).count(), 1);
    }

    #[test]
    fn settings_of_nurie_0_1_keep_the_prompt_and_the_units() {
        let home = tempfile::tempdir().unwrap();
        let old = r#"{"form": {"prompt": "桜", "sampler": "dpmpp2m_karras", "seed": -1, "batch_count": 3,
            "units": [{"enabled": true, "line_art": "art.png", "settings": {"polarity": "black_on_white"},
                       "weight": 0.8, "start": 0.1, "end": 0.9, "mode": "prompt_more_important"}],
            "init": {"image": "start.png", "strength": 0.5}}}"#;
        std::fs::write(home.path().join(FILE_NAME), old).unwrap();
        let loaded = AppSettings::load(home.path());
        assert!(loaded.warning.is_none(), "{:?}", loaded.warning);
        let form = loaded.settings.form;
        assert_eq!(form.settings.prompt, "桜");
        assert_eq!(form.settings.sampler.stored_name(), "dpmpp_2m_karras");
        assert!(form.random_seed);
        assert_eq!((form.settings.batch_size, form.settings.denoising_strength), (3, Some(0.5)));
        assert_eq!(form.init_image, Some(PathBuf::from("start.png")));
        let unit = &form.units[0];
        assert_eq!(unit.line_art_settings.polarity, crate::vocabulary::Polarity::BlackOnWhite);
        assert_eq!((unit.guidance.weight, unit.guidance.guidance_start, unit.guidance.guidance_end), (0.8, 0.1, 0.9));
        assert_eq!(unit.guidance.control_mode, crate::vocabulary::ControlMode::PromptMoreImportant);
    }
}
