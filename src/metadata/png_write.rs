//! Saving an RGB image as PNG with text chunks, through the png crate, atomically.
//!
//! Text is stored the way Pillow's `PngInfo.add_text` stores it, which is what A1111, ComfyUI and
//! InvokeAI use: a `tEXt` chunk when the text is Latin-1, otherwise an uncompressed `iTXt` chunk with
//! empty language and translated keyword. Nurie's `nurie` chunk is always `iTXt` (UTF-8).

use std::path::Path;

use png::{BitDepth, ColorType, Encoder};

use super::error::{MetadataError, Result};
use super::infotext_write::infotext;
use super::nurie_json::{NURIE_KEYWORD, to_nurie_json};
use super::read_settings::A1111_KEYWORD;
use super::record::GenerationRecord;
use crate::atomic_write::{write_file_atomically, write_new_file_atomically};

/// 8-bit RGB pixels, row by row, no padding.
#[derive(Debug, Clone, Copy)]
pub struct RgbImage<'a> {
    pub width: u32,
    pub height: u32,
    pub pixels: &'a [u8],
}

/// 8-bit RGBA pixels, row by row, no padding (a picture with a transparent background).
#[derive(Debug, Clone, Copy)]
pub struct RgbaImage<'a> {
    pub width: u32,
    pub height: u32,
    pub pixels: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// `tEXt` when every character is Latin-1, else `iTXt` (Pillow's `add_text`).
    LatinWhenPossible,
    /// Always `iTXt`.
    Utf8,
}

#[derive(Debug, Clone, Copy)]
pub struct TextEntry<'a> {
    pub keyword: &'a str,
    pub text: &'a str,
    pub encoding: TextEncoding,
}

/// Saves `image` with the `parameters` (A1111 infotext) and `nurie` (JSON) chunks for `record`.
pub fn write_png_with_record(path: &Path, image: RgbImage, record: &GenerationRecord) -> Result<()> {
    let bytes = png_with_record(path, image, record)?;
    write_file_atomically(path, &bytes).map_err(|source| write_error(path, source))
}

/// As [`write_png_with_record`], but never replacing a file already at `path` (see
/// [`write_new_file_atomically`]).
pub fn write_new_png_with_record(path: &Path, image: RgbImage, record: &GenerationRecord) -> Result<()> {
    let bytes = png_with_record(path, image, record)?;
    write_new_file_atomically(path, &bytes).map_err(|source| write_error(path, source))
}

/// As [`write_png_with_record`] for a picture with transparency, replacing `path` atomically.
pub fn write_rgba_png_with_record(path: &Path, image: RgbaImage, record: &GenerationRecord) -> Result<()> {
    let pixels = Pixels { width: image.width, height: image.height, pixels: image.pixels, color: ColorType::Rgba };
    let bytes = with_record_texts(record, |texts| encode_pixels(path, pixels, texts))?;
    write_file_atomically(path, &bytes).map_err(|source| write_error(path, source))
}

/// The PNG file's bytes with the `parameters` and `nurie` chunks; `path` only names the file in errors.
fn png_with_record(path: &Path, image: RgbImage, record: &GenerationRecord) -> Result<Vec<u8>> {
    with_record_texts(record, |texts| encode_png(path, image, texts))
}

/// `encode` given the `parameters` and `nurie` text chunks of `record`.
fn with_record_texts(record: &GenerationRecord, encode: impl FnOnce(&[TextEntry]) -> Result<Vec<u8>>) -> Result<Vec<u8>> {
    let nurie = to_nurie_json(record)?;
    let parameters = infotext(record);
    let texts = [
        TextEntry { keyword: A1111_KEYWORD, text: &parameters, encoding: TextEncoding::LatinWhenPossible },
        TextEntry { keyword: NURIE_KEYWORD, text: &nurie, encoding: TextEncoding::Utf8 },
    ];
    encode(&texts)
}

/// Saves `image` with `texts`, replacing `path` atomically.
pub fn write_png_atomic(path: &Path, image: RgbImage, texts: &[TextEntry]) -> Result<()> {
    let bytes = encode_png(path, image, texts)?;
    write_file_atomically(path, &bytes).map_err(|source| write_error(path, source))
}

