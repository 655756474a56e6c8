//! The model-free preprocessors that turn a user's line art into a control map (white lines on black).
//!
//! Each follows its sd-webui-controlnet namesake, with the picture's polarity (see `polarity`) deciding
//! whether the art must be inverted first or after:
//!
//! | preprocessor | sd-webui-controlnet | here |
//! |---|---|---|
//! | `None` | `none`: the picture as is | the picture, inverted when it is black on white |
//! | `Invert` | `invert (from white bg & black line)`: `255 − x` | `255 − x`, whatever the polarity says |
//! | `Binarize` | `threshold` ("Binarization Threshold", 0–255): 255 where `min(R,G,B) > t`, else 0 | the same, then inverted when the art is black on white |
//! | `LineartStandard` | `lineart_standard (from white bg & black line)` | the same, on art inverted first when it is white on black |
//!
//! `None` and `Invert` work at the picture's own size, as in the extension. `Binarize` and
//! `LineartStandard` first scale the picture so its short side is the processing resolution (the extension's
//! `resize_image_with_pad`), which the caller sets with "pixel perfect" (`resize::pixel_perfect_short_side`):
//! the size the hint will have, so the 6-px blur of lineart_standard means the same thing at every input size.

use image::{Rgb, RgbImage};

use super::lineart_standard::lineart_standard;
use super::resize::scale_short_side_to;
use crate::vocabulary::Preprocessor;

/// What a preprocessor needs to know besides the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreprocessInput {
    /// Whether the art has dark lines on a light background (resolved polarity).
    pub black_on_white: bool,
    /// `Binarize`: pixels whose darkest channel is above this become 255.
    pub threshold: u8,
    /// Short side, in pixels, at which `Binarize` and `LineartStandard` run.
    pub processing_short_side: u32,
}

/// Runs `preprocessor` on `art`; the result is white lines on black.
pub fn preprocess(art: &RgbImage, preprocessor: Preprocessor, input: PreprocessInput) -> RgbImage {
    match preprocessor {
        Preprocessor::None if input.black_on_white => invert(art),
        Preprocessor::None => art.clone(),
        Preprocessor::Invert => invert(art),
        Preprocessor::Binarize => {
            let binary = binarize(&scale_short_side_to(art, input.processing_short_side), input.threshold);
            if input.black_on_white { invert(&binary) } else { binary }
        }
        Preprocessor::LineartStandard => {
            let scaled = scale_short_side_to(art, input.processing_short_side);
            lineart_standard(&if input.black_on_white { scaled } else { invert(&scaled) })
        }
    }
}

/// `255 − x` on every channel.
pub fn invert(image: &RgbImage) -> RgbImage {
    let mut out = image.clone();
    out.pixels_mut().for_each(|p| p.0 = p.0.map(|v| 255 - v));
    out
}

/// sd-webui-controlnet's `threshold`: white where the darkest channel is strictly above `threshold`.
pub fn binarize(image: &RgbImage, threshold: u8) -> RgbImage {
    let mut out = image.clone();
    out.pixels_mut().for_each(|p| {
        let darkest = p.0.into_iter().min().unwrap_or(0);
        *p = Rgb([if darkest > threshold { 255 } else { 0 }; 3]);
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(black_on_white: bool, threshold: u8, processing_short_side: u32) -> PreprocessInput {
        PreprocessInput { black_on_white, threshold, processing_short_side }
    }

    /// 4x2: white paper, a black line pixel, a red pen pixel, a mid grey, light grey, near-black.
    fn swatches() -> RgbImage {
        let colors = [
            [255, 255, 255],
            [0, 0, 0],
            [200, 30, 40],
            [128, 128, 128],
            [127, 127, 127],
            [230, 230, 230],
            [20, 20, 20],
            [128, 200, 255],
        ];
        RgbImage::from_fn(4, 2, |x, y| Rgb(colors[(y * 4 + x) as usize]))
    }

    fn channel0(image: &RgbImage) -> Vec<u8> {
        image.pixels().map(|p| p.0[0]).collect()
    }

    #[test]
    fn invert_is_255_minus_x_whatever_the_polarity() {
        let art = swatches();
        for black_on_white in [true, false] {
            let out = preprocess(&art, Preprocessor::Invert, input(black_on_white, 127, 2));
            assert_eq!(out.get_pixel(2, 0).0, [55, 225, 215]);
            assert_eq!(out.get_pixel(0, 0).0, [0, 0, 0]);
        }
    }

    #[test]
    fn none_inverts_only_black_on_white_art() {
        let art = swatches();
        assert_eq!(preprocess(&art, Preprocessor::None, input(true, 127, 2)), invert(&art));
        assert_eq!(preprocess(&art, Preprocessor::None, input(false, 127, 2)), art);
    }

    #[test]
    fn binarize_keeps_pixels_whose_darkest_channel_is_above_the_threshold() {
        // darkest channels: 255, 0, 30, 128 | 127, 230, 20, 128
        let out = binarize(&swatches(), 127);
        assert_eq!(channel0(&out), vec![255, 0, 0, 255, 0, 255, 0, 255]);
        assert!(out.pixels().all(|p| p.0[0] == p.0[1] && p.0[1] == p.0[2]));
        let out = binarize(&swatches(), 128);
        assert_eq!(channel0(&out), vec![255, 0, 0, 0, 0, 255, 0, 0], "equal to the threshold is not above it");
        assert!(binarize(&swatches(), 255).pixels().all(|p| p.0 == [0, 0, 0]));
        assert_eq!(channel0(&binarize(&swatches(), 0)), vec![255, 0, 255, 255, 255, 255, 255, 255]);
    }

    #[test]
    fn binarize_turns_black_on_white_art_into_white_lines() {
        // The red pen line (darkest channel 30) counts as a line: it becomes white.
        let out = preprocess(&swatches(), Preprocessor::Binarize, input(true, 127, 2));
        assert_eq!(channel0(&out), vec![0, 255, 255, 0, 255, 0, 255, 0]);
        let out = preprocess(&swatches(), Preprocessor::Binarize, input(false, 127, 2));
        assert_eq!(channel0(&out), vec![255, 0, 0, 255, 0, 255, 0, 255]);
    }

    #[test]
    fn binarize_and_lineart_run_at_the_processing_resolution() {
        let art = RgbImage::from_pixel(40, 20, Rgb([255, 255, 255]));
        let out = preprocess(&art, Preprocessor::Binarize, input(true, 127, 10));
        assert_eq!(out.dimensions(), (20, 10));
        let out = preprocess(&art, Preprocessor::LineartStandard, input(true, 127, 40));
        assert_eq!(out.dimensions(), (80, 40));
        assert_eq!(preprocess(&art, Preprocessor::None, input(true, 127, 10)).dimensions(), (40, 20));
    }

    #[test]
    fn lineart_standard_sees_white_on_black_art_inverted_first() {
        let mut black_on_white = RgbImage::from_pixel(32, 24, Rgb([255, 255, 255]));
        for x in 4..28 {
            black_on_white.put_pixel(x, 12, Rgb([0, 0, 0]));
        }
        let white_on_black = invert(&black_on_white);
        let from_black_on_white = preprocess(&black_on_white, Preprocessor::LineartStandard, input(true, 127, 24));
        let from_white_on_black = preprocess(&white_on_black, Preprocessor::LineartStandard, input(false, 127, 24));
        assert_eq!(from_black_on_white, from_white_on_black);
        assert!(from_black_on_white.get_pixel(16, 12).0[0] > 100, "the line is bright");
        assert_eq!(from_black_on_white.get_pixel(16, 2).0, [0, 0, 0], "the paper is black");
    }
}
