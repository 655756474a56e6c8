use image::{GrayImage, Luma, Rgba, RgbaImage};

use super::*;
use crate::flats::FlatsSettings;

const RED: [u8; 3] = [220, 30, 40];
const BLUE: [u8; 3] = [30, 60, 200];

/// 64×32 paper split by a 2-px vertical line at x = 31..33, with a gap of `gap` rows in the middle.
fn split_page(gap: u32) -> GrayImage {
    GrayImage::from_fn(64, 32, |x, y| {
        let in_gap = gap > 0 && (16 - gap / 2..16 - gap / 2 + gap).contains(&y);
        Luma([if (31..33).contains(&x) && !in_gap { 0 } else { 255 }])
    })
}

fn dab(hints: &mut RgbaImage, centre: (u32, u32), radius: u32, color: [u8; 3]) {
    let (width, height) = hints.dimensions();
    for y in centre.1.saturating_sub(radius)..(centre.1 + radius + 1).min(height) {
        for x in centre.0.saturating_sub(radius)..(centre.0 + radius + 1).min(width) {
            hints.put_pixel(x, y, Rgba([color[0], color[1], color[2], 255]));
        }
    }
}

fn color_at(guide: &ColorGuide, x: u32, y: u32) -> [u8; 3] {
    guide.image.get_pixel(x, y).0
}

fn held(guide: &ColorGuide, x: u32, y: u32) -> bool {
    guide.coverage.get_pixel(x, y).0[0] == 255
}

#[test]
fn a_dab_fills_its_whole_area_and_nothing_beyond_the_line() {
    let mut hints = RgbaImage::new(64, 32);
    dab(&mut hints, (10, 10), 2, RED);
    let guide = spread_hints(&hints, Some(&split_page(0)), &FlatsSettings::default()).unwrap();
    for (x, y) in [(0, 0), (30, 31), (15, 20)] {
        assert_eq!(color_at(&guide, x, y), RED, "({x}, {y}) in the hinted area");
        assert!(held(&guide, x, y));
    }
    assert_eq!(color_at(&guide, 50, 10), [255, 255, 255], "the other area stays paper");
    assert!(!held(&guide, 50, 10));
    assert_eq!(color_at(&guide, 31, 5), [0, 0, 0], "the lines are multiplied over the hint");
}

#[test]
fn a_three_pixel_gap_in_the_line_still_keeps_the_hint_inside() {
    let mut hints = RgbaImage::new(64, 32);
    dab(&mut hints, (10, 10), 2, RED);
    let guide = spread_hints(&hints, Some(&split_page(3)), &FlatsSettings::default()).unwrap();
    assert!(held(&guide, 5, 5));
    assert!(!held(&guide, 55, 16), "the gap is closed");
}

#[test]
fn a_stroke_slipping_over_a_line_does_not_color_the_next_area() {
    let mut hints = RgbaImage::new(64, 32);
    dab(&mut hints, (31, 16), 3, RED); // x 28..=34: two columns past the line at 31..33
    let guide = spread_hints(&hints, Some(&split_page(0)), &FlatsSettings::default()).unwrap();
    assert!(held(&guide, 5, 5));
    assert!(!held(&guide, 50, 16), "14 pixels over the line are a slip, not a hint");
}

#[test]
fn two_hints_color_two_areas_and_the_most_painted_color_wins_in_each() {
    let mut hints = RgbaImage::new(64, 32);
    dab(&mut hints, (10, 10), 3, RED);
    dab(&mut hints, (20, 20), 1, BLUE);
    dab(&mut hints, (50, 10), 3, BLUE);
    let guide = spread_hints(&hints, Some(&split_page(0)), &FlatsSettings::default()).unwrap();
    assert_eq!(color_at(&guide, 20, 20), RED, "49 red pixels outvote 9 blue ones");
    assert_eq!(color_at(&guide, 60, 30), BLUE);
    assert_eq!(guide.held_pixels(), 64 * 32);
}

#[test]
fn transparent_hints_are_refused() {
    let error = spread_hints(&RgbaImage::new(8, 8), None, &FlatsSettings::default()).unwrap_err();
    assert!(matches!(error, HintsError::NothingPainted), "{error}");
}

#[test]
fn hints_of_another_size_than_the_line_art_are_refused() {
    let mut hints = RgbaImage::new(32, 32);
    dab(&mut hints, (5, 5), 1, RED);
    let error = spread_hints(&hints, Some(&split_page(0)), &FlatsSettings::default()).unwrap_err();
    assert!(error.to_string().contains("32×32") && error.to_string().contains("64×32"), "{error}");
}

#[test]
fn without_line_art_only_the_painted_pixels_are_held() {
    let mut hints = RgbaImage::new(16, 16);
    dab(&mut hints, (4, 4), 1, BLUE);
    hints.put_pixel(12, 12, Rgba([9, 9, 9, 100])); // a soft edge below the painted alpha
    let guide = spread_hints(&hints, None, &FlatsSettings::default()).unwrap();
    assert_eq!((color_at(&guide, 4, 4), held(&guide, 4, 4)), (BLUE, true));
    assert_eq!((color_at(&guide, 12, 12), held(&guide, 12, 12)), ([255; 3], false));
    assert_eq!(guide.held_pixels(), 9);
}

#[test]
fn the_latent_mask_is_the_held_share_of_each_8_by_8_block() {
    let mut hints = RgbaImage::new(16, 8);
    dab(&mut hints, (3, 3), 3, RED); // 7×7 pixels in the first block
    let guide = spread_hints(&hints, None, &FlatsSettings::default()).unwrap();
    assert_eq!(guide.latent_mask(), vec![49.0 / 64.0, 0.0]);
    assert_eq!(guide.latent_mask_channels().len(), 8);
}

#[test]
fn small_areas_need_fewer_painted_pixels() {
    assert!(hinted_enough(16, 10_000));
    assert!(!hinted_enough(15, 10_000));
    assert!(hinted_enough(3, 12), "a quarter of a 12-pixel eye");
    assert!(!hinted_enough(0, 1));
}
