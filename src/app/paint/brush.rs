//! Round dabs and the strokes made of them, on any picture: hard-edged, or with a soft (feathered)
//! edge. What a dab does to a pixel is the caller's: it is told how much of the pixel the dab covers.

use image::Pixel;

use super::strokes::Picture;

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
    pub fn of<P: Pixel>(picture: &Picture<P>) -> Area {
        Area { x: 0, y: 0, width: picture.width(), height: picture.height() }
    }

    /// The smallest area holding both.
    pub fn union(self, other: Area) -> Area {
        let (x, y) = (self.x.min(other.x), self.y.min(other.y));
        let right = (self.x + self.width).max(other.x + other.width);
        let bottom = (self.y + self.height).max(other.y + other.height);
        Area { x, y, width: right - x, height: bottom - y }
    }

    /// How many pixels it holds.
    pub fn pixels(self) -> usize {
        self.width as usize * self.height as usize
    }
}

/// The brush's tip: its width, and how much of its radius fades out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tip {
    /// In pixels of the picture.
    pub diameter: f32,
    /// 0 paints a hard-edged disc; 1 fades from the centre to the edge; between, the outer part of the
    /// radius fades.
    pub feather: f32,
}

impl Tip {
    /// A hard-edged tip of `diameter` pixels.
    pub fn hard(diameter: f32) -> Tip {
        Tip { diameter, feather: 0.0 }
    }

    /// How much of a pixel whose centre is `distance` pixels from the dab's centre the tip covers (0–1).
    fn coverage(self, distance: f32) -> f32 {
        let radius = self.radius();
        let inner = radius * (1.0 - self.feather.clamp(0.0, 1.0));
        if distance <= inner {
            1.0
        } else if distance <= radius {
            (radius - distance) / (radius - inner).max(f32::EPSILON)
        } else {
            0.0
        }
    }

    fn radius(self) -> f32 {
        (self.diameter / 2.0).max(0.5)
    }
}

/// Puts a dab of `tip` centred at `center` (in pixels, fractions allowed): `paint` is called with each
/// pixel the dab covers and how much (above 0, at most 1). The pixel under the centre is always fully
/// covered, so even the smallest brush leaves a mark. Returns the area touched, if any.
pub fn dab<P: Pixel>(picture: &mut Picture<P>, center: (f32, f32), tip: Tip, paint: &impl Fn(&mut P, f32)) -> Option<Area> {
    let area = bounds(picture, center, tip.radius())?;
    let under = (center.0.floor(), center.1.floor());
    for y in area.y..area.y + area.height {
        for x in area.x..area.x + area.width {
            let (dx, dy) = (x as f32 + 0.5 - center.0, y as f32 + 0.5 - center.1);
            let coverage = if (x as f32, y as f32) == under { 1.0 } else { tip.coverage((dx * dx + dy * dy).sqrt()) };
            if coverage > 0.0 {
                paint(picture.get_pixel_mut(x, y), coverage);
            }
        }
    }
    Some(area)
}

/// Dabs from `from` to `to` close enough together (a quarter of the diameter, at most half a pixel
/// apart for the thinnest brushes) that a fast drag still leaves one unbroken line. `from` itself is
/// left out: it was painted by the previous segment or the stroke's first dab.
pub fn segment<P: Pixel>(
    picture: &mut Picture<P>,
    from: (f32, f32),
    to: (f32, f32),
    tip: Tip,
    paint: &impl Fn(&mut P, f32),
) -> Option<Area> {
    let length = ((to.0 - from.0).powi(2) + (to.1 - from.1).powi(2)).sqrt();
    let spacing = (tip.diameter / 4.0).max(0.5);
    let steps = (length / spacing).ceil().max(1.0) as u32;
    (1..=steps)
        .filter_map(|step| {
            let t = step as f32 / steps as f32;
            let at = (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
            dab(picture, at, tip, paint)
        })
        .reduce(Area::union)
}

/// The pixels a disc may touch, clipped to the picture; `None` when it lies wholly outside.
fn bounds<P: Pixel>(picture: &Picture<P>, center: (f32, f32), radius: f32) -> Option<Area> {
    let clamp = |value: f32, limit: u32| value.clamp(0.0, limit as f32) as u32;
    let (left, right) = (clamp((center.0 - radius).floor(), picture.width()), clamp((center.0 + radius).ceil(), picture.width()));
    let (top, bottom) =
        (clamp((center.1 - radius).floor(), picture.height()), clamp((center.1 + radius).ceil(), picture.height()));
    (right > left && bottom > top).then_some(Area { x: left, y: top, width: right - left, height: bottom - top })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma, Rgba, RgbaImage};

    const RED: Rgba<u8> = Rgba([255, 0, 0, 255]);

    fn red(pixel: &mut Rgba<u8>, _: f32) {
        *pixel = RED;
    }

    #[test]
    fn a_hard_dab_is_a_round_disc() {
        let mut picture = RgbaImage::new(32, 32);
        dab(&mut picture, (16.0, 16.0), Tip::hard(10.0), &red);
        assert_eq!(picture.get_pixel(16, 16), &RED);
        assert_eq!(picture.get_pixel(11, 16), &RED, "the edge is inside");
        assert_eq!(picture.get_pixel(10, 16)[3], 0, "outside the radius");
        assert_eq!(picture.get_pixel(11, 11)[3], 0, "the corner of the square is not painted");
        assert!(picture.pixels().all(|p| p[3] == 0 || *p == RED), "no soft edge");
    }

    #[test]
    fn a_feathered_dab_fades_towards_its_edge() {
        let mut picture = GrayImage::new(32, 32);
        let cover = |pixel: &mut Luma<u8>, coverage: f32| pixel.0[0] = (coverage * 255.0).round() as u8;
        dab(&mut picture, (16.0, 16.0), Tip { diameter: 20.0, feather: 0.5 }, &cover);
        let row: Vec<u8> = (16..=26).map(|x| picture.get_pixel(x, 16).0[0]).collect();
        assert_eq!(&row[..5], &[255; 5], "the inner half is solid: {row:?}");
        assert!(row[5..].windows(2).all(|pair| pair[0] > pair[1]), "then it fades: {row:?}");
        assert_eq!(picture.get_pixel(27, 16).0[0], 0, "nothing past the radius");
    }

    #[test]
    fn the_thinnest_brush_still_paints_its_pixel() {
        let mut picture = RgbaImage::new(8, 8);
        dab(&mut picture, (3.9, 2.1), Tip::hard(1.0), &red);
        assert_eq!(picture.get_pixel(3, 2), &RED);
    }

    #[test]
    fn a_dab_outside_the_picture_changes_nothing() {
        let mut picture = RgbaImage::new(8, 8);
        assert_eq!(dab(&mut picture, (-20.0, 4.0), Tip::hard(6.0), &red), None);
        let clipped = dab(&mut picture, (0.0, 0.0), Tip::hard(6.0), &red).unwrap();
        assert_eq!((clipped.x, clipped.y), (0, 0));
    }

    #[test]
    fn a_fast_segment_leaves_no_gap() {
        let mut picture = RgbaImage::new(200, 20);
        let area = segment(&mut picture, (5.5, 10.5), (195.5, 10.5), Tip::hard(2.0), &red).unwrap();
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
