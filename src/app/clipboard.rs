//! Images through the system clipboard (egui's own clipboard carries text only).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Saves the clipboard's image as a PNG in `folder`, named by the SHA-256 of its pixels.
pub fn paste_image(folder: &Path) -> Result<PathBuf, String> {
    let mut clipboard = arboard::Clipboard::new().map_err(|e| format!("the clipboard is not available: {e}"))?;
    let data = clipboard.get_image().map_err(|e| format!("the clipboard holds no image: {e}"))?;
    let rgba = image::RgbaImage::from_raw(data.width as u32, data.height as u32, data.bytes.into_owned())
        .ok_or_else(|| "the clipboard image has an unexpected size".to_string())?;
    save_by_content(folder, &rgba)
}

/// Writes `image` as `<sha256>.png` in `folder` unless that file already exists.
pub fn save_by_content(folder: &Path, image: &image::RgbaImage) -> Result<PathBuf, String> {
    let digest: String = Sha256::digest(image.as_raw()).iter().take(16).map(|b| format!("{b:02x}")).collect();
    let path = folder.join(format!("{digest}-{}x{}.png", image.width(), image.height()));
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    let temporary = path.with_extension("png.tmp");
    image
        .save_with_format(&temporary, image::ImageFormat::Png)
        .and_then(|()| std::fs::rename(&temporary, &path).map_err(image::ImageError::IoError))
        .map_err(|e| format!("cannot save the pasted image to {}: {e}", path.display()))?;
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
