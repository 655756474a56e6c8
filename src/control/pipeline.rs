//! From a user's line art to a ControlNet hint, in the order sd-webui-controlnet works:
//! load (transparency over white) → resolve polarity → preprocess (at the "pixel perfect" resolution where
//! the preprocessor resizes) → fit to the generation size with the resize mode → [0, 1] floats.

use std::path::{Path, PathBuf};

use image::RgbImage;

use super::error::{ControlError, Result};
use super::hint::Hint;
use super::image_input::{MAX_IMAGE_SIDE, check_image_dimensions, load_rgb8};
use super::preprocess::{PreprocessInput, preprocess};
use super::resize::{fit_to_size, pixel_perfect_short_side};
use crate::vocabulary::{Polarity, Preprocessor, ResizeMode};

/// Latent downscale of SD1.x VAEs: generation sizes are multiples of this.
const SIZE_MULTIPLE: u32 = 8;

/// How to read and prepare the user's line art.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LineArtSettings {
    pub polarity: Polarity,
    pub preprocessor: Preprocessor,
    pub resize_mode: ResizeMode,
    /// `Preprocessor::Binarize`: a pixel whose darkest channel is above this is light, any other is dark
    /// (sd-webui-controlnet's "Binarization Threshold", default 127).
    pub threshold: u8,
}

impl Default for LineArtSettings {
    fn default() -> Self {
        LineArtSettings {
            polarity: Polarity::Auto,
            preprocessor: Preprocessor::None,
            resize_mode: ResizeMode::CropAndResize,
            threshold: 127,
        }
    }
}

/// Where the line art comes from: a file, or a picture already in memory (e.g. pasted or drawn in the app).
#[derive(Debug, Clone, Copy)]
pub enum LineArtSource<'a> {
    File(&'a Path),
    Pixels(&'a RgbImage),
}

impl<'a> From<&'a Path> for LineArtSource<'a> {
    fn from(path: &'a Path) -> Self {
        LineArtSource::File(path)
    }
}

impl<'a> From<&'a PathBuf> for LineArtSource<'a> {
    fn from(path: &'a PathBuf) -> Self {
        LineArtSource::File(path)
    }
}

impl<'a> From<&'a RgbImage> for LineArtSource<'a> {
    fn from(image: &'a RgbImage) -> Self {
        LineArtSource::Pixels(image)
    }
}

/// Prepares the ControlNet hint for a `width` x `height` generation (each a positive multiple of 8).
pub fn prepare_hint<'a>(
    source: impl Into<LineArtSource<'a>>,
    settings: LineArtSettings,
    width: u32,
    height: u32,
) -> Result<Hint> {
    check_target_size(width, height)?;
    let loaded;
    let art = match source.into() {
        LineArtSource::File(path) => {
            loaded = load_rgb8(path)?;
            &loaded
        }
        LineArtSource::Pixels(image) => {
            check_image_dimensions(image.width(), image.height())?;
            image
        }
    };
    Ok(hint_from_art(art, settings, width, height).hint)
}

/// A hint and whether its line art was read as black lines on white (and so inverted), which the
/// metadata records.
#[derive(Debug, Clone)]
pub struct PreparedLineArt {
    pub hint: Hint,
    pub black_on_white: bool,
}

/// [`prepare_hint`] for line art already in memory, also telling which polarity it was read as
/// (detected once, for both).
pub fn prepare_line_art(art: &RgbImage, settings: LineArtSettings, width: u32, height: u32) -> Result<PreparedLineArt> {
    check_target_size(width, height)?;
    check_image_dimensions(art.width(), art.height())?;
    Ok(hint_from_art(art, settings, width, height))
}

fn hint_from_art(art: &RgbImage, settings: LineArtSettings, width: u32, height: u32) -> PreparedLineArt {
    let black_on_white = settings.polarity.is_black_on_white(art);
    let input = PreprocessInput {
        black_on_white,
        threshold: settings.threshold,
        processing_short_side: pixel_perfect_short_side(art.dimensions(), settings.resize_mode, (width, height)),
    };
    let map = preprocess(art, settings.preprocessor, input);
    PreparedLineArt { hint: Hint::from_rgb8(&fit_to_size(&map, settings.resize_mode, width, height)), black_on_white }
}

