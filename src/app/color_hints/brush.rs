//! Round, hard-edged dabs and the strokes made of them, on the hint picture.

use image::{Rgba, RgbaImage};

/// A rectangle of pixels: the part of the picture a dab or a stroke changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Area {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Area {
    /// The whole of `picture`.
    pub fn of(picture: &RgbaImage) -> Area {
        Area { x: 0, y: 0, width: picture.width(), height: picture.height() }
    }

    /// The smallest area holding both.
    pub fn union(self, other: Area) -> Area {
        let (x, y) = (self.x.min(other.x), self.y.min(other.y));
        let right = (self.x + self.width).max(other.x + other.width);
        let bottom = (self.y + self.height).max(other.y + other.height);
        Area { x, y, width: right - x, height: bottom - y }
    }

    /// Its pixels in bytes, as an RGBA copy would hold them.
    pub fn bytes(self) -> usize {
        self.width as usize * self.height as usize * 4
    }
}

/// Paints a disc of `diameter` pixels centred at `center` (in pixels, fractions allowed) with `color`,
/// hard-edged: a pixel is painted when its centre lies inside. The pixel under the centre is always
/// painted, so even the smallest brush leaves a mark. Returns the area touched, if any.
pub fn dab(picture: &mut RgbaImage, center: (f32, f32), diameter: f32, color: Rgba<u8>) -> Option<Area> {
    let radius = (diameter / 2.0).max(0.5);
    let area = bounds(picture, center, radius)?;
    let under = (center.0.floor(), center.1.floor());
    for y in area.y..area.y + area.height {
        for x in area.x..area.x + area.width {
            let (dx, dy) = (x as f32 + 0.5 - center.0, y as f32 + 0.5 - center.1);
            if dx * dx + dy * dy <= radius * radius || (x as f32, y as f32) == under {
                picture.put_pixel(x, y, color);
            }
        }
    }
    Some(area)
}

/// Dabs from `from` to `to` close enough together (a quarter of the diameter, at most half a pixel
/// apart for the thinnest brushes) that a fast drag still leaves one unbroken line. `from` itself is
/// left out: it was painted by the previous segment or the stroke's first dab.
pub fn segment(picture: &mut RgbaImage, from: (f32, f32), to: (f32, f32), diameter: f32, color: Rgba<u8>) -> Option<Area> {
    let length = ((to.0 - from.0).powi(2) + (to.1 - from.1).powi(2)).sqrt();
    let spacing = (diameter / 4.0).max(0.5);
    let steps = (length / spacing).ceil().max(1.0) as u32;
    (1..=steps)
        .filter_map(|step| {
            let t = step as f32 / steps as f32;
            let at = (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
            dab(picture, at, diameter, color)
        })
        .reduce(Area::union)
}

/// The pixels a disc may touch, clipped to the picture; `None` when it lies wholly outside.
fn bounds(picture: &RgbaImage, center: (f32, f32), radius: f32) -> Option<Area> {
    let clamp = |value: f32, limit: u32| value.clamp(0.0, limit as f32) as u32;
    let (left, right) = (clamp((center.0 - radius).floor(), picture.width()), clamp((center.0 + radius).ceil(), picture.width()));
    let (top, bottom) =
        (clamp((center.1 - radius).floor(), picture.height()), clamp((center.1 + radius).ceil(), picture.height()));
    (right > left && bottom > top).then_some(Area { x: left, y: top, width: right - left, height: bottom - top })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: Rgba<u8> = Rgba([255, 0, 0, 255]);

    #[test]
    fn a_dab_is_a_hard_round_disc() {
        let mut picture = RgbaImage::new(32, 32);
        dab(&mut picture, (16.0, 16.0), 10.0, RED);
        assert_eq!(picture.get_pixel(16, 16), &RED);
        assert_eq!(picture.get_pixel(11, 16), &RED, "the edge is inside");
        assert_eq!(picture.get_pixel(10, 16)[3], 0, "outside the radius");
        assert_eq!(picture.get_pixel(11, 11)[3], 0, "the corner of the square is not painted");
        assert!(picture.pixels().all(|p| p[3] == 0 || *p == RED), "no soft edge");
    }

    #[test]
    fn the_thinnest_brush_still_paints_its_pixel() {
        let mut picture = RgbaImage::new(8, 8);
        dab(&mut picture, (3.9, 2.1), 1.0, RED);
        assert_eq!(picture.get_pixel(3, 2), &RED);
    }

    #[test]
    fn a_dab_outside_the_picture_changes_nothing() {
        let mut picture = RgbaImage::new(8, 8);
        assert_eq!(dab(&mut picture, (-20.0, 4.0), 6.0, RED), None);
        let clipped = dab(&mut picture, (0.0, 0.0), 6.0, RED).unwrap();
        assert_eq!((clipped.x, clipped.y), (0, 0));
    }

    #[test]
    fn a_fast_segment_leaves_no_gap() {
        let mut picture = RgbaImage::new(200, 20);
        let area = segment(&mut picture, (5.5, 10.5), (195.5, 10.5), 2.0, RED).unwrap();
        for x in 5..=195 {
            assert_eq!(picture.get_pixel(x, 10), &RED, "pixel {x} of the line");
        }
        assert!(area.x <= 6 && area.x + area.width >= 196);
    }

    #[test]
    fn areas_unite() {
        let a = Area { x: 2, y: 3, width: 4, height: 1 };
        let b = Area { x: 0, y: 5, width: 1, height: 2 };
        assert_eq!(a.union(b), Area { x: 0, y: 3, width: 6, height: 4 });
    }
}
