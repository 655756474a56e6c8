//! Card pictures: the preview A1111 users keep beside a network file (`NAME.preview.png`, or
//! `NAME.png`, also in JPEG and WebP), decoded and shrunk on the browser's service thread.

use std::path::{Path, PathBuf};

/// The longest side of a card picture, in pixels.
pub const SIZE: u32 = 128;
const EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "webp"];

/// The preview beside `network` (A1111's `find_preview` order: `.preview.EXT` first, then `.EXT`).
pub fn preview_file(network: &Path) -> Option<PathBuf> {
    let stem = network.with_extension("");
    let with = |suffix: String| {
        let mut path = stem.clone().into_os_string();
        path.push(suffix);
        PathBuf::from(path)
    };
    let preview = EXTENSIONS.iter().map(|extension| with(format!(".preview.{extension}")));
    let plain = EXTENSIONS.iter().map(|extension| with(format!(".{extension}")));
    preview.chain(plain).find(|path| path.is_file())
}

/// The card picture of `network`, or `None` when it has no preview or the preview cannot be read.
pub fn thumbnail(network: &Path) -> Option<egui::ColorImage> {
    let picture = image::ImageReader::open(preview_file(network)?).ok()?.with_guessed_format().ok()?.decode().ok()?;
    let small = picture.thumbnail(SIZE, SIZE).to_rgba8();
    let size = [small.width() as usize, small.height() as usize];
    Some(egui::ColorImage::from_rgba_unmultiplied(size, small.as_raw()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_beside_the_file_is_found_and_shrunk() {
        let folder = tempfile::tempdir().expect("temp");
        let network = folder.path().join("flat.v2.safetensors");
        std::fs::write(&network, b"x").expect("file");
        assert_eq!(preview_file(&network), None);
        assert!(thumbnail(&network).is_none());
        image::RgbImage::new(512, 256).save(folder.path().join("flat.v2.png")).expect("png");
        assert_eq!(preview_file(&network), Some(folder.path().join("flat.v2.png")));
        image::RgbImage::new(256, 512).save(folder.path().join("flat.v2.preview.png")).expect("png");
        assert_eq!(preview_file(&network), Some(folder.path().join("flat.v2.preview.png")), "A1111's own name first");
        assert_eq!(thumbnail(&network).map(|image| image.size), Some([64, 128]));
        std::fs::write(folder.path().join("flat.v2.preview.png"), b"not a picture").expect("file");
        assert!(thumbnail(&network).is_none(), "a broken preview is no preview");
    }
}
