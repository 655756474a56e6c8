//! The layer stack Nurie exports, bottom to top: "Color" (the AI result), "Flats" (hidden, when made),
//! "Hints" (hidden, when given), "Line art" (the artist's drawing, Multiply), and the merged image.
//!
//! With `flats_by_color`, one hidden "Flat #rrggbb" layer per flat color follows "Flats".
//! Flats and Hints are hidden so the stack shows what the merged image shows, the colors under the
//! artist's lines; the artist turns them on, or selects areas from them, in the painting program.
//! With a transparent background, the areas of the flats that touch the picture's border
//! ([`crate::flats::background_mask`]) become transparent in Color, Flats and the merged image; the
//! Line art layer is never changed.

use image::{DynamicImage, GrayImage, RgbImage, RgbaImage};

use super::color_trace::trace_colors;
use super::error::{LayeredError, Result};
use super::line_layer::{drawing_at_size, line_layer};
use super::merge::multiply_lines;
use super::stack::{BlendMode, Layer, LayerStack};
use crate::flats::{Flats, FlatsSettings, background_mask, line_art_from_rgb, make_flats};
use crate::vocabulary::{Polarity, ResizeMode};

pub const COLOR_LAYER: &str = "Color";
pub const FLATS_LAYER: &str = "Flats";
pub const HINTS_LAYER: &str = "Hints";
pub const LINE_ART_LAYER: &str = "Line art";

/// What a layered file is made from.
#[derive(Debug, Clone)]
pub struct LayerSources {
    /// The AI result; its size is the file's size.
    pub color: RgbImage,
    /// The artist's drawing as they gave it, at its own size.
    pub drawing: RgbImage,
    /// Whether the drawing has dark lines on light paper (else light lines on dark).
    pub black_on_white: bool,
    /// How the drawing was fitted to the picture for ControlNet (the same fit places the lines).
    pub resize_mode: ResizeMode,
    /// The color hints at the picture's size (transparent where none), when given.
    pub hints: Option<RgbaImage>,
}

/// Choices that change the layers' pixels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerOptions {
    /// 色トレス: lines recolored from the colors beside them, darkened (see [`super::color_trace`]).
    pub color_trace: bool,
    /// Make flats (下塗り) from the drawing and the colors, as a hidden "Flats" layer.
    pub flats: Option<FlatsSettings>,
    /// With the flats, also one hidden layer per flat color ("Flat #rrggbb"), each cropped to its
    /// areas: a color's areas selected at once in Clip Studio Paint or Photoshop.
    pub flats_by_color: bool,
    /// Make the background (the areas touching the border) transparent; uses the flats' areas, with the
    /// default settings when `flats` is `None`.
    pub transparent: bool,
}

/// The stack of the module doc; fails only when the flats cannot be made.
pub fn compose_layers(sources: LayerSources, options: LayerOptions) -> Result<LayerStack> {
    let (width, height) = sources.color.dimensions();
    let drawing = drawing_at_size(&sources.drawing, sources.resize_mode, width, height);
    let flats = flats_if_needed(&drawing, &sources, options)?;
    let background = flats.as_ref().filter(|_| options.transparent).map(background_mask);
    let mut lines = line_layer(&drawing, sources.black_on_white);
    if options.color_trace {
        trace_colors(&mut lines, &sources.color);
    }
    let merged = multiply_lines(&sources.color, &lines, background.as_ref());
    let mut layers = vec![Layer::new(COLOR_LAYER, cut_out(DynamicImage::ImageRgb8(sources.color).into_rgba8(), &background))];
    if let Some(flats) = flats.filter(|_| options.flats.is_some()) {
        let by_color = if options.flats_by_color { color_layers(&flats, background.as_ref()) } else { Vec::new() };
        let flats = cut_out(DynamicImage::ImageRgb8(flats.image).into_rgba8(), &background);
        layers.push(Layer::new(FLATS_LAYER, flats).hidden());
        layers.extend(by_color);
    }
    layers.extend(sources.hints.map(|hints| Layer::new(HINTS_LAYER, hints).hidden()));
    layers.push(Layer::new(LINE_ART_LAYER, lines).blended(BlendMode::Multiply));
    Ok(LayerStack { layers, merged })
}

/// The flats of `sources` alone, exactly as the "Flats" layer has them (the window's Flats view).
pub fn flats_of(sources: &LayerSources, settings: &FlatsSettings) -> Result<Flats> {
    let (width, height) = sources.color.dimensions();
    let drawing = drawing_at_size(&sources.drawing, sources.resize_mode, width, height);
    flats_from(&drawing, sources, settings)
}

/// The flats, when a Flats layer or a transparent background asks for them.
fn flats_if_needed(drawing: &RgbImage, sources: &LayerSources, options: LayerOptions) -> Result<Option<Flats>> {
    if options.flats.is_none() && !options.transparent {
        return Ok(None);
    }
    flats_from(drawing, sources, &options.flats.unwrap_or_default()).map(Some)
}

/// The flats of the drawing already fitted to the colors' size.
fn flats_from(drawing_at_size: &RgbImage, sources: &LayerSources, settings: &FlatsSettings) -> Result<Flats> {
    let polarity = if sources.black_on_white { Polarity::BlackOnWhite } else { Polarity::WhiteOnBlack };
    make_flats(&line_art_from_rgb(drawing_at_size, polarity), &sources.color, settings)
        .map_err(|e| LayeredError::Flats(e.to_string()))
}

/// One hidden layer per flat color, placed over its areas; areas cut out as background are left out,
/// and a color left with nothing gets no layer.
fn color_layers(flats: &Flats, background: Option<&GrayImage>) -> Vec<Layer> {
    let mut layers = Vec::new();
    for mut layer in flats.layers_by_color() {
        let (x0, y0) = (layer.bounds.x, layer.bounds.y);
        if let Some(background) = background {
            for (x, y, pixel) in layer.mask.enumerate_pixels_mut() {
                if background.get_pixel(x0 + x, y0 + y).0[0] == 255 {
                    pixel.0[0] = 0;
                }
            }
        }
        if layer.mask.pixels().all(|pixel| pixel.0[0] == 0) {
            continue;
        }
        let [r, g, b] = layer.color;
        layers.push(Layer::new(format!("Flat #{r:02x}{g:02x}{b:02x}"), layer.to_rgba()).at(x0, y0).hidden());
    }
    layers
}

/// `pixels` made transparent where `background` is set (255).
fn cut_out(mut pixels: RgbaImage, background: &Option<GrayImage>) -> RgbaImage {
    if let Some(mask) = background {
        for (pixel, cut) in pixels.pixels_mut().zip(mask.pixels()) {
            pixel.0[3] = 255 - cut.0[0];
        }
    }
    pixels
}
