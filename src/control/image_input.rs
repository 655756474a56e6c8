//! Reading a user's picture (line art for a ControlNet, or an img2img init image) into 8-bit RGB.
//!
//! The format is found from the file's first bytes, not its extension. Pictures with transparency are
//! composited over the paper that shows what is drawn on them: line art exported from Clip Studio or Krita
//! is often black lines on a transparent layer, and white paper is what the artist sees behind it; white
//! lines on a transparent layer go over black (over white they would vanish, leaving an empty hint).
//! 16-bit samples are rounded to the nearest 8-bit value (v/257), not truncated (v>>8).

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageBuffer, ImageFormat, ImageReader, Limits, Pixel, RgbImage, RgbaImage};

use super::declared_size::declared_size;
use super::error::{ControlError, Result};

/// The longest side accepted, in pixels, for files and in-memory images alike (SD1.5 works at 512–1024;
/// 8192 leaves room for high-resolution scans while keeping a decoded 16-bit RGBA picture at 512 MiB).
pub const MAX_IMAGE_SIDE: u32 = 8192;

/// The formats Nurie decodes (the `image` features it is built with).
const SUPPORTED_FORMATS: [ImageFormat; 4] = [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP, ImageFormat::Bmp];

/// Loads a PNG (8/16-bit, grey, grey+alpha, RGB, RGBA, palette), JPEG, WebP or BMP file as 8-bit RGB,
/// transparency composited over contrasting paper (see the module doc). Serves both ControlNet line art
/// and img2img init images.
pub fn load_rgb8(path: impl AsRef<Path>) -> Result<RgbImage> {
    Ok(flatten_onto_paper(&decode_checked(path.as_ref())?))
}

/// Loads a picture as 8-bit RGBA, keeping its transparency (color hints: transparent where nothing is
/// painted), with the same format and size checks as [`load_rgb8`].
pub fn load_rgba8(path: impl AsRef<Path>) -> Result<RgbaImage> {
    Ok(decode_checked(path.as_ref())?.to_rgba8())
}

/// The picture at `path`, decoded once its format and declared size are known to be acceptable (a
/// header claiming 65536² pixels is refused before any pixel memory is taken).
fn decode_checked(path: &Path) -> Result<DynamicImage> {
    let bytes = read_file(path)?;
    let format = sniff_format(path, &bytes)?;
    let (width, height) = match reader(&bytes, format).into_dimensions() {
        Ok(size) => size,
        Err(error) => return Err(header_error(path, format, &bytes, error)),
    };
    check_file_dimensions(path, width, height)?;
    let mut reader = reader(&bytes, format);
    reader.limits(decoding_limits());
    reader.decode().map_err(|e| decode_error(path, e))
}

/// Checks an in-memory picture against the same size rules as a file.
pub fn check_image_dimensions(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(ControlError::InvalidImageSize { width, height, max: MAX_IMAGE_SIDE });
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ControlError::NotFound { path: path.to_path_buf() },
        _ => ControlError::Io { path: path.to_path_buf(), source },
    })
}

fn sniff_format(path: &Path, bytes: &[u8]) -> Result<ImageFormat> {
    let unsupported = |reason: String| ControlError::UnsupportedFormat { path: path.to_path_buf(), reason };
    let format = image::guess_format(bytes).map_err(|_| unsupported("its content is not a known image format".to_string()))?;
    if !SUPPORTED_FORMATS.contains(&format) {
        return Err(unsupported(format!("{format:?} images are not supported")));
    }
    Ok(format)
}

fn reader(bytes: &[u8], format: ImageFormat) -> ImageReader<Cursor<&[u8]>> {
    ImageReader::with_format(Cursor::new(bytes), format)
}

fn check_file_dimensions(path: &Path, width: u32, height: u32) -> Result<()> {
    let path: PathBuf = path.to_path_buf();
    if width == 0 || height == 0 {
        return Err(ControlError::Empty { path, width, height });
    }
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(ControlError::TooLarge { path, width, height, max: MAX_IMAGE_SIDE });
    }
    Ok(())
}

