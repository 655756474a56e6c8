//! The transparent background: the areas that reach the drawing's edge.
//!
//! In a figure drawing the paper around the figure is one or a few areas touching the border; making
//! them transparent leaves the figure on its own layer. A panel frame drawn along the edge keeps its
//! inside (see [`super::Region::touches_border`]). Line pixels follow the area they were given to, so
//! half of the outline's width goes with the background; the line layer drawn on top covers it.

use image::GrayImage;

use super::segmentation::{Flats, Region};

/// 255 on the areas that touch the picture's border, 0 elsewhere: the pixels to make transparent
/// (alpha = 255 − mask).
pub fn background_mask(flats: &Flats) -> GrayImage {
    flats.mask_where(|region| region.touches_border)
}

impl Flats {
    /// 255 on the areas `pick` chooses, 0 elsewhere (for a background the user marks by clicking areas,
    /// with [`Flats::region_at`]).
    pub fn mask_where(&self, pick: impl Fn(&Region) -> bool) -> GrayImage {
        let values: Vec<u8> = self.regions.iter().map(|region| if pick(region) { 255 } else { 0 }).collect();
        let (width, height) = self.dimensions();
        let raw = self.labels.iter().map(|&label| values[label as usize]).collect();
        GrayImage::from_raw(width, height, raw).unwrap_or_else(|| GrayImage::new(width, height))
    }
}
