//! Flats (下塗り): the drawing cut into the areas its lines enclose, each filled with one color taken
//! from the AI result, as a base for the artist's own shading.
//!
//! [`make_flats`] reads the line art (dark lines on light paper, at the result's size) and the colored
//! result:
//! 1. lines are the pixels darker than [`FlatsSettings::line_threshold`] ([`line_art_from_rgb`] turns a
//!    light-on-dark drawing around);
//! 2. the free space is cut into areas by a trapped-ball fill that closes gaps up to
//!    [`FlatsSettings::gap_px`] in the lines ([`areas`]);
//! 3. the line pixels join the area they border (the nearest, through the line);
//! 4. areas smaller than [`FlatsSettings::min_area_px`] merge into a neighbour;
//! 5. each area takes the dominant color of the result inside it ([`color`]).
//!
//! [`Flats::layers_by_color`] splits them into one layer per color, and [`background_mask`] marks the
//! areas touching the edge, for a transparent background. Every step is linear in the pixels and the
//! result is the same on every run and every number of threads.

mod areas;
mod background;
mod ball;
mod color;
mod components;
mod error;
mod grow;
mod layers;
mod lines;
mod merge;
mod segmentation;
mod settings;
mod timing;

#[cfg(test)]
mod tests;

use image::{GrayImage, RgbImage};
use rayon::prelude::*;

pub use background::background_mask;
pub use error::FlatsError;
pub use layers::ColorLayer;
pub use lines::line_art_from_rgb;
pub use segmentation::{Flats, PixelRect, Region};
pub use settings::{FlatsSettings, MAX_GAP_PX};
pub use timing::StageTiming;

/// The flats of `line_art` (dark lines on light paper) colored from `color`, the AI result of the same size.
pub fn make_flats(line_art: &GrayImage, color: &RgbImage, settings: &FlatsSettings) -> Result<Flats, FlatsError> {
    make_flats_timed(line_art, color, settings).map(|(flats, _)| flats)
}

/// [`make_flats`], also returning how long each stage took.
pub fn make_flats_timed(
    line_art: &GrayImage,
    color: &RgbImage,
    settings: &FlatsSettings,
) -> Result<(Flats, Vec<StageTiming>), FlatsError> {
    check_sizes(line_art, color)?;
    let (width, height) = line_art.dimensions();
    let mut clock = timing::StageClock::start();
    let Areas { labels, count, lines } = segment_timed(line_art, settings, &mut clock);
    let free: Vec<bool> = lines.par_iter().map(|&line| !line).collect();
    let colors = color::dominant_colors(&labels, &free, color, count);
    clock.lap("colors");
    let flats = Flats::assemble(labels, &colors, &lines, width, height);
    clock.lap("paint");
    Ok((flats, clock.timings))
}

/// The drawing cut into areas, before any color: steps 1–4 of [`make_flats`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Areas {
    /// For each pixel (row by row), its area: `0..count`. Line pixels carry the area they border.
    pub labels: Vec<u32>,
    pub count: u32,
    /// Which pixels are lines.
    pub lines: Vec<bool>,
}

/// The areas `line_art` (dark lines on light paper) encloses, as [`make_flats`] finds them; for
/// spreading something other than the AI's colors in them (the color hints).
pub fn segment(line_art: &GrayImage, settings: &FlatsSettings) -> Result<Areas, FlatsError> {
    let (width, height) = line_art.dimensions();
    if width == 0 || height == 0 {
        return Err(FlatsError::Empty { width, height });
    }
    Ok(segment_timed(line_art, settings, &mut timing::StageClock::start()))
}

fn segment_timed(line_art: &GrayImage, settings: &FlatsSettings, clock: &mut timing::StageClock) -> Areas {
    let width = line_art.width() as usize;
    let lines = all_lines_as_paper(lines::line_mask(line_art, settings.line_threshold));
    clock.lap("lines");
    let (mut labels, count) = areas::label_areas(&lines, width, settings.ball_radius(), clock);
    grow::grow_labels(&mut labels, &lines, width);
    clock.lap("lines to areas");
    let count = merge::merge_small_areas(&mut labels, &lines, width, count, settings.min_area_px);
    clock.lap("merge small areas");
    Areas { labels, count, lines }
}

fn check_sizes(line_art: &GrayImage, color: &RgbImage) -> Result<(), FlatsError> {
    let ((line_width, line_height), (color_width, color_height)) = (line_art.dimensions(), color.dimensions());
    if (line_width, line_height) != (color_width, color_height) {
        return Err(FlatsError::SizeMismatch { line_width, line_height, color_width, color_height });
    }
    if line_width == 0 || line_height == 0 {
        return Err(FlatsError::Empty { width: line_width, height: line_height });
    }
    Ok(())
}

/// A picture that is lines everywhere (a black page, a threshold above the paper's value) has no area
/// to seed; it is read as one area of paper instead, so every pixel still gets a color.
fn all_lines_as_paper(mut lines: Vec<bool>) -> Vec<bool> {
    if lines.par_iter().all(|&line| line) {
        lines.fill(false);
    }
    lines
}
