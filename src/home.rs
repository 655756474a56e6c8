//! Nurie's one home: settings, database, caches and (by default) pictures live under one data
//! directory — the OS default, or `NURIE_HOME` when set (tests and portable installs use it).

use std::path::PathBuf;

/// The environment variable that moves Nurie's home.
pub const HOME_VARIABLE: &str = "NURIE_HOME";

#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error("no home folder is known for this user; set {HOME_VARIABLE} to a folder Nurie may use")]
    Unknown,
}

/// The data directory: `$NURIE_HOME`, else the OS default (`~/.local/share/nurie` on Linux,
/// `~/Library/Application Support/app.nurie.Nurie` on macOS, `%APPDATA%\nurie\Nurie\data` on Windows).
pub fn data_dir() -> Result<PathBuf, HomeError> {
    if let Some(home) = moved_home() {
        return Ok(home);
    }
    directories::ProjectDirs::from("app", "nurie", "Nurie").map(|dirs| dirs.data_dir().to_path_buf()).ok_or(HomeError::Unknown)
}

/// Where pictures go unless the user chose a folder: `$NURIE_HOME/outputs` when the home is moved
/// (so tests never touch the user's pictures), else the OS pictures folder's `Nurie`.
pub fn default_output_dir() -> Result<PathBuf, HomeError> {
    if let Some(home) = moved_home() {
        return Ok(home.join("outputs"));
    }
    let pictures = directories::UserDirs::new().and_then(|dirs| dirs.picture_dir().map(|p| p.to_path_buf()));
    match pictures {
        Some(folder) => Ok(folder.join("Nurie")),
        None => Ok(data_dir()?.join("outputs")),
    }
}

/// `$NURIE_HOME`, when it is set and not empty.
fn moved_home() -> Option<PathBuf> {
    std::env::var_os(HOME_VARIABLE).filter(|v| !v.is_empty()).map(PathBuf::from)
}
