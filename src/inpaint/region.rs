//! "Only masked": the part of the picture around the mask that is redrawn at the generation size
//! (A1111's `masking.get_crop_region_v2` and `expand_crop_region`), and the two fittings A1111 moves
//! pictures in and out of it with (`images.resize_image` modes 2, "resize and fill", and 1, "crop and
//! resize"), Lanczos as everywhere in A1111.

use image::{GrayImage, RgbImage};

use super::error::InpaintError;
use crate::upscale::{Resample, first_channel, gray_to_rgb, resize};

/// A rectangle of the picture, `x2` and `y2` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CropRegion {
    pub x1: u32,
    pub y1: u32,
    pub x2: u32,
    pub y2: u32,
}

impl CropRegion {
    pub fn width(&self) -> u32 {
        self.x2 - self.x1
    }

    pub fn height(&self) -> u32 {
        self.y2 - self.y1
    }

    /// The bounding box of the mask's non-zero pixels grown by `padding` on every side within the
    /// picture; `None` for an empty mask.
    pub fn around(mask: &GrayImage, padding: u32) -> Option<Self> {
        let marked = |x: u32, y: u32| mask.get_pixel(x, y).0[0] != 0;
        let (width, height) = mask.dimensions();
        let rows: Vec<u32> = (0..height).filter(|&y| (0..width).any(|x| marked(x, y))).collect();
        let columns: Vec<u32> = (0..width).filter(|&x| (0..height).any(|y| marked(x, y))).collect();
        let (&y1, &y2, &x1, &x2) = (rows.first()?, rows.last()?, columns.first()?, columns.last()?);
        Some(CropRegion {
            x1: x1.saturating_sub(padding),
            y1: y1.saturating_sub(padding),
            x2: (x2 + 1 + padding).min(width),
            y2: (y2 + 1 + padding).min(height),
        })
    }

    /// The region grown to the generation's aspect ratio (`width`×`height`) inside a picture of
    /// `image_width`×`image_height`, as A1111's `expand_crop_region`.
    pub fn expanded(self, width: u32, height: u32, image_width: u32, image_height: u32) -> Self {
        let [x1, y1, x2, y2] = [self.x1, self.y1, self.x2, self.y2].map(i64::from);
        let region_ratio = (x2 - x1) as f64 / (y2 - y1) as f64;
        let ratio = f64::from(width) / f64::from(height);
        let grow = |low: i64, high: i64, diff: i64, limit: i64| {
            let (mut low, mut high) = (low - diff.div_euclid(2), high + diff - diff.div_euclid(2));
            if high >= limit {
                let over = high - limit;
                high -= over;
                low -= over;
            }
            if low < 0 {
                high -= low;
                low = 0;
            }
            (low, high.min(limit))
        };
        let [x1, y1, x2, y2] = if region_ratio > ratio {
            let diff = ((x2 - x1) as f64 / ratio - (y2 - y1) as f64) as i64;
            let (y1, y2) = grow(y1, y2, diff, i64::from(image_height));
            [x1, y1, x2, y2]
        } else {
            let diff = ((y2 - y1) as f64 * ratio - (x2 - x1) as f64) as i64;
            let (x1, x2) = grow(x1, x2, diff, i64::from(image_width));
            [x1, y1, x2, y2]
        };
        let clamp = |v: i64| v.max(0) as u32;
        CropRegion { x1: clamp(x1), y1: clamp(y1), x2: clamp(x2), y2: clamp(y2) }
    }

    pub fn crop(&self, picture: &RgbImage) -> RgbImage {
        image::imageops::crop_imm(picture, self.x1, self.y1, self.width(), self.height()).to_image()
    }

    pub fn crop_gray(&self, mask: &GrayImage) -> GrayImage {
        image::imageops::crop_imm(mask, self.x1, self.y1, self.width(), self.height()).to_image()
    }
}

