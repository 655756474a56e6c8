//! Which pixels are the artist's lines.

use image::{GrayImage, RgbImage};
use rayon::prelude::*;

use crate::vocabulary::Polarity;

/// `true` where the line art is darker than `threshold`.
pub(crate) fn line_mask(line_art: &GrayImage, threshold: u8) -> Vec<bool> {
    line_art.as_raw().par_iter().map(|&value| value < threshold).collect()
}

/// The drawing as [`crate::flats::make_flats`] reads it (dark lines on light paper), from a color picture
/// of either polarity: light lines on black (a ControlNet hint, a chalkboard drawing) are inverted.
/// `Polarity::Auto` decides from the picture's border, as the ControlNet preparation does.
pub fn line_art_from_rgb(art: &RgbImage, polarity: Polarity) -> GrayImage {
    let mut gray = image::imageops::grayscale(art);
    if !polarity.is_black_on_white(art) {
        image::imageops::invert(&mut gray);
    }
    gray
}