fn check_target_size(width: u32, height: u32) -> Result<()> {
    let valid = |side: u32| side > 0 && side.is_multiple_of(SIZE_MULTIPLE) && side <= MAX_IMAGE_SIDE;
    if valid(width) && valid(height) {
        Ok(())
    } else {
        Err(ControlError::InvalidTargetSize { width, height, max: MAX_IMAGE_SIDE })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;
    use safetensors::SafeTensors;

    fn manifest_path(relative: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
    }

    fn parity_tensor_f32(name: &str) -> (Vec<usize>, Vec<f32>) {
        let bytes = std::fs::read(manifest_path("tests/fixtures/parity/refs-fp16w.safetensors")).unwrap();
        let tensors = SafeTensors::deserialize(&bytes).unwrap();
        let view = tensors.tensor(name).unwrap();
        let values = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        (view.shape().to_vec(), values)
    }

    fn parity_tensor_u8(name: &str) -> (Vec<usize>, Vec<u8>) {
        let bytes = std::fs::read(manifest_path("tests/fixtures/parity/refs-fp16w.safetensors")).unwrap();
        let tensors = SafeTensors::deserialize(&bytes).unwrap();
        let view = tensors.tensor(name).unwrap();
        (view.shape().to_vec(), view.data().to_vec())
    }

    #[test]
    fn the_parity_line_art_png_gives_exactly_the_reference_hint() {
        let png = manifest_path("tests/fixtures/control/controlnet_hint_image_u8.png");
        let (u8_shape, u8_values) = parity_tensor_u8("controlnet.hint_image_u8");
        assert_eq!(u8_shape, [96, 64, 3]);
        assert_eq!(load_rgb8(&png).unwrap().into_raw(), u8_values, "the PNG is the reference line art");

        let settings = LineArtSettings { resize_mode: ResizeMode::JustResize, ..LineArtSettings::default() };
        let hint = prepare_hint(&png, settings, 64, 96).unwrap();
        let (shape, expected) = parity_tensor_f32("controlnet.hint");
        assert_eq!(shape, [1, 3, 96, 64]);
        assert_eq!((hint.width, hint.height), (64, 96));
        assert_eq!(hint.data, expected);
    }

    #[test]
    fn every_resize_mode_gives_the_generation_size() {
        let art = RgbImage::from_fn(90, 50, |x, y| Rgb([if (x + y) % 7 == 0 { 0 } else { 255 }; 3]));
        for mode in [ResizeMode::JustResize, ResizeMode::CropAndResize, ResizeMode::ResizeAndFill] {
            for preprocessor in [Preprocessor::None, Preprocessor::Invert, Preprocessor::Binarize, Preprocessor::LineartStandard]
            {
                let settings = LineArtSettings { resize_mode: mode, preprocessor, ..LineArtSettings::default() };
                let hint = prepare_hint(&art, settings, 48, 40).unwrap();
                assert_eq!((hint.width, hint.height, hint.data.len()), (48, 40, 3 * 48 * 40), "{mode:?} {preprocessor:?}");
                assert!(hint.data.iter().all(|v| (0.0..=1.0).contains(v)));
            }
        }
    }

    #[test]
    fn lineart_standard_through_the_pipeline_matches_the_reference() {
        // 64x48 at 64x48: pixel perfect short side 48 = the picture's, no resize, so the hint is exactly the
        // preprocessor's output (checked against Python in `lineart_standard`), repeated on 3 channels.
        let path = manifest_path("tests/fixtures/control/lineart_input.png");
        let settings = LineArtSettings { preprocessor: Preprocessor::LineartStandard, ..LineArtSettings::default() };
        let hint = prepare_hint(&path, settings, 64, 48).unwrap();
        let art = load_rgb8(&path).unwrap();
        let direct = super::super::lineart_standard::lineart_standard(&art);
        assert_eq!(hint.to_rgb8(), direct);
    }

    #[test]
    fn white_on_black_art_is_used_as_is_and_the_override_wins() {
        let mut art = RgbImage::from_pixel(16, 16, Rgb([0, 0, 0]));
        art.put_pixel(8, 8, Rgb([255, 255, 255]));
        let auto = prepare_hint(&art, LineArtSettings::default(), 16, 16).unwrap();
        assert_eq!(auto.to_rgb8(), art);
        let forced = LineArtSettings { polarity: Polarity::BlackOnWhite, ..LineArtSettings::default() };
        let inverted = prepare_hint(&art, forced, 16, 16).unwrap();
        assert_eq!(inverted.to_rgb8(), super::super::preprocess::invert(&art));
    }

    #[test]
    fn invalid_generation_sizes_and_empty_pictures_are_refused() {
        let art = RgbImage::from_pixel(16, 16, Rgb([255, 255, 255]));
        let settings = LineArtSettings::default();
        for (w, h) in [(0, 64), (64, 60), (8200, 64), (513, 512)] {
            assert!(matches!(
                prepare_hint(&art, settings, w, h),
                Err(ControlError::InvalidTargetSize { width, height, .. }) if (width, height) == (w, h)
            ));
        }
        let empty = RgbImage::new(0, 5);
        assert!(matches!(
            prepare_hint(&empty, settings, 64, 64),
            Err(ControlError::InvalidImageSize { width: 0, height: 5, .. })
        ));
    }
}
