//! Everything inpainting does to the pictures before sampling, in A1111's order
//! (`StableDiffusionProcessingImg2Img.init`): the mask inverted and blurred; for "only masked", the
//! region around it cut out of picture and mask and fitted to the generation size, otherwise both
//! resized to it; the masked part filled ("fill"); and the overlay that pastes the original back.

use std::path::Path;

use image::{GrayImage, RgbImage};

use super::blur::blur_mask;
use super::error::InpaintError;
use super::fill::fill_masked;
use super::mask::invert;
use super::overlay::Overlay;
use super::region::{CropRegion, resize_and_fill, resize_and_fill_gray};
use crate::metadata::InpaintSettings;
use crate::upscale::{Resample, resize, resize_gray};
use crate::vocabulary::{InpaintArea, MaskedContent};

/// An img2img picture and its mask, ready for the generation.
#[derive(Debug, Clone)]
pub struct PreparedInpaint {
    /// What the generation starts from, at the generation size ("fill" already applied).
    pub init: RgbImage,
    /// The blurred mask at the generation size, 255 where the picture is redrawn.
    pub mask: GrayImage,
    /// The original put back over each result; `None` with paste-back off.
    pub overlay: Option<Overlay>,
    /// "Only masked": the part of the picture that is redrawn (line art is cut out the same way).
    pub region: Option<CropRegion>,
}

/// `picture` and `mask` (any sizes: the mask is fitted to the picture) prepared for a `width`×`height`
/// generation. `mask_path` names the mask in errors.
pub fn prepare_inpaint(
    picture: &RgbImage,
    mask: &GrayImage,
    settings: &InpaintSettings,
    [width, height]: [u32; 2],
    mask_path: &Path,
) -> Result<PreparedInpaint, InpaintError> {
    let mask = resize_gray(mask, picture.width(), picture.height(), Resample::Lanczos)?;
    let mask = if settings.invert { invert(&mask) } else { mask };
    let blurred = blur_mask(&mask, settings.mask_blur);
    let empty = || InpaintError::EmptyMask { path: mask_path.to_path_buf() };
    let (init, generation_mask, overlay, region) = match settings.area {
        InpaintArea::OnlyMasked => {
            let region = CropRegion::around(&blurred, settings.padding).ok_or_else(empty)?.expanded(
                width,
                height,
                picture.width(),
                picture.height(),
            );
            let init = resize_and_fill(&region.crop(picture), width, height)?;
            let generation_mask = resize_and_fill_gray(&region.crop_gray(&blurred), width, height)?;
            let overlay = Overlay::new(picture, &blurred, Some(region));
            (init, generation_mask, overlay, Some(region))
        }
        InpaintArea::Whole => {
            let generation_mask = resize_gray(&blurred, width, height, Resample::Lanczos)?;
            if generation_mask.pixels().all(|pixel| pixel.0[0] == 0) {
                return Err(empty());
            }
            let init = resize(picture, width, height, Resample::Lanczos)?;
            // A1111 doubles the mask for the overlay, so the blur's inner half is all result.
            let doubled =
                GrayImage::from_fn(width, height, |x, y| image::Luma([generation_mask.get_pixel(x, y).0[0].saturating_mul(2)]));
            let overlay = Overlay::new(&init, &doubled, None);
            (init, generation_mask, overlay, None)
        }
    };
    let init = if settings.masked_content == MaskedContent::Fill { fill_masked(&init, &generation_mask) } else { init };
    let overlay = settings.paste_back.then_some(overlay);
    Ok(PreparedInpaint { init, mask: generation_mask, overlay, region })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture() -> RgbImage {
        RgbImage::from_fn(96, 64, |x, y| image::Rgb([x as u8 * 2, y as u8 * 3, 90]))
    }

    fn square_mask() -> GrayImage {
        GrayImage::from_fn(96, 64, |x, y| image::Luma([if (40..56).contains(&x) && (20..36).contains(&y) { 255 } else { 0 }]))
    }

    #[test]
    fn only_masked_cuts_out_the_region_and_keeps_the_full_size_for_pasting() {
        let settings = InpaintSettings { area: InpaintArea::OnlyMasked, padding: 8, mask_blur: 2, ..InpaintSettings::default() };
        let prepared = prepare_inpaint(&picture(), &square_mask(), &settings, [64, 64], Path::new("m.png")).unwrap();
        let region = prepared.region.unwrap();
        assert_eq!(region.width(), region.height(), "expanded to the generation's square");
        assert!(region.x1 < 40 - 8 && region.x2 > 56 + 8, "{region:?}");
        assert_eq!(prepared.init.dimensions(), (64, 64));
        assert_eq!(prepared.overlay.as_ref().unwrap().size(), [96, 64]);
        assert_eq!(prepared.mask.get_pixel(32, 32).0[0], 255, "the mask's middle is in the middle");
    }

    #[test]
    fn the_whole_picture_is_resized_and_an_empty_mask_is_refused() {
        let settings = InpaintSettings { masked_content: MaskedContent::Fill, paste_back: false, ..InpaintSettings::default() };
        let prepared = prepare_inpaint(&picture(), &square_mask(), &settings, [48, 32], Path::new("m.png")).unwrap();
        assert_eq!((prepared.init.dimensions(), prepared.mask.dimensions()), ((48, 32), (48, 32)));
        assert!(prepared.overlay.is_none() && prepared.region.is_none());
        let error =
            prepare_inpaint(&picture(), &GrayImage::new(96, 64), &settings, [48, 32], Path::new("blank.png")).unwrap_err();
        assert!(error.to_string().contains("blank.png"), "{error}");
        let inverted = InpaintSettings { invert: true, ..settings };
        let everything = GrayImage::from_pixel(96, 64, image::Luma([255]));
        assert!(prepare_inpaint(&picture(), &everything, &inverted, [48, 32], Path::new("all.png")).is_err());
    }
}