/// Limits that let the largest accepted picture decode (16-bit RGBA, 8 bytes a pixel) and nothing bigger.
fn decoding_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    let largest_decoded = u64::from(MAX_IMAGE_SIDE) * u64::from(MAX_IMAGE_SIDE) * 8;
    limits.max_alloc = Some(largest_decoded + (64 << 20));
    limits
}

/// A header the decoder refused: a declared 0-px side is reported as such, anything else as decoding fails.
fn header_error(path: &Path, format: ImageFormat, bytes: &[u8], error: image::ImageError) -> ControlError {
    match declared_size(format, bytes) {
        Some((width, height)) if width == 0 || height == 0 => ControlError::Empty { path: path.to_path_buf(), width, height },
        _ => decode_error(path, error),
    }
}

fn decode_error(path: &Path, error: image::ImageError) -> ControlError {
    let path = path.to_path_buf();
    match error {
        image::ImageError::Unsupported(e) => ControlError::UnsupportedFormat { path, reason: e.to_string() },
        image::ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ControlError::Corrupt { path, reason: "the file ends early (truncated?)".to_string() }
        }
        other => ControlError::Corrupt { path, reason: other.to_string() },
    }
}

/// Converts any decoded layout to 8-bit RGB, compositing over white where there is an alpha channel, or
/// over black when what is drawn is light (white lines on a transparent layer).
pub fn flatten_onto_paper(image: &DynamicImage) -> RgbImage {
    match image {
        DynamicImage::ImageLuma8(i) => flatten(i),
        DynamicImage::ImageLumaA8(i) => flatten(i),
        DynamicImage::ImageRgb8(i) => i.clone(),
        DynamicImage::ImageRgba8(i) => flatten(i),
        DynamicImage::ImageLuma16(i) => flatten(i),
        DynamicImage::ImageLumaA16(i) => flatten(i),
        DynamicImage::ImageRgb16(i) => flatten(i),
        DynamicImage::ImageRgba16(i) => flatten(i),
        DynamicImage::ImageRgb32F(i) => flatten(i),
        DynamicImage::ImageRgba32F(i) => flatten(i),
        other => flatten(&other.to_rgba32f()),
    }
}

fn flatten<P>(image: &ImageBuffer<P, Vec<P::Subpixel>>) -> RgbImage
where
    P: Pixel,
    P::Subpixel: UnitSample,
{
    let paper = paper_for(image);
    RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let [r, g, b, a] = image.get_pixel(x, y).to_rgba().0.map(UnitSample::to_unit);
        image::Rgb([r, g, b].map(|c| to_u8(c * a + paper * (1.0 - a))))
    })
}

/// White (1.0) unless what is drawn (the alpha-weighted mean luminance of the picture) is light: then
/// black (0.0), so that white lines stay visible.
fn paper_for<P>(image: &ImageBuffer<P, Vec<P::Subpixel>>) -> f32
where
    P: Pixel,
    P::Subpixel: UnitSample,
{
    let (mut ink, mut coverage) = (0.0f64, 0.0f64);
    for pixel in image.pixels() {
        let [r, g, b, a] = pixel.to_rgba().0.map(UnitSample::to_unit);
        let luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        ink += f64::from(luminance * a);
        coverage += f64::from(a);
    }
    if coverage > 0.0 && ink / coverage > 0.5 { 0.0 } else { 1.0 }
}

/// A sample type read as a fraction of its full scale.
trait UnitSample: Copy {
    fn to_unit(self) -> f32;
}

impl UnitSample for u8 {
    fn to_unit(self) -> f32 {
        f32::from(self) / 255.0
    }
}

impl UnitSample for u16 {
    fn to_unit(self) -> f32 {
        f32::from(self) / 65535.0
    }
}

impl UnitSample for f32 {
    fn to_unit(self) -> f32 {
        if self.is_nan() { 0.0 } else { self.clamp(0.0, 1.0) }
    }
}

