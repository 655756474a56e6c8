//! What Nurie remembers between runs, in `settings.json` under its home (see [`crate::home`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::runtime::{DeviceChoice, Precision};

use super::form::GenerationForm;
use super::i18n::Language;

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
}

impl Default for Layout {
    fn default() -> Self {
        Self { controls_width: 360.0, line_art_width: 380.0, gallery_height: 120.0, overlay_lines: false }
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
}

/// Settings read at start, and what went wrong reading them (shown once in the window).
pub struct Loaded {
    pub settings: AppSettings,
    pub warning: Option<String>,
}

impl AppSettings {
    /// Reads the settings of `home`. A missing file gives the defaults; an unreadable one too, after
    /// moving it aside to `settings.json.broken` so nothing the user had is overwritten silently.
    pub fn load(home: &Path) -> Loaded {
        let path = home.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded { settings: Self::default(), warning: None },
            Err(e) => return Loaded { settings: Self::default(), warning: Some(format!("cannot read {}: {e}", path.display())) },
        };
        match serde_json::from_str(&text) {
            Ok(settings) => Loaded { settings, warning: None },
            Err(e) => {
                let aside = home.join(format!("{FILE_NAME}.broken"));
                let _ = std::fs::rename(&path, &aside);
                let warning = format!(
                    "the settings in {} were unreadable ({e}); they were moved to {} and defaults are used",
                    path.display(),
                    aside.display()
                );
                Loaded { settings: Self::default(), warning: Some(warning) }
            }
        }
    }

    /// Writes the settings atomically (temporary file, fsync, rename).
    pub fn save(&self, home: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(home)?;
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let temporary = home.join(format!("{FILE_NAME}.tmp"));
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(&json)?;
            file.sync_all()?;
        }
        std::fs::rename(&temporary, home.join(FILE_NAME))
    }

    pub fn language(&self) -> Language {
        self.language.unwrap_or_else(Language::system)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_the_home_folder() {
        let home = tempfile::tempdir().unwrap();
        let mut settings = AppSettings { checkpoint: Some("/models/anything.safetensors".into()), ..AppSettings::default() };
        settings.form.prompt = "ぬりえ, flat color".into();
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
        assert!(loaded.warning.unwrap().contains("settings.json.broken"));
        assert!(home.path().join("settings.json.broken").exists());
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
}
