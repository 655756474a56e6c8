//! The ControlNet conditioning image ("hint"): RGB, white lines on black, values in [0, 1] = u8 / 255,
//! laid out `[3, H, W]` row-major, at the generation size. Not normalised to [−1, 1]: ControlNets take it as is.

use std::path::{Path, PathBuf};

use image::RgbImage;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};

use super::error::{ControlError, Result};
use crate::atomic_write::{is_name_taken, write_file_atomically, write_new_file_atomically};

/// A ControlNet hint, channel-planar: `data[c * height * width + y * width + x]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    pub width: u32,
    pub height: u32,
    pub data: Vec<f32>,
}

impl Hint {
    /// Converts an 8-bit control map (already white lines on black) into a hint.
    pub fn from_rgb8(map: &RgbImage) -> Hint {
        let (width, height) = map.dimensions();
        let plane = (width * height) as usize;
        let mut data = vec![0f32; 3 * plane];
        for (i, pixel) in map.pixels().enumerate() {
            for c in 0..3 {
                data[c * plane + i] = f32::from(pixel.0[c]) / 255.0;
            }
        }
        Hint { width, height, data }
    }

    /// The hint as an 8-bit picture (the inverse of [`Hint::from_rgb8`]).
    pub fn to_rgb8(&self) -> RgbImage {
        let plane = (self.width * self.height) as usize;
        RgbImage::from_fn(self.width, self.height, |x, y| {
            let i = (y * self.width + x) as usize;
            image::Rgb(std::array::from_fn(|c| unit_to_u8(self.data.get(c * plane + i).copied().unwrap_or(0.0))))
        })
    }

    /// True when the hint shows no lines at all (every value black): the ControlNet has nothing to follow,
    /// which usually means the line art did not come through (an empty layer, or lines the colour of
    /// the paper).
    pub fn is_blank(&self) -> bool {
        self.data.iter().all(|&v| v < 0.5 / 255.0)
    }

    /// Writes the hint as a PNG for inspection, atomically (see [`crate::atomic_write`]).
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        write_file_atomically(path, &self.png_bytes(path)?).map_err(|source| write_error(path, source))
    }

    /// Writes the hint as `STEM.png` in `folder`, or `STEM-2.png`, `STEM-3.png`… when that name is
    /// taken: an earlier run's hint is never replaced. Returns the path written.
    pub fn save_new_png(&self, folder: &Path, stem: &str) -> Result<PathBuf> {
        let bytes = self.png_bytes(&folder.join(format!("{stem}.png")))?;
        let mut last_error = None;
        for n in 1..=MAX_NAME_TRIES {
            let name = if n == 1 { format!("{stem}.png") } else { format!("{stem}-{n}.png") };
            let path = folder.join(name);
            match write_new_file_atomically(&path, &bytes) {
                Ok(()) => return Ok(path),
                Err(error) if is_name_taken(&error) => last_error = Some((path, error)),
                Err(error) => return Err(write_error(&path, error)),
            }
        }
        let (path, error) = last_error.unwrap_or_else(|| (folder.to_path_buf(), std::io::ErrorKind::AlreadyExists.into()));
        Err(write_error(&path, error))
    }

    fn png_bytes(&self, path: &Path) -> Result<Vec<u8>> {
        let image = self.to_rgb8();
        let mut bytes = Vec::new();
        PngEncoder::new(&mut bytes)
            .write_image(image.as_raw(), image.width(), image.height(), ExtendedColorType::Rgb8)
            .map_err(|e| ControlError::Encode { path: path.to_path_buf(), reason: e.to_string() })?;
        Ok(bytes)
    }
}

/// Names tried by [`Hint::save_new_png`] before giving up.
const MAX_NAME_TRIES: u32 = 1000;

fn unit_to_u8(value: f32) -> u8 {
    (value * 255.0).round().clamp(0.0, 255.0) as u8
}

fn write_error(path: &Path, source: std::io::Error) -> ControlError {
    ControlError::Write { path: path.to_path_buf(), source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// `--save-hint` once replaced the previous run's `hint-0.png`.
    #[test]
    fn a_new_hint_never_replaces_an_older_one() {
        let dir = tempfile::tempdir().unwrap();
        let hint = Hint::from_rgb8(&RgbImage::from_pixel(8, 8, Rgb([255, 255, 255])));
        std::fs::write(dir.path().join("hint-0.png"), b"an earlier run's hint").unwrap();
        let path = hint.save_new_png(dir.path(), "hint-0").unwrap();
        assert_eq!(path.file_name().unwrap(), "hint-0-2.png");
        assert_eq!(std::fs::read(dir.path().join("hint-0.png")).unwrap(), b"an earlier run's hint");
        assert_eq!(hint.save_new_png(dir.path(), "hint-0").unwrap().file_name().unwrap(), "hint-0-3.png");
    }

    #[test]
    fn data_is_channel_planar_and_scaled_by_255() {
        let map = RgbImage::from_fn(3, 2, |x, y| Rgb([x as u8 * 100, y as u8 * 255, 51]));
        let hint = Hint::from_rgb8(&map);
        assert_eq!((hint.width, hint.height, hint.data.len()), (3, 2, 18));
        assert_eq!(hint.data[2], 200.0 / 255.0, "R plane, row 0, x = 2");
        assert_eq!(hint.data[6 + 3], 1.0, "G plane, row 1, x = 0");
        assert_eq!(hint.data[12 + 5], 0.2, "B plane: 51/255");
        assert_eq!(hint.to_rgb8(), map);
    }

    #[test]
    fn save_png_writes_the_picture_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let map = RgbImage::from_fn(16, 8, |x, y| Rgb([(x * 16) as u8, (y * 32) as u8, 255]));
        let path = dir.path().join("hint.png");
        std::fs::write(&path, b"an older file to replace").unwrap();
        Hint::from_rgb8(&map).save_png(&path).unwrap();
        assert_eq!(image::open(&path).unwrap().to_rgb8(), map);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("hint.png")]);
    }

    #[test]
    fn save_png_into_a_missing_folder_is_a_write_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/folder/hint.png");
        let hint = Hint::from_rgb8(&RgbImage::new(8, 8));
        assert!(matches!(hint.save_png(&path), Err(ControlError::Write { path: p, .. }) if p == path));
    }
}