/// Nearest 8-bit level of a [0, 1] value.
fn to_u8(unit: f32) -> u8 {
    (unit * 255.0).round().clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayAlphaImage, GrayImage, ImageBuffer, Luma, LumaA, Rgb, Rgba, RgbaImage};
    use std::io::Cursor;
    use std::path::PathBuf;

    fn temp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    fn save(dir: &tempfile::TempDir, name: &str, image: impl Into<DynamicImage>) -> PathBuf {
        let path = dir.path().join(name);
        image.into().save(&path).unwrap();
        path
    }

    fn pixels(image: &RgbImage) -> Vec<[u8; 3]> {
        image.pixels().map(|p| p.0).collect()
    }

    #[test]
    fn rgb8_png_loads_unchanged() {
        let dir = temp();
        let art = RgbImage::from_fn(7, 5, |x, y| Rgb([x as u8 * 30, y as u8 * 50, 200]));
        assert_eq!(load_rgb8(save(&dir, "art.png", art.clone())).unwrap(), art);
    }

    #[test]
    fn grey_png_becomes_grey_rgb() {
        let dir = temp();
        let art = GrayImage::from_fn(4, 1, |x, _| Luma([[0, 77, 128, 255][x as usize]]));
        let loaded = load_rgb8(save(&dir, "grey.png", art)).unwrap();
        assert_eq!(pixels(&loaded), vec![[0; 3], [77; 3], [128; 3], [255; 3]]);
    }

    #[test]
    fn sixteen_bit_png_rounds_to_the_nearest_8_bit_level() {
        // v/257: 128 -> 0.498 -> 0, 129 -> 0.502 -> 1, 33024 -> 128.498 -> 128 (v>>8 would give 129),
        // 33025 -> 128.502 -> 129, 65535 -> 255.
        let dir = temp();
        let values = [0u16, 128, 129, 32896, 33024, 33025, 65535];
        let grey: ImageBuffer<Luma<u16>, Vec<u16>> =
            ImageBuffer::from_fn(values.len() as u32, 1, |x, _| Luma([values[x as usize]]));
        let loaded = load_rgb8(save(&dir, "grey16.png", DynamicImage::ImageLuma16(grey))).unwrap();
        let expected = [0u8, 0, 1, 128, 128, 129, 255];
        assert_eq!(pixels(&loaded), expected.map(|v| [v; 3]).to_vec());

        let rgb: ImageBuffer<Rgb<u16>, Vec<u16>> = ImageBuffer::from_fn(1, 1, |_, _| Rgb([33024, 33025, 257]));
        let loaded = load_rgb8(save(&dir, "rgb16.png", DynamicImage::ImageRgb16(rgb))).unwrap();
        assert_eq!(pixels(&loaded), vec![[128, 129, 1]]);
    }

    #[test]
    fn transparency_is_composited_over_white() {
        // out = c·a + 255·(1 − a): (0, a=0) -> 255, (0, a=255) -> 0, (0, a=128) -> 127 (127.0),
        // (100, a=128) -> (100·128 + 255·127)/255 = 177.2 -> 177
        let dir = temp();
        let rgba = RgbaImage::from_fn(4, 1, |x, _| {
            Rgba([[0, 0, 0, 0], [0, 0, 0, 255], [0, 0, 0, 128], [100, 200, 50, 128]][x as usize])
        });
        let loaded = load_rgb8(save(&dir, "layer.png", rgba)).unwrap();
        assert_eq!(pixels(&loaded), vec![[255; 3], [0; 3], [127; 3], [177, 227, 152]]);

        let grey_alpha = GrayAlphaImage::from_fn(2, 1, |x, _| LumaA([[0, 0], [0, 255]][x as usize]));
        let loaded = load_rgb8(save(&dir, "la.png", grey_alpha)).unwrap();
        assert_eq!(pixels(&loaded), vec![[255; 3], [0; 3]]);
    }

    /// White lines on a transparent layer once vanished over white paper, giving an empty hint.
    #[test]
    fn light_lines_on_transparency_go_over_black() {
        let dir = temp();
        let rgba = RgbaImage::from_fn(4, 1, |x, _| {
            Rgba([[255, 255, 255, 255], [0, 0, 0, 0], [255, 255, 255, 128], [0, 0, 0, 0]][x as usize])
        });
        let loaded = load_rgb8(save(&dir, "white-lines.png", rgba)).unwrap();
        assert_eq!(pixels(&loaded), vec![[255; 3], [0; 3], [128; 3], [0; 3]]);
    }

    #[test]
    fn sixteen_bit_rgba_composites_before_rounding() {
        // colour 0, alpha 32768/65535 = 0.500008 -> white share 0.499992 · 255 = 127.498 -> 127
        let dir = temp();
        let rgba: ImageBuffer<Rgba<u16>, Vec<u16>> =
            ImageBuffer::from_fn(2, 1, |x, _| Rgba([[0, 0, 0, 32768], [65535, 0, 0, 0]][x as usize]));
        let loaded = load_rgb8(save(&dir, "rgba16.png", DynamicImage::ImageRgba16(rgba))).unwrap();
        assert_eq!(pixels(&loaded), vec![[127; 3], [255; 3]]);
    }

    #[test]
    fn palette_png_with_transparency_expands_and_composites() {
        let dir = temp();
        let path = dir.path().join("palette.png");
        let file = std::fs::File::create(&path).unwrap();
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), 3, 1);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_palette(vec![10, 20, 30, 200, 100, 50, 0, 0, 0]);
        encoder.set_trns(vec![255, 255, 0]); // entry 2 fully transparent
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[0, 1, 2]).unwrap();
        writer.finish().unwrap();
        assert_eq!(pixels(&load_rgb8(&path).unwrap()), vec![[10, 20, 30], [200, 100, 50], [255; 3]]);
    }

    #[test]
    fn jpeg_webp_and_bmp_load() {
        let dir = temp();
        let art = RgbImage::from_fn(16, 16, |x, _| Rgb(if x < 8 { [0; 3] } else { [255; 3] }));
        let jpeg = load_rgb8(save(&dir, "art.jpg", art.clone())).unwrap();
        assert_eq!(jpeg.dimensions(), (16, 16));
        // lossy: flat areas away from the edge stay close to their colour
        assert!(jpeg.get_pixel(1, 8).0.iter().all(|&v| v < 12), "{:?}", jpeg.get_pixel(1, 8));
        assert!(jpeg.get_pixel(14, 8).0.iter().all(|&v| v > 243), "{:?}", jpeg.get_pixel(14, 8));

        let webp_path = dir.path().join("art.webp");
        let file = std::fs::File::create(&webp_path).unwrap();
        image::codecs::webp::WebPEncoder::new_lossless(file)
            .encode(art.as_raw(), 16, 16, image::ExtendedColorType::Rgb8)
            .unwrap();
        assert_eq!(load_rgb8(&webp_path).unwrap(), art);

        assert_eq!(load_rgb8(save(&dir, "art.bmp", art.clone())).unwrap(), art);
        let rgba = RgbaImage::from_fn(4, 2, |x, _| Rgba([0, 0, 0, if x < 2 { 0 } else { 255 }]));
        let bmp32 = load_rgb8(save(&dir, "layer.bmp", rgba)).unwrap();
        assert_eq!(pixels(&bmp32), vec![[255; 3], [255; 3], [0; 3], [0; 3], [255; 3], [255; 3], [0; 3], [0; 3]]);
    }

    #[test]
    fn the_format_comes_from_the_content_not_the_extension() {
        let dir = temp();
        let art = RgbImage::from_pixel(3, 3, Rgb([9, 8, 7]));
        let png = save(&dir, "art.png", art.clone());
        let misnamed = dir.path().join("art.jpg");
        std::fs::rename(&png, &misnamed).unwrap();
        assert_eq!(load_rgb8(&misnamed).unwrap(), art);
    }

    #[test]
    fn a_missing_file_is_not_found() {
        let dir = temp();
        let path = dir.path().join("nope.png");
        assert!(matches!(load_rgb8(&path), Err(ControlError::NotFound { path: p }) if p == path));
    }

    #[test]
    fn a_text_file_is_not_an_image() {
        let dir = temp();
        let path = dir.path().join("notes.png");
        std::fs::write(&path, "just some notes, not a picture").unwrap();
        let error = load_rgb8(&path).unwrap_err();
        assert!(matches!(&error, ControlError::UnsupportedFormat { path: p, .. } if *p == path), "{error:?}");
        assert!(error.to_string().contains("notes.png"));
    }

    #[test]
    fn a_known_but_unsupported_format_is_named() {
        let dir = temp();
        let path = dir.path().join("anim.gif");
        std::fs::write(&path, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").unwrap();
        let error = load_rgb8(&path).unwrap_err();
        assert!(matches!(&error, ControlError::UnsupportedFormat { reason, .. } if reason.contains("Gif")), "{error:?}");
    }

    #[test]
    fn a_truncated_png_is_corrupt() {
        let dir = temp();
        let art = RgbImage::from_fn(64, 64, |x, y| Rgb([(x * 4) as u8, (y * 4) as u8, (x ^ y) as u8]));
        let path = save(&dir, "art.png", art);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let error = load_rgb8(&path).unwrap_err();
        assert!(matches!(&error, ControlError::Corrupt { path: p, .. } if *p == path), "{error:?}");
    }

    #[test]
    fn a_picture_over_the_side_limit_is_refused_from_its_header() {
        let dir = temp();
        let path = save(&dir, "wide.png", GrayImage::new(MAX_IMAGE_SIDE + 1, 1));
        let error = load_rgb8(&path).unwrap_err();
        assert!(
            matches!(&error, ControlError::TooLarge { width, height: 1, max: MAX_IMAGE_SIDE, .. } if *width == MAX_IMAGE_SIDE + 1),
            "{error:?}"
        );
        let at_limit = save(&dir, "limit.png", GrayImage::new(MAX_IMAGE_SIDE, 1));
        assert_eq!(load_rgb8(&at_limit).unwrap().dimensions(), (MAX_IMAGE_SIDE, 1));
    }

    #[test]
    fn zero_pixel_pictures_are_empty() {
        let dir = temp();
        let encode = |format: ImageFormat| {
            let mut bytes = Vec::new();
            RgbImage::from_pixel(8, 8, Rgb([1, 2, 3])).write_to(&mut Cursor::new(&mut bytes), format).unwrap();
            bytes
        };
        // BMP: info header width at byte 18
        let mut bmp = encode(ImageFormat::Bmp);
        bmp[18..22].copy_from_slice(&0i32.to_le_bytes());
        // JPEG: SOF0 height at marker + 5
        let mut jpeg = encode(ImageFormat::Jpeg);
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        jpeg[sof + 5..sof + 7].copy_from_slice(&[0, 0]);
        // PNG: IHDR width at byte 16, with the chunk CRC recomputed so only the size is wrong
        let mut png = encode(ImageFormat::Png);
        png[16..20].copy_from_slice(&0u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());

        for (name, bytes, size) in [("a.bmp", bmp, (0, 8)), ("a.jpg", jpeg, (8, 0)), ("a.png", png, (0, 8))] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let error = load_rgb8(&path).unwrap_err();
            assert!(
                matches!(&error, ControlError::Empty { path: p, width, height } if *p == path && (*width, *height) == size),
                "{name}: {error:?}"
            );
        }
    }

    /// CRC-32 (IEEE), as PNG chunks use it.
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn in_memory_pictures_follow_the_same_size_rules() {
        assert!(check_image_dimensions(1, 1).is_ok());
        assert!(check_image_dimensions(MAX_IMAGE_SIDE, MAX_IMAGE_SIDE).is_ok());
        assert!(matches!(check_image_dimensions(0, 10), Err(ControlError::InvalidImageSize { .. })));
        assert!(matches!(check_image_dimensions(10, MAX_IMAGE_SIDE + 1), Err(ControlError::InvalidImageSize { .. })));
    }
}
