//! A1111's paste-back (`apply_overlay`): the original picture, transparent where the (blurred) mask
//! redraws it, composited over the result, so that nothing outside the mask changes. In Pillow's
//! arithmetic: the original pasted through the inverted mask into a premultiplied picture, that
//! unpremultiplied, and `alpha_composite`. With "only masked", the result is first fitted back into its
//! region of a transparent picture of the original's size (`uncrop`).

use image::{GrayImage, RgbImage};

use super::error::InpaintError;
use super::pillow::{alpha_composite, kept_premultiplied, unpremultiply};
use super::region::{CropRegion, crop_and_resize};

/// The original pixels to put back over a result.
#[derive(Debug, Clone)]
pub struct Overlay {
    width: u32,
    height: u32,
    /// RGBA, straight alpha: opaque where the original is kept.
    pixels: Vec<[u8; 4]>,
    /// Only masked: where in the original the result goes.
    paste_to: Option<CropRegion>,
}

impl Overlay {
    /// `original` kept where `redraw` (same size, 255 redrawn) is 0; the result placed at `paste_to`.
    pub fn new(original: &RgbImage, redraw: &GrayImage, paste_to: Option<CropRegion>) -> Self {
        let pixels = original
            .pixels()
            .zip(redraw.pixels())
            .map(|(pixel, redraw)| unpremultiply(kept_premultiplied(pixel.0, redraw.0[0])))
            .collect();
        Overlay { width: original.width(), height: original.height(), pixels, paste_to }
    }

    /// The size of the finished picture.
    pub fn size(&self) -> [u32; 2] {
        [self.width, self.height]
    }

    /// `generated` with the original put back over it.
    pub fn apply(&self, generated: &RgbImage) -> Result<RgbImage, InpaintError> {
        let base: Vec<[u8; 4]> = match self.paste_to {
            None => generated.pixels().map(|p| [p.0[0], p.0[1], p.0[2], 255]).collect(),
            Some(region) => {
                let fitted = crop_and_resize(generated, region.width(), region.height())?;
                let mut base = vec![[0u8; 4]; (self.width * self.height) as usize];
                for (x, y, pixel) in fitted.enumerate_pixels() {
                    let [r, g, b] = pixel.0;
                    base[((region.y1 + y) * self.width + region.x1 + x) as usize] = [r, g, b, 255];
                }
                base
            }
        };
        let mut out = RgbImage::new(self.width, self.height);
        for ((pixel, under), over) in out.pixels_mut().zip(base).zip(&self.pixels) {
            let [r, g, b, _] = alpha_composite(under, *over);
            *pixel = image::Rgb([r, g, b]);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_the_mask_the_original_comes_back() {
        let original = RgbImage::from_pixel(4, 2, image::Rgb([10, 200, 30]));
        let redraw = GrayImage::from_fn(4, 2, |x, _| image::Luma([[0, 255, 128, 0][x as usize]]));
        let generated = RgbImage::from_pixel(4, 2, image::Rgb([250, 0, 0]));
        let out = Overlay::new(&original, &redraw, None).apply(&generated).unwrap();
        assert_eq!(out.get_pixel(0, 0).0, [10, 200, 30]);
        assert_eq!(out.get_pixel(1, 0).0, [250, 0, 0]);
        let mixed = out.get_pixel(2, 0).0;
        assert!((120..140).contains(&mixed[0]) && (90..110).contains(&mixed[1]), "{mixed:?}");
    }

    #[test]
    fn only_masked_results_go_back_into_their_region() {
        let original = RgbImage::from_pixel(10, 8, image::Rgb([0, 0, 0]));
        let region = CropRegion { x1: 2, y1: 2, x2: 6, y2: 6 };
        let redraw =
            GrayImage::from_fn(10, 8, |x, y| image::Luma([if (3..5).contains(&x) && (3..5).contains(&y) { 255 } else { 0 }]));
        let generated = RgbImage::from_pixel(16, 16, image::Rgb([255, 255, 255]));
        let out = Overlay::new(&original, &redraw, Some(region)).apply(&generated).unwrap();
        assert_eq!(out.dimensions(), (10, 8));
        assert_eq!(out.get_pixel(3, 3).0, [255; 3]);
        assert_eq!(out.get_pixel(2, 2).0, [0; 3]);
        assert_eq!(out.get_pixel(8, 7).0, [0; 3]);
    }
}
