//! A mask file as A1111 takes it (`create_binary_mask`): a picture with transparency is masked where it
//! is more than half opaque; any other picture by its brightness (Pillow's `convert("L")`), white
//! redrawn, black kept.

use std::path::Path;

use image::{GrayImage, Luma, RgbaImage};

use super::error::InpaintError;
use crate::control::load_rgba8;

/// The mask at `path`, 255 where the picture is redrawn.
pub fn load_mask(path: &Path) -> Result<GrayImage, InpaintError> {
    let rgba = load_rgba8(path).map_err(|source| InpaintError::MaskFile { path: path.to_path_buf(), source })?;
    Ok(mask_from_rgba(&rgba))
}

/// A1111's `create_binary_mask` with rounding: the alpha channel, thresholded above 128, when the picture
/// is transparent anywhere; otherwise its luma.
pub fn mask_from_rgba(rgba: &RgbaImage) -> GrayImage {
    let transparent = rgba.pixels().any(|pixel| pixel.0[3] != 255);
    GrayImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        if transparent { Luma([if a > 128 { 255 } else { 0 }]) } else { Luma([luma(r, g, b)]) }
    })
}

/// Pillow's `L` conversion (ITU-R 601-2 luma in 16-bit fixed point).
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 19595 + u32::from(g) * 38470 + u32::from(b) * 7471 + 0x8000) >> 16) as u8
}

/// The mask the other way round (A1111's "Inpaint not masked").
pub fn invert(mask: &GrayImage) -> GrayImage {
    GrayImage::from_fn(mask.width(), mask.height(), |x, y| Luma([255 - mask.get_pixel(x, y).0[0]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transparency_or_brightness_makes_the_mask() {
        let mut painted = RgbaImage::from_pixel(3, 1, image::Rgba([0, 0, 0, 0]));
        painted.put_pixel(1, 0, image::Rgba([10, 20, 30, 129]));
        painted.put_pixel(2, 0, image::Rgba([10, 20, 30, 128]));
        assert_eq!(mask_from_rgba(&painted).into_raw(), [0, 255, 0]);
        let grey = RgbaImage::from_fn(3, 1, |x, _| {
            let v = [0, 100, 255][x as usize];
            image::Rgba([v, v, v, 255])
        });
        assert_eq!(mask_from_rgba(&grey).into_raw(), [0, 100, 255]);
        assert_eq!(luma(255, 0, 0), 76, "Pillow: Image.new('RGB', (1, 1), (255, 0, 0)).convert('L') is 76");
        assert_eq!(invert(&mask_from_rgba(&grey)).into_raw(), [255, 155, 0]);
    }
}
