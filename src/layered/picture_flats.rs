//! The flats (下塗り) of a picture Nurie made, on their own: rebuilt from the PNG and its kept line art
//! exactly as the hidden "Flats" layer is (see [`super::picture`]), for the window's Flats view, and
//! written beside the picture under the name `nurie generate --flats` uses.

use std::path::{Path, PathBuf};

use image::RgbImage;

use super::compose::flats_of;
use super::error::{LayeredError, Result};
use super::picture::{kept_drawing, sources_of_unit};
use crate::atomic_write::write_file_atomically;
use crate::flats::{Flats, FlatsSettings};
use crate::metadata::read_settings_from_png;
use crate::output::KeptInputs;

/// The flats of `picture` at its size, with the line art found in `kept`.
pub fn flats_for_picture(picture: &Path, kept: &KeptInputs, settings: &FlatsSettings) -> Result<Flats> {
    let picture_error = |message: String| LayeredError::Picture { picture: picture.to_path_buf(), message };
    let parsed = read_settings_from_png(picture).map_err(|e| picture_error(e.to_string()))?;
    let unit = parsed.record.controlnets.first().ok_or_else(|| LayeredError::NoLineArt { picture: picture.to_path_buf() })?;
    let drawing = kept_drawing(picture, unit, kept)?;
    let color = image::open(picture).map_err(|e| picture_error(e.to_string()))?.to_rgb8();
    flats_of(&sources_of_unit(unit, color, drawing), settings)
}

/// `NNNNN-SEED-flats.png` beside `NNNNN-SEED.png`.
pub fn flats_png_beside(picture: &Path) -> PathBuf {
    let stem = picture.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
    picture.with_file_name(format!("{stem}-flats.png"))
}

/// Writes `flats` to `path` as a PNG, whole or not at all.
pub fn write_flats_png(flats: &RgbImage, path: &Path) -> Result<()> {
    let write_error = |message: String| LayeredError::Write { path: path.to_path_buf(), message };
    let mut bytes = Vec::new();
    flats.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).map_err(|e| write_error(e.to_string()))?;
    write_file_atomically(path, &bytes).map_err(|e| write_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flats_png_is_named_after_the_picture() {
        let beside = flats_png_beside(Path::new("out/00012-1234.png"));
        assert_eq!(beside, Path::new("out/00012-1234-flats.png"));
    }

    #[test]
    fn a_picture_without_settings_has_no_flats() {
        let scratch = tempfile::tempdir().unwrap();
        let plain = scratch.path().join("plain.png");
        RgbImage::new(8, 8).save(&plain).unwrap();
        let made = flats_for_picture(&plain, &KeptInputs::in_home(scratch.path()), &FlatsSettings::default());
        assert!(matches!(made, Err(LayeredError::Picture { .. })), "{made:?}");
    }

    #[test]
    fn flats_are_written_whole() {
        let scratch = tempfile::tempdir().unwrap();
        let path = scratch.path().join("00001-2-flats.png");
        write_flats_png(&RgbImage::from_pixel(4, 3, image::Rgb([9, 8, 7])), &path).unwrap();
        assert_eq!(image::open(&path).unwrap().to_rgb8().dimensions(), (4, 3));
    }
}