/// A1111's "resize and fill" (`resize_image` mode 2): scaled to fit inside `width`×`height`, centred, the
/// uncovered strips filled from the picture's edge as Pillow resizes a zero-height box there.
pub fn resize_and_fill(picture: &RgbImage, width: u32, height: u32) -> Result<RgbImage, InpaintError> {
    let (w, h) = (i64::from(picture.width()), i64::from(picture.height()));
    let (tw, th) = (i64::from(width), i64::from(height));
    let (ratio, source_ratio) = (tw as f64 / th as f64, w as f64 / h as f64);
    let src_w = if ratio < source_ratio { tw } else { w * th / h };
    let src_h = if ratio >= source_ratio { th } else { h * tw / w };
    let resized = resize(picture, src_w as u32, src_h as u32, Resample::Lanczos)?;
    let mut out = RgbImage::new(width, height);
    let (left, top) = (tw / 2 - src_w / 2, th / 2 - src_h / 2);
    paste(&mut out, &resized, left, top);
    if ratio < source_ratio && top > 0 {
        let (first, last) = edge_lines(&resized, Edge::Rows);
        for y in 0..top {
            paste(&mut out, &first, 0, y);
            paste(&mut out, &last, 0, top + src_h + y);
        }
    } else if ratio > source_ratio && left > 0 {
        let (first, last) = edge_lines(&resized, Edge::Columns);
        for x in 0..left {
            paste(&mut out, &first, x, 0);
            paste(&mut out, &last, left + src_w + x, 0);
        }
    }
    Ok(out)
}

/// [`resize_and_fill`] of a grey picture.
pub fn resize_and_fill_gray(mask: &GrayImage, width: u32, height: u32) -> Result<GrayImage, InpaintError> {
    Ok(first_channel(&resize_and_fill(&gray_to_rgb(mask), width, height)?))
}

/// A1111's "crop and resize" (`resize_image` mode 1): scaled to cover `width`×`height`, centred, the
/// overflow cut off.
pub fn crop_and_resize(picture: &RgbImage, width: u32, height: u32) -> Result<RgbImage, InpaintError> {
    let (w, h) = (i64::from(picture.width()), i64::from(picture.height()));
    let (tw, th) = (i64::from(width), i64::from(height));
    let (ratio, source_ratio) = (tw as f64 / th as f64, w as f64 / h as f64);
    let src_w = if ratio > source_ratio { tw } else { w * th / h };
    let src_h = if ratio <= source_ratio { th } else { h * tw / w };
    let resized = resize(picture, src_w as u32, src_h as u32, Resample::Lanczos)?;
    let mut out = RgbImage::new(width, height);
    paste(&mut out, &resized, tw / 2 - src_w / 2, th / 2 - src_h / 2);
    Ok(out)
}

/// `part` copied into `into` with its corner at (`left`, `top`), clipped to `into`.
fn paste(into: &mut RgbImage, part: &RgbImage, left: i64, top: i64) {
    for (x, y, pixel) in part.enumerate_pixels() {
        let (tx, ty) = (left + i64::from(x), top + i64::from(y));
        if (0..i64::from(into.width())).contains(&tx) && (0..i64::from(into.height())).contains(&ty) {
            into.put_pixel(tx as u32, ty as u32, *pixel);
        }
    }
}

#[derive(Clone, Copy)]
enum Edge {
    Rows,
    Columns,
}

