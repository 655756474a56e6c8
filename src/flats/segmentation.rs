//! The flats themselves: the painted picture, which area each pixel belongs to, and what each area is.

use image::RgbImage;
use rayon::prelude::*;

/// A drawing cut into areas, each filled with one color.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flats {
    /// Every pixel in its area's color, line pixels included (they take the color of the area they border).
    pub image: RgbImage,
    /// For each pixel (row by row), the index of its area in [`Flats::regions`].
    pub labels: Vec<u32>,
    /// The areas, numbered by their labels.
    pub regions: Vec<Region>,
}

/// One area of the flats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Its flat color: the dominant color of the colored picture inside it.
    pub color: [u8; 3],
    /// All its pixels, the line pixels it took included.
    pub pixels: usize,
    /// Its pixels that are not lines: the area the artist enclosed.
    pub area_pixels: usize,
    /// Whether one of its non-line pixels is on the picture's edge: the background of a figure drawing.
    /// (A frame line drawn along the edge keeps the panel inside from counting.)
    pub touches_border: bool,
    /// The smallest rectangle holding all its pixels.
    pub bounds: PixelRect,
}

/// A rectangle of pixels: left and top edges, and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PixelRect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Flats {
    /// The flats' width and height in pixels.
    pub fn dimensions(&self) -> (u32, u32) {
        self.image.dimensions()
    }

    /// The index of the area at a pixel, or `None` outside the picture (for picking an area by a click).
    pub fn region_at(&self, x: u32, y: u32) -> Option<u32> {
        let (width, height) = self.dimensions();
        (x < width && y < height).then(|| self.labels.get(y as usize * width as usize + x as usize).copied()).flatten()
    }

    /// Builds the flats from finished labels and the areas' colors.
    pub(crate) fn assemble(labels: Vec<u32>, colors: &[[u8; 3]], lines: &[bool], width: u32, height: u32) -> Self {
        let image = paint(&labels, colors, width, height);
        let regions = describe_regions(&labels, colors, lines, width as usize);
        Self { image, labels, regions }
    }
}

/// Each pixel in its label's color.
fn paint(labels: &[u32], colors: &[[u8; 3]], width: u32, height: u32) -> RgbImage {
    let mut raw = vec![0u8; labels.len() * 3];
    raw.par_chunks_mut(3).zip(labels).for_each(|(pixel, &label)| pixel.copy_from_slice(&colors[label as usize]));
    RgbImage::from_raw(width, height, raw).unwrap_or_else(|| RgbImage::new(width, height))
}

/// Sizes, border contact and bounds of every label: bands of rows are counted in parallel, then added up.
fn describe_regions(labels: &[u32], colors: &[[u8; 3]], lines: &[bool], width: usize) -> Vec<Region> {
    let height = labels.len() / width.max(1);
    let band = height.div_ceil(4 * rayon::current_num_threads()).max(1);
    let tally = labels
        .par_chunks(band * width)
        .enumerate()
        .map(|(index, rows)| {
            let mut tally = vec![Tally::EMPTY; colors.len()];
            for (offset, row) in rows.chunks(width).enumerate() {
                let y = index * band + offset;
                let line_row = &lines[y * width..(y + 1) * width];
                let edge_row = y == 0 || y + 1 == height;
                for (x, (&label, &line)) in row.iter().zip(line_row).enumerate() {
                    tally[label as usize].add(x as u32, y as u32, line, edge_row || x == 0 || x + 1 == width);
                }
            }
            tally
        })
        .reduce_with(|mut all, part| {
            all.iter_mut().zip(part).for_each(|(all, part)| all.merge(part));
            all
        })
        .unwrap_or_default();
    colors
        .iter()
        .zip(tally.into_iter().chain(std::iter::repeat(Tally::EMPTY)))
        .map(|(&color, tally)| tally.region(color))
        .collect()
}

/// What one band of rows knows about a label.
#[derive(Clone, Copy)]
struct Tally {
    pixels: usize,
    area_pixels: usize,
    touches_border: bool,
    /// Left, top, right, bottom, inclusive.
    corners: [u32; 4],
}

impl Tally {
    const EMPTY: Tally = Tally { pixels: 0, area_pixels: 0, touches_border: false, corners: [u32::MAX, u32::MAX, 0, 0] };

    fn add(&mut self, x: u32, y: u32, line: bool, on_edge: bool) {
        self.pixels += 1;
        if !line {
            self.area_pixels += 1;
            self.touches_border |= on_edge;
        }
        let [left, top, right, bottom] = self.corners;
        self.corners = [left.min(x), top.min(y), right.max(x), bottom.max(y)];
    }

    fn merge(&mut self, other: Tally) {
        let ([l, t, r, b], [ol, ot, or, ob]) = (self.corners, other.corners);
        *self = Tally {
            pixels: self.pixels + other.pixels,
            area_pixels: self.area_pixels + other.area_pixels,
            touches_border: self.touches_border || other.touches_border,
            corners: [l.min(ol), t.min(ot), r.max(or), b.max(ob)],
        };
    }

    fn region(self, color: [u8; 3]) -> Region {
        let [left, top, right, bottom] = self.corners;
        let bounds = if self.pixels == 0 {
            PixelRect::default()
        } else {
            PixelRect { x: left, y: top, width: right - left + 1, height: bottom - top + 1 }
        };
        Region { color, pixels: self.pixels, area_pixels: self.area_pixels, touches_border: self.touches_border, bounds }
    }
}
