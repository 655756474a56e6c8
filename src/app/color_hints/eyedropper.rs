//! Taking a color from the picture: the result where there is one, else the hints themselves.

use egui::Color32;
use image::{RgbImage, RgbaImage};

/// The color at `at` (relative to the generation frame, 0..1 on each axis): the result's pixel there
/// (the result fills the frame, whatever its own size), or without a result the hint painted there.
/// `None` where there is nothing to take.
pub fn pick(result: Option<&RgbImage>, hints: &RgbaImage, at: egui::Pos2) -> Option<Color32> {
    if !(0.0..=1.0).contains(&at.x) || !(0.0..=1.0).contains(&at.y) {
        return None;
    }
    match result {
        Some(result) => {
            let (x, y) = pixel(at, result.width(), result.height())?;
            let [r, g, b] = result.get_pixel(x, y).0;
            Some(Color32::from_rgb(r, g, b))
        }
        None => {
            let (x, y) = pixel(at, hints.width(), hints.height())?;
            let [r, g, b, a] = hints.get_pixel(x, y).0;
            (a > 0).then_some(Color32::from_rgb(r, g, b))
        }
    }
}

/// The pixel of a `width`×`height` picture under relative point `at`.
fn pixel(at: egui::Pos2, width: u32, height: u32) -> Option<(u32, u32)> {
    if width == 0 || height == 0 {
        return None;
    }
    let x = ((at.x * width as f32) as u32).min(width - 1);
    let y = ((at.y * height as f32) as u32).min(height - 1);
    Some((x, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_is_read_at_the_same_place_whatever_its_size() {
        let mut result = RgbImage::new(10, 20);
        result.put_pixel(9, 19, image::Rgb([1, 2, 3]));
        let hints = RgbaImage::new(5, 5);
        assert_eq!(pick(Some(&result), &hints, egui::pos2(1.0, 1.0)), Some(Color32::from_rgb(1, 2, 3)));
        assert_eq!(pick(Some(&result), &hints, egui::pos2(1.5, 0.5)), None, "outside the frame");
    }

    #[test]
    fn without_a_result_the_hints_are_read() {
        let mut hints = RgbaImage::new(4, 4);
        hints.put_pixel(0, 0, image::Rgba([9, 8, 7, 255]));
        assert_eq!(pick(None, &hints, egui::pos2(0.1, 0.1)), Some(Color32::from_rgb(9, 8, 7)));
        assert_eq!(pick(None, &hints, egui::pos2(0.9, 0.9)), None, "no hint there");
    }
}