fn write_error(path: &Path, source: std::io::Error) -> MetadataError {
    MetadataError::Write { path: path.to_path_buf(), source }
}

/// The PNG file's bytes; `path` only names the file in errors.
pub fn encode_png(path: &Path, image: RgbImage, texts: &[TextEntry]) -> Result<Vec<u8>> {
    encode_pixels(path, Pixels { width: image.width, height: image.height, pixels: image.pixels, color: ColorType::Rgb }, texts)
}

/// 8-bit pixels of either layout.
#[derive(Clone, Copy)]
struct Pixels<'a> {
    width: u32,
    height: u32,
    pixels: &'a [u8],
    color: ColorType,
}

fn encode_pixels(path: &Path, image: Pixels, texts: &[TextEntry]) -> Result<Vec<u8>> {
    check_image(image)?;
    let encode_error = |source| MetadataError::PngEncode { path: path.to_path_buf(), source };
    let mut bytes = Vec::new();
    let mut encoder = Encoder::new(&mut bytes, image.width, image.height);
    encoder.set_color(image.color);
    encoder.set_depth(BitDepth::Eight);
    for entry in texts {
        // PNG text ends at a NUL: one inside would cut the text short for every reader (prompts are
        // checked for it before a generation; this keeps any other text whole).
        let (keyword, text) = (entry.keyword.to_string(), entry.text.replace('\0', "\u{fffd}"));
        let added = if entry.encoding == TextEncoding::LatinWhenPossible && is_latin1(&text) {
            encoder.add_text_chunk(keyword, text)
        } else {
            encoder.add_itxt_chunk(keyword, text)
        };
        added.map_err(encode_error)?;
    }
    let mut writer = encoder.write_header().map_err(encode_error)?;
    writer.write_image_data(image.pixels).map_err(encode_error)?;
    writer.finish().map_err(encode_error)?;
    Ok(bytes)
}

fn check_image(image: Pixels) -> Result<()> {
    if image.width == 0 || image.height == 0 {
        return Err(MetadataError::InvalidImage { reason: format!("it is {}x{} pixels", image.width, image.height) });
    }
    let channels = image.color.samples();
    let expected = (image.width as usize).checked_mul(image.height as usize).and_then(|n| n.checked_mul(channels));
    if expected != Some(image.pixels.len()) {
        let layout = if channels == 4 { "RGBA" } else { "RGB" };
        return Err(MetadataError::InvalidImage {
            reason: format!("{} bytes of pixels for a {}x{} {layout} image", image.pixels.len(), image.width, image.height),
        });
    }
    Ok(())
}

fn is_latin1(text: &str) -> bool {
    text.chars().all(|c| (c as u32) <= 0xff)
}

