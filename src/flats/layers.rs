//! One layer per flat color, for selecting a color's areas at once in Clip Studio Paint or Photoshop
//! (a layer's opaque pixels are a selection there).
//!
//! Each layer is cropped to the bounds of its color's areas: a page has dozens of colors, and full-page
//! masks of a 4000×6000 drawing would take 24 MB each. PSD and OpenRaster layers carry their position.

use std::collections::HashMap;

use image::{GrayImage, RgbaImage};

use super::segmentation::{Flats, PixelRect};

/// The areas of one flat color.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColorLayer {
    pub color: [u8; 3],
    /// Where [`ColorLayer::mask`] sits in the picture.
    pub bounds: PixelRect,
    /// 255 where the pixel is one of this color's areas, 0 elsewhere; the size of `bounds`.
    pub mask: GrayImage,
}

impl ColorLayer {
    /// The layer as pixels: its color where the mask is set, transparent elsewhere.
    pub fn to_rgba(&self) -> RgbaImage {
        let [r, g, b] = self.color;
        RgbaImage::from_fn(self.mask.width(), self.mask.height(), |x, y| image::Rgba([r, g, b, self.mask.get_pixel(x, y).0[0]]))
    }
}

impl Flats {
    /// One layer per distinct flat color, in the order the colors' first areas are numbered.
    pub fn layers_by_color(&self) -> Vec<ColorLayer> {
        let (layer_of, colors) = self.group_by_color();
        let mut layers: Vec<ColorLayer> = colors
            .iter()
            .map(|&(color, bounds)| ColorLayer { color, bounds, mask: GrayImage::new(bounds.width, bounds.height) })
            .collect();
        let width = self.image.width() as usize;
        for (index, &label) in self.labels.iter().enumerate() {
            let layer = &mut layers[layer_of[label as usize]];
            let (x, y) = ((index % width) as u32 - layer.bounds.x, (index / width) as u32 - layer.bounds.y);
            layer.mask.put_pixel(x, y, image::Luma([255]));
        }
        layers
    }

    /// For each region its layer's index, and for each layer its color and the union of its regions' bounds.
    fn group_by_color(&self) -> (Vec<usize>, Vec<([u8; 3], PixelRect)>) {
        let mut layers: Vec<([u8; 3], PixelRect)> = Vec::new();
        let mut index_of: HashMap<[u8; 3], usize> = HashMap::new();
        let mut layer_of = Vec::with_capacity(self.regions.len());
        for region in &self.regions {
            let index = *index_of.entry(region.color).or_insert_with(|| {
                layers.push((region.color, region.bounds));
                layers.len() - 1
            });
            layers[index].1 = union(layers[index].1, region.bounds);
            layer_of.push(index);
        }
        (layer_of, layers)
    }
}

fn union(a: PixelRect, b: PixelRect) -> PixelRect {
    let (left, top) = (a.x.min(b.x), a.y.min(b.y));
    let (right, bottom) = ((a.x + a.width).max(b.x + b.width), (a.y + a.height).max(b.y + b.height));
    PixelRect { x: left, y: top, width: right - left, height: bottom - top }
}