/// The line Pillow makes when it resizes a zero-wide box at either edge of `picture` (`box=(0, 0, w, 0)`
/// and `box=(0, h, w, h)` in A1111): the three nearest lines weighted by Lanczos at 0.5, 1.5 and 2.5.
fn edge_lines(picture: &RgbImage, edge: Edge) -> (RgbImage, RgbImage) {
    let (length, lines) = match edge {
        Edge::Rows => (picture.width(), picture.height()),
        Edge::Columns => (picture.height(), picture.width()),
    };
    let taps = lines.min(3);
    let weights: Vec<f64> = (0..taps).map(|i| lanczos3(f64::from(i) + 0.5)).collect();
    let total: f64 = weights.iter().sum();
    let at = |along: u32, line: u32| match edge {
        Edge::Rows => picture.get_pixel(along, line).0,
        Edge::Columns => picture.get_pixel(line, along).0,
    };
    let line = |from_end: bool| {
        let values: Vec<image::Rgb<u8>> = (0..length)
            .map(|along| {
                let mix = |c: usize| {
                    let sum: f64 = (0..taps)
                        .map(|i| {
                            let line = if from_end { lines - 1 - i } else { i };
                            weights[i as usize] * f64::from(at(along, line)[c])
                        })
                        .sum();
                    (sum / total).round().clamp(0.0, 255.0) as u8
                };
                image::Rgb([mix(0), mix(1), mix(2)])
            })
            .collect();
        match edge {
            Edge::Rows => RgbImage::from_fn(length, 1, |x, _| values[x as usize]),
            Edge::Columns => RgbImage::from_fn(1, length, |_, y| values[y as usize]),
        }
    };
    (line(false), line(true))
}

fn lanczos3(x: f64) -> f64 {
    let sinc = |x: f64| if x == 0.0 { 1.0 } else { (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x) };
    if x.abs() < 3.0 { sinc(x) * sinc(x / 3.0) } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask_with(width: u32, height: u32, marked: CropRegion) -> GrayImage {
        GrayImage::from_fn(width, height, |x, y| {
            let inside = (marked.x1..marked.x2).contains(&x) && (marked.y1..marked.y2).contains(&y);
            image::Luma([if inside { 200 } else { 0 }])
        })
    }

    #[test]
    fn the_region_is_the_mask_box_with_padding_inside_the_picture() {
        let mask = mask_with(100, 80, CropRegion { x1: 10, y1: 30, x2: 20, y2: 35 });
        assert_eq!(CropRegion::around(&mask, 0), Some(CropRegion { x1: 10, y1: 30, x2: 20, y2: 35 }));
        assert_eq!(CropRegion::around(&mask, 12), Some(CropRegion { x1: 0, y1: 18, x2: 32, y2: 47 }));
        assert_eq!(CropRegion::around(&GrayImage::new(4, 4), 32), None);
    }

    #[test]
    fn expanding_follows_a1111() {
        // masking.expand_crop_region((10, 30, 20, 35), 512, 512, 100, 80) == (10, 28, 20, 38)
        let region = CropRegion { x1: 10, y1: 30, x2: 20, y2: 35 };
        assert_eq!(region.expanded(512, 512, 100, 80), CropRegion { x1: 10, y1: 28, x2: 20, y2: 38 });
        // A tall box at the right edge, for a wide generation: (90, 0, 100, 80) for 768x512 → (0, 0, 100, 80)
        let tall = CropRegion { x1: 90, y1: 0, x2: 100, y2: 80 };
        assert_eq!(tall.expanded(768, 512, 100, 80), CropRegion { x1: 0, y1: 0, x2: 100, y2: 80 });
        // (40, 70, 60, 80) for 512x512 in 100x80: grows down past the edge, so moves up → (40, 60, 60, 80)
        let low = CropRegion { x1: 40, y1: 70, x2: 60, y2: 80 };
        assert_eq!(low.expanded(512, 512, 100, 80), CropRegion { x1: 40, y1: 60, x2: 60, y2: 80 });
    }

    #[test]
    fn fitting_keeps_sizes_and_covers_everything() {
        let picture = RgbImage::from_fn(30, 20, |x, y| image::Rgb([x as u8 * 8, y as u8 * 12, 100]));
        let filled = resize_and_fill(&picture, 64, 40).unwrap();
        assert_eq!(filled.dimensions(), (64, 40));
        let covered = crop_and_resize(&picture, 16, 16).unwrap();
        assert_eq!(covered.dimensions(), (16, 16));
        // 30x20 into 64x48: 64x42 high, a 3-row strip above and below from the edge rows.
        let strips = resize_and_fill(&picture, 64, 48).unwrap();
        assert!(strips.get_pixel(10, 0).0[2] > 90 && strips.get_pixel(10, 47).0[2] > 90, "no black strip left");
    }
}
