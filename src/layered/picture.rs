//! Layers for a picture Nurie made, rebuilt from the PNG alone: its metadata names the line art by
//! SHA-256 (`line_art_sha256` of its first ControlNet unit), and Nurie keeps every drawing under that
//! name in its home (`inputs/`, [`KeptInputs`]), so the artist's original lines are found even when
//! the drawing was moved or edited since. The color hints, kept the same way, become the hidden
//! "Hints" layer (left out when they are not kept here: they only steered the picture).

use std::path::Path;

use image::{RgbImage, RgbaImage};

use super::compose::{LayerOptions, LayerSources, compose_layers};
use super::error::{LayeredError, Result};
use super::stack::LayerStack;
use crate::control::{fit_rgba_nearest, load_rgba8};
use crate::metadata::{ControlNetUnit, GenerationRecord, read_settings_from_png};
use crate::output::KeptInputs;
use crate::vocabulary::ResizeMode;

/// The layer stack of `picture`, with the line art found in `kept`.
pub fn layers_for_picture(picture: &Path, kept: &KeptInputs, options: LayerOptions) -> Result<LayerStack> {
    let picture_error = |message: String| LayeredError::Picture { picture: picture.to_path_buf(), message };
    let parsed = read_settings_from_png(picture).map_err(|e| picture_error(e.to_string()))?;
    let unit = parsed.record.controlnets.first().ok_or_else(|| LayeredError::NoLineArt { picture: picture.to_path_buf() })?;
    let drawing = kept_drawing(picture, unit, kept)?;
    let color = image::open(picture).map_err(|e| picture_error(e.to_string()))?.to_rgb8();
    let size = color.dimensions();
    let mut sources = sources_of_unit(unit, color, drawing);
    // The hints only steered the picture: when they are no longer kept, the layers go without them.
    sources.hints = kept_hints(&parsed.record, kept, size).ok().flatten();
    compose_layers(sources, options)
}

/// The color hints `record` names, from the copy `kept` holds, placed on a picture of `size` as its
/// first unit's line art was: `Ok(None)` when the picture was made without hints, `Err(why)` when they
/// are no longer kept (the hash) or cannot be read.
pub fn kept_hints(
    record: &GenerationRecord,
    kept: &KeptInputs,
    size: (u32, u32),
) -> std::result::Result<Option<RgbaImage>, String> {
    let Some(sha256) = record.color_hints_sha256.as_deref() else { return Ok(None) };
    let path = kept.find(sha256).ok_or_else(|| sha256.to_string())?;
    let hints = load_rgba8(path).map_err(|e| e.to_string())?;
    let mode = record.controlnets.first().map_or(ResizeMode::default(), |unit| unit.resize_mode);
    Ok(Some(hints_at_size(&hints, mode, size)))
}

/// Color hints placed on a picture of `size` as its line art was (painted colors kept exactly).
pub fn hints_at_size(hints: &RgbaImage, resize_mode: ResizeMode, (width, height): (u32, u32)) -> RgbaImage {
    fit_rgba_nearest(hints, resize_mode, width, height)
}

/// The layers' sources for a picture made with `unit` from `drawing`. `line_art_inverted` records that
/// Nurie read the drawing as dark lines on light paper (and inverted it for the model), so it also tells
/// the drawing's polarity; `resize_mode` places the lines where the model saw them.
pub fn sources_of_unit(unit: &ControlNetUnit, color: RgbImage, drawing: RgbImage) -> LayerSources {
    LayerSources { color, drawing, black_on_white: unit.line_art_inverted, resize_mode: unit.resize_mode, hints: None }
}

/// The kept drawing the unit names.
pub(super) fn kept_drawing(picture: &Path, unit: &ControlNetUnit, kept: &KeptInputs) -> Result<RgbImage> {
    let sha256 = unit.line_art_sha256.as_deref().ok_or_else(|| LayeredError::NoLineArt { picture: picture.to_path_buf() })?;
    let path = kept.find(sha256).ok_or_else(|| LayeredError::LineArtGone {
        picture: picture.to_path_buf(),
        sha256: sha256.to_string(),
        folder: kept.folder().to_path_buf(),
    })?;
    crate::control::load_rgb8(&path).map_err(|e| LayeredError::LineArt { path, message: e.to_string() })
}
