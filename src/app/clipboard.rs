//! Pictures through the system clipboard: pasted ones become line art files (egui's Ctrl+V event
//! carries a picture too, see [`save_by_content`]); copied ones go out through egui.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::i18n::Texts;

/// Why a picture could not be pasted, put into words by the window in its language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasteError {
    Unavailable(String),
    NoImage,
    Unreadable,
    Save(String),
}

impl PasteError {
    pub fn text(&self, texts: &Texts) -> String {
        match self {
            PasteError::Unavailable(e) => (texts.clipboard_unavailable)(e),
            PasteError::NoImage => texts.clipboard_has_no_image.to_string(),
            PasteError::Unreadable => texts.clipboard_image_unreadable.to_string(),
            PasteError::Save(e) => (texts.cannot_save_pasted)(e),
        }
    }
}

/// Saves the clipboard's image as a PNG in `folder`, named by the SHA-256 of its pixels.
pub fn paste_image(folder: &Path) -> Result<PathBuf, PasteError> {
    let mut clipboard = arboard::Clipboard::new().map_err(|e| PasteError::Unavailable(e.to_string()))?;
    let data = clipboard.get_image().map_err(|_| PasteError::NoImage)?;
    let rgba = image::RgbaImage::from_raw(data.width as u32, data.height as u32, data.bytes.into_owned())
        .ok_or(PasteError::Unreadable)?;
    save_by_content(folder, &rgba)
}

/// Writes `image` as `<sha256>-WxH.png` in `folder` unless that file already exists.
pub fn save_by_content(folder: &Path, image: &image::RgbaImage) -> Result<PathBuf, PasteError> {
    let digest = crate::provenance::hash::hex(&Sha256::digest(image.as_raw())[..16]);
    let path = folder.join(format!("{digest}-{}x{}.png", image.width(), image.height()));
    if path.exists() {
        return Ok(path);
    }
    let save_error = |e: &dyn std::fmt::Display| PasteError::Save(format!("{}: {e}", path.display()));
    std::fs::create_dir_all(folder).map_err(|e| save_error(&e))?;
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).map_err(|e| save_error(&e))?;
    crate::atomic_write::write_file_atomically(&path, bytes.get_ref()).map_err(|e| save_error(&e))?;
    Ok(path)
}

/// Puts `picture` on the clipboard through egui (eframe hands it to the OS).
pub fn copy_image(ctx: &egui::Context, picture: &image::RgbImage) {
    let color = egui::ColorImage::from_rgb([picture.width() as usize, picture.height() as usize], picture.as_raw());
    ctx.copy_image(color);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_pasted_picture_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let picture = image::RgbaImage::from_pixel(3, 2, image::Rgba([10, 20, 30, 255]));
        let first = save_by_content(dir.path(), &picture).unwrap();
        let second = save_by_content(dir.path(), &picture).unwrap();
        assert_eq!(first, second);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(image::open(&first).unwrap().to_rgba8(), picture);
    }
}
