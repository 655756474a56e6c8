//! An OpenRaster (`.ora`) writer, the layered format of Krita, GIMP and MyPaint: a zip whose first
//! entry is `mimetype` (stored, uncompressed, so the file type is readable at a fixed offset), then
//! `stack.xml` (layers top first, with name, opacity, visibility and `composite-op`), one PNG per layer
//! under `data/`, `mergedimage.png` and `Thumbnails/thumbnail.png` (at most 256 px a side).

use std::io::{Cursor, Write};
use std::path::Path;

use image::{ImageEncoder, RgbaImage};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use super::error::{LayeredError, Result};
use super::stack::{BlendMode, Layer, LayerStack};
use crate::atomic_write::write_file_atomically;

/// The largest side of the thumbnail the OpenRaster specification allows.
const THUMBNAIL_SIDE: u32 = 256;

/// Writes `stack` to `path` as an OpenRaster file, whole or not at all.
pub fn write_ora(stack: &LayerStack, path: &Path) -> Result<()> {
    let bytes = ora_bytes(stack, path)?;
    write_file_atomically(path, &bytes).map_err(|e| write_error(path, e))
}

/// The OpenRaster file of `stack`; `path` only names the file in errors.
pub fn ora_bytes(stack: &LayerStack, path: &Path) -> Result<Vec<u8>> {
    super::check_layer_sizes(stack, path)?;
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    add(&mut zip, "mimetype", b"image/openraster", stored, path)?;
    add(&mut zip, "stack.xml", stack_xml(stack).as_bytes(), deflated, path)?;
    for (index, layer) in stack.layers.iter().enumerate() {
        add(&mut zip, &layer_file(index), &png(&layer.pixels, path)?, stored, path)?;
    }
    add(&mut zip, "mergedimage.png", &png(&stack.merged, path)?, stored, path)?;
    add(&mut zip, "Thumbnails/thumbnail.png", &png(&thumbnail(&stack.merged), path)?, stored, path)?;
    let cursor = zip.finish().map_err(|e| write_error(path, e))?;
    Ok(cursor.into_inner())
}

fn add(zip: &mut ZipWriter<Cursor<Vec<u8>>>, name: &str, bytes: &[u8], options: SimpleFileOptions, path: &Path) -> Result<()> {
    zip.start_file(name, options).map_err(|e| write_error(path, e))?;
    zip.write_all(bytes).map_err(|e| write_error(path, e))
}

/// Layer `index` (bottom is 0) is `data/layerINDEX.png`.
fn layer_file(index: usize) -> String {
    format!("data/layer{index}.png")
}

/// `stack.xml`: OpenRaster lists the top layer first.
pub fn stack_xml(stack: &LayerStack) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!("<image version=\"0.0.6\" w=\"{}\" h=\"{}\">\n <stack>\n", stack.width(), stack.height()));
    for (index, layer) in stack.layers.iter().enumerate().rev() {
        xml.push_str(&layer_element(index, layer));
    }
    xml.push_str(" </stack>\n</image>\n");
    xml
}

fn layer_element(index: usize, layer: &Layer) -> String {
    format!(
        "  <layer name=\"{}\" src=\"{}\" x=\"{}\" y=\"{}\" opacity=\"{:.3}\" visibility=\"{}\" composite-op=\"{}\"/>\n",
        html_escape::encode_double_quoted_attribute(&layer.name),
        layer_file(index),
        layer.origin.0,
        layer.origin.1,
        f64::from(layer.opacity) / 255.0,
        if layer.visible { "visible" } else { "hidden" },
        composite_op(layer.blend),
    )
}

fn composite_op(mode: BlendMode) -> &'static str {
    match mode {
        BlendMode::Normal => "svg:src-over",
        BlendMode::Multiply => "svg:multiply",
    }
}

/// PNG with fast compression: the zip stores it as it is.
fn png(pixels: &RgbaImage, path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut bytes,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    );
    encoder
        .write_image(pixels.as_raw(), pixels.width(), pixels.height(), image::ExtendedColorType::Rgba8)
        .map_err(|e| write_error(path, e))?;
    Ok(bytes)
}

/// The merged image shrunk to fit 256 px, aspect ratio kept (never enlarged).
fn thumbnail(merged: &RgbaImage) -> RgbaImage {
    let (w, h) = merged.dimensions();
    let longest = w.max(h).max(1);
    if longest <= THUMBNAIL_SIDE {
        return merged.clone();
    }
    let scale = |side: u32| ((u64::from(side) * u64::from(THUMBNAIL_SIDE)) / u64::from(longest)).max(1) as u32;
    image::imageops::thumbnail(merged, scale(w), scale(h))
}

fn write_error(path: &Path, error: impl std::fmt::Display) -> LayeredError {
    LayeredError::Write { path: path.to_path_buf(), message: error.to_string() }
}