#[cfg(test)]
mod tests {
    use super::*;
    /// A fresh empty folder under the system temp folder.
    fn scratch_folder(name: &str) -> std::path::PathBuf {
        let folder = std::env::temp_dir().join(format!("nurie-metadata-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).unwrap();
        folder
    }
    use crate::metadata::png_read::{ReadLimits, TextChunkKind, read_png_text};
    use crate::metadata::record::{ControlNetUnit, ModelRef};
    use crate::metadata::{GenerationSettings, SettingsSource, read_settings_from_png};
    use crate::vocabulary::{RecordedSampler, RngSource};

    fn gradient(width: u32, height: u32) -> Vec<u8> {
        (0..width * height).flat_map(|i| [(i % 256) as u8, (i / 7 % 256) as u8, 200]).collect()
    }

    fn record() -> GenerationRecord {
        GenerationRecord {
            settings: GenerationSettings {
                prompt: "1girl, 桜の木, (watercolor:1.2)".into(),
                negative_prompt: "lowres".into(),
                sampler: RecordedSampler::from_stored_name("euler_a"),
                seed: 42,
                rng: RngSource::Nv,
                width: 8,
                height: 4,
                ..Default::default()
            },
            model: ModelRef::from_sha256("counterfeitV30_v30.safetensors", &"0123456789abcdef".repeat(4)),
            controlnets: vec![ControlNetUnit { module: "invert".into(), line_art_inverted: true, ..Default::default() }],
            nurie_version: Some("0.1.0".into()),
            ..Default::default()
        }
    }

    #[test]
    fn saved_png_decodes_to_the_same_pixels_and_carries_both_chunks() {
        let folder = scratch_folder("png-write");
        let path = folder.join("out.png");
        let pixels = gradient(8, 4);
        write_png_with_record(&path, RgbImage { width: 8, height: 4, pixels: &pixels }, &record()).unwrap();

        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut decoded = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut decoded).unwrap();
        assert_eq!((frame.width, frame.height, frame.color_type), (8, 4, ColorType::Rgb));
        assert_eq!(&decoded[..frame.buffer_size()], &pixels[..]);

        let text = read_png_text(&path, &ReadLimits::default()).unwrap();
        let kinds: Vec<_> = text.chunks.iter().map(|c| (c.keyword.as_str(), c.kind)).collect();
        // Japanese in the prompt: not Latin-1, so `parameters` is iTXt, as Pillow would write it.
        assert_eq!(kinds, vec![("parameters", TextChunkKind::InternationalText), ("nurie", TextChunkKind::InternationalText)]);
        assert_eq!(text.get("parameters").unwrap(), infotext(&record()));

        let settings = read_settings_from_png(&path).unwrap();
        assert_eq!(settings.source, SettingsSource::Nurie);
        assert_eq!(settings.record, record());
        assert!(settings.warnings.is_empty());
        std::fs::remove_dir_all(folder).unwrap();
    }

    /// A NUL once went raw into the `tEXt` chunk, where readers take it as the end of the text.
    #[test]
    fn a_nul_in_text_is_replaced_not_written() {
        let texts = [TextEntry { keyword: "parameters", text: "a\0b", encoding: TextEncoding::LatinWhenPossible }];
        let bytes = encode_png(Path::new("x.png"), RgbImage { width: 2, height: 1, pixels: &gradient(2, 1) }, &texts).unwrap();
        let text = crate::metadata::png_read::read_png_text_from(&bytes[..], Path::new("x.png"), &ReadLimits::default()).unwrap();
        assert_eq!(text.get("parameters").unwrap(), "a\u{fffd}b");
    }

    #[test]
    fn latin1_parameters_go_to_a_text_chunk() {
        let mut record = record();
        record.settings.prompt = "café au lait".into();
        let bytes = encode_png(
            Path::new("x.png"),
            RgbImage { width: 8, height: 4, pixels: &gradient(8, 4) },
            &[TextEntry { keyword: "parameters", text: &infotext(&record), encoding: TextEncoding::LatinWhenPossible }],
        )
        .unwrap();
        let text = crate::metadata::png_read::read_png_text_from(&bytes[..], Path::new("x.png"), &ReadLimits::default()).unwrap();
        assert_eq!(text.chunks[0].kind, TextChunkKind::Text);
        assert!(text.chunks[0].text.starts_with("café au lait\n"));
    }

    #[test]
    fn bad_input_is_refused_and_nothing_is_written() {
        let folder = scratch_folder("png-write-bad");
        let path = folder.join("out.png");
        let pixels = gradient(8, 4);
        let short = RgbImage { width: 8, height: 5, pixels: &pixels };
        assert!(matches!(write_png_with_record(&path, short, &record()), Err(MetadataError::InvalidImage { .. })));
        let empty = RgbImage { width: 0, height: 4, pixels: &[] };
        assert!(matches!(write_png_with_record(&path, empty, &record()), Err(MetadataError::InvalidImage { .. })));
        let mut nan = record();
        nan.settings.cfg_scale = f64::NAN;
        let image = RgbImage { width: 8, height: 4, pixels: &pixels };
        assert!(matches!(write_png_with_record(&path, image, &nan), Err(MetadataError::InvalidRecord { .. })));
        let long_keyword = "k".repeat(80);
        let texts = [TextEntry { keyword: &long_keyword, text: "x", encoding: TextEncoding::Utf8 }];
        assert!(matches!(write_png_atomic(&path, image, &texts), Err(MetadataError::PngEncode { .. })));
        assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 0);
        std::fs::remove_dir_all(folder).unwrap();
    }
}
