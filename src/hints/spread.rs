//! Hints spread into the areas the lines enclose.

use image::{GrayImage, Luma, Rgb, RgbImage, RgbaImage};

use super::error::HintsError;
use super::guide::ColorGuide;
use crate::flats::{Areas, FlatsSettings, segment};

/// A hint pixel is painted from this alpha up (soft brush edges below it do not count).
const PAINTED_ALPHA: u8 = 128;

/// An area needs this many painted pixels to take a hint, or a quarter of its own pixels when it is
/// smaller: a stroke slipping two or three pixels over a line does not color the area beyond.
const SPILL_PX: usize = 16;

/// The paper of the areas no hint touches.
const PAPER: [u8; 3] = [255, 255, 255];

/// Whether an area of `area_pixels` free pixels with `painted` hint pixels on them is hinted.
pub fn hinted_enough(painted: usize, area_pixels: usize) -> bool {
    painted > 0 && painted >= SPILL_PX.min(area_pixels.div_ceil(4))
}

/// The guide of `hints` (RGBA, transparent where nothing is painted) over `line_art` (dark lines on
/// light paper, the same size): each area a hint touches enough takes the color most of its painted
/// pixels have. Without line art, only the painted pixels themselves are held.
pub fn spread_hints(hints: &RgbaImage, line_art: Option<&GrayImage>, settings: &FlatsSettings) -> Result<ColorGuide, HintsError> {
    if !hints.pixels().any(|p| p.0[3] >= PAINTED_ALPHA) {
        return Err(HintsError::NothingPainted);
    }
    let Some(line_art) = line_art else { return Ok(painted_only(hints)) };
    let ((hints_width, hints_height), (line_width, line_height)) = (hints.dimensions(), line_art.dimensions());
    if (hints_width, hints_height) != (line_width, line_height) {
        return Err(HintsError::SizeMismatch { hints_width, hints_height, line_width, line_height });
    }
    let areas = segment(line_art, settings)?;
    let colors = area_colors(hints, &areas);
    Ok(paint_guide(line_art, &areas.labels, &colors))
}

/// The guide when there are no lines to find areas in: the painted pixels, held as painted.
fn painted_only(hints: &RgbaImage) -> ColorGuide {
    let (width, height) = hints.dimensions();
    let painted = |x, y| {
        let [r, g, b, a] = hints.get_pixel(x, y).0;
        (a >= PAINTED_ALPHA).then_some([r, g, b])
    };
    ColorGuide {
        image: RgbImage::from_fn(width, height, |x, y| Rgb(painted(x, y).unwrap_or(PAPER))),
        coverage: GrayImage::from_fn(width, height, |x, y| Luma([if painted(x, y).is_some() { 255 } else { 0 }])),
    }
}

/// Each area's hint color, `None` for the areas no hint touches enough. An area's color is the one
/// most of its painted pixels have (ties: the smaller color value, so the result never depends on
/// the order of the pixels).
fn area_colors(hints: &RgbaImage, areas: &Areas) -> Vec<Option<[u8; 3]>> {
    let mut painted: Vec<(u32, [u8; 3])> = Vec::new();
    let mut area_pixels = vec![0usize; areas.count as usize];
    for (index, pixel) in hints.pixels().enumerate() {
        if areas.lines[index] {
            continue;
        }
        let label = areas.labels[index];
        area_pixels[label as usize] += 1;
        let [r, g, b, a] = pixel.0;
        if a >= PAINTED_ALPHA {
            painted.push((label, [r, g, b]));
        }
    }
    painted.sort_unstable();
    let mut colors = vec![None; areas.count as usize];
    for run in painted.chunk_by(|a, b| a.0 == b.0) {
        let label = run[0].0 as usize;
        if hinted_enough(run.len(), area_pixels[label]) {
            colors[label] = Some(most_common(run));
        }
    }
    colors
}

/// The most common color of one area's painted pixels, sorted by color.
fn most_common(run: &[(u32, [u8; 3])]) -> [u8; 3] {
    let mut best = (0, run[0].1);
    for same in run.chunk_by(|a, b| a.1 == b.1) {
        if same.len() > best.0 {
            best = (same.len(), same[0].1);
        }
    }
    best.1
}

/// Hinted areas in their colors, the rest paper, the lines multiplied over everything.
fn paint_guide(line_art: &GrayImage, labels: &[u32], colors: &[Option<[u8; 3]>]) -> ColorGuide {
    let (width, height) = line_art.dimensions();
    let color_at = |x: u32, y: u32| colors.get(labels[(y * width + x) as usize] as usize).copied().flatten();
    let image = RgbImage::from_fn(width, height, |x, y| {
        let ink = u16::from(line_art.get_pixel(x, y).0[0]);
        let base = color_at(x, y).unwrap_or(PAPER);
        Rgb(base.map(|c| ((u16::from(c) * ink + 127) / 255) as u8))
    });
    let coverage = GrayImage::from_fn(width, height, |x, y| Luma([if color_at(x, y).is_some() { 255 } else { 0 }]));
    ColorGuide { image, coverage }
}
