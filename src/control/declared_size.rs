//! The picture size a file's header declares, read directly from the bytes.
//!
//! Only used to explain a decoder's refusal: the `image` decoders reject a 0-px picture with generic
//! messages (the BMP decoder even calls it "too large"), and the user deserves "this picture has no pixels".
//! Covers the formats whose headers can declare 0 (WebP stores size − 1, so it cannot).

use image::ImageFormat;

/// (width, height) as declared by a PNG, BMP or JPEG header; `None` when the header cannot be read.
pub fn declared_size(format: ImageFormat, bytes: &[u8]) -> Option<(u32, u32)> {
    match format {
        ImageFormat::Png => png_size(bytes),
        ImageFormat::Bmp => bmp_size(bytes),
        ImageFormat::Jpeg => jpeg_size(bytes),
        _ => None,
    }
}

/// IHDR is the first chunk: width and height big-endian at bytes 16 and 20.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    Some((be_u32(bytes, 16)?, be_u32(bytes, 20)?))
}

/// The info header follows the 14-byte file header: 16-bit sizes in the old 12-byte core header,
/// signed 32-bit ones otherwise (a negative height means top-down rows).
fn bmp_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let header_size = le_u32(bytes, 14)?;
    if header_size == 12 {
        return Some((u32::from(le_u16(bytes, 18)?), u32::from(le_u16(bytes, 20)?)));
    }
    let width = le_u32(bytes, 18)? as i32;
    let height = le_u32(bytes, 22)? as i32;
    Some((width.unsigned_abs(), height.unsigned_abs()))
}

/// Walks the marker segments to the first start-of-frame (SOF0..SOF15 except DHT, JPG and DAC):
/// `FF Cn len(2) precision(1) height(2) width(2)`.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2; // after SOI
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return None;
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        let length = usize::from(be_u16(bytes, at + 2)?);
        if is_start_of_frame(marker) {
            let height = be_u16(bytes, at + 5)?;
            let width = be_u16(bytes, at + 7)?;
            return Some((u32::from(width), u32::from(height)));
        }
        at += 2 + length;
    }
    None
}

fn is_start_of_frame(marker: u8) -> bool {
    (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

fn be_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};
    use std::io::Cursor;

    fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let mut bytes = Vec::new();
        RgbImage::from_pixel(width, height, Rgb([1, 2, 3])).write_to(&mut Cursor::new(&mut bytes), format).unwrap();
        bytes
    }

    #[test]
    fn reads_the_size_real_encoders_write() {
        for format in [ImageFormat::Png, ImageFormat::Bmp, ImageFormat::Jpeg] {
            assert_eq!(declared_size(format, &encoded(37, 21, format)), Some((37, 21)), "{format:?}");
        }
        assert_eq!(declared_size(ImageFormat::WebP, b"RIFF"), None);
    }

    #[test]
    fn short_or_foreign_bytes_give_none() {
        assert_eq!(declared_size(ImageFormat::Png, b"\x89PNG\r\n"), None);
        assert_eq!(declared_size(ImageFormat::Bmp, b"BM"), None);
        assert_eq!(declared_size(ImageFormat::Jpeg, b"\xFF\xD8\x00\x00\x00\x00"), None);
    }
}
