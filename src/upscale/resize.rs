//! Pillow's resampling, which A1111 resizes pictures with (`Image.resize(…, LANCZOS)` after every upscaler,
//! and as its "Lanczos" and "Nearest" upscalers), through `fast_image_resize` (its convolutions follow
//! Pillow-SIMD: 8-bit fixed-point weights, the filter widened when shrinking).

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{GrayImage, RgbImage};

use super::error::UpscaleError;

/// Pillow's filters that A1111's upscaling uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resample {
    Lanczos,
    /// Pillow's bicubic (a = −0.5), `Image.resize`'s default filter.
    Bicubic,
    Nearest,
}

/// `image` resized to `width`×`height` as Pillow's `Image.resize` does with `resample`. Lanczos runs as two
/// one-axis resizes, horizontal first as Pillow orders them (`fast_image_resize` would run an 8-bit picture's
/// vertical pass first, and the rounding and clipping between the passes would then differ from Pillow's).
pub fn resize(image: &RgbImage, width: u32, height: u32, resample: Resample) -> Result<RgbImage, UpscaleError> {
    if image.dimensions() == (width, height) {
        return Ok(image.clone());
    }
    if [width, height, image.width(), image.height()].contains(&0) {
        return Ok(RgbImage::new(width, height));
    }
    match resample {
        Resample::Nearest => resize_with(image, width, height, ResizeAlg::Nearest),
        Resample::Lanczos => two_passes(image, width, height, ResizeAlg::Convolution(FilterType::Lanczos3)),
        Resample::Bicubic => two_passes(image, width, height, ResizeAlg::Convolution(FilterType::CatmullRom)),
    }
}

/// A convolution resize as Pillow runs it: across, then down.
fn two_passes(image: &RgbImage, width: u32, height: u32, filter: ResizeAlg) -> Result<RgbImage, UpscaleError> {
    let across = resize_with(image, width, image.height(), filter)?;
    resize_with(&across, width, height, filter)
}

/// A grey picture resized as [`resize`] resizes a colour one.
pub fn resize_gray(image: &GrayImage, width: u32, height: u32, resample: Resample) -> Result<GrayImage, UpscaleError> {
    if image.dimensions() == (width, height) {
        return Ok(image.clone());
    }
    Ok(first_channel(&resize(&gray_to_rgb(image), width, height, resample)?))
}

/// A grey picture as RGB with three equal channels (so colour resizing gives the grey one's result).
pub fn gray_to_rgb(image: &GrayImage) -> RgbImage {
    RgbImage::from_fn(image.width(), image.height(), |x, y| image::Rgb([image.get_pixel(x, y).0[0]; 3]))
}

/// The red channel of an RGB picture whose channels are equal.
pub fn first_channel(image: &RgbImage) -> GrayImage {
    GrayImage::from_fn(image.width(), image.height(), |x, y| image::Luma([image.get_pixel(x, y).0[0]]))
}

fn resize_with(image: &RgbImage, width: u32, height: u32, algorithm: ResizeAlg) -> Result<RgbImage, UpscaleError> {
    if image.dimensions() == (width, height) {
        return Ok(image.clone());
    }
    let source = Image::from_vec_u8(image.width(), image.height(), image.as_raw().clone(), PixelType::U8x3)
        .map_err(|error| UpscaleError::Resize(error.to_string()))?;
    let mut target = Image::new(width, height, PixelType::U8x3);
    Resizer::new()
        .resize(&source, &mut target, &ResizeOptions::new().resize_alg(algorithm))
        .map_err(|error| UpscaleError::Resize(error.to_string()))?;
    RgbImage::from_raw(width, height, target.into_vec()).ok_or_else(|| UpscaleError::Resize("the resized buffer is short".into()))
}
