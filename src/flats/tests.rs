//! Drawings whose areas are known, and what the flats must make of them.

use image::{GrayImage, Luma, Rgb, RgbImage};

use super::*;
use crate::vocabulary::Polarity;

const INK: Luma<u8> = Luma([0]);
const RED: [u8; 3] = [220, 40, 40];
const GREEN: [u8; 3] = [40, 200, 60];
const BLUE: [u8; 3] = [40, 60, 220];
const YELLOW: [u8; 3] = [230, 210, 40];
const PAPER: [u8; 3] = [250, 250, 250];

fn paper(size: u32) -> GrayImage {
    GrayImage::from_pixel(size, size, Luma([255]))
}

fn fill_rect(art: &mut GrayImage, x: std::ops::Range<u32>, y: std::ops::Range<u32>) {
    for py in y {
        for px in x.clone() {
            art.put_pixel(px, py, INK);
        }
    }
}

/// A square frame (2 px) from 10 to 89 cut into four areas by a 2 px cross at 49–50.
fn four_areas() -> GrayImage {
    let mut art = paper(100);
    fill_rect(&mut art, 10..90, 10..12);
    fill_rect(&mut art, 10..90, 88..90);
    fill_rect(&mut art, 10..12, 10..90);
    fill_rect(&mut art, 88..90, 10..90);
    fill_rect(&mut art, 49..51, 10..90);
    fill_rect(&mut art, 10..90, 49..51);
    art
}

/// The color each quadrant of [`four_areas`] should get.
fn quadrant_color(x: u32, y: u32) -> [u8; 3] {
    match (x < 50, y < 50) {
        (true, true) => RED,
        (false, true) => GREEN,
        (true, false) => BLUE,
        (false, false) => YELLOW,
    }
}

/// What a model might paint: `truth` per pixel with ±5 of noise, the lines dark, and a different color
/// on a few pixels of each area (a highlight the flats must ignore).
fn painted(art: &GrayImage, truth: impl Fn(u32, u32) -> [u8; 3]) -> RgbImage {
    RgbImage::from_fn(art.width(), art.height(), |x, y| {
        if art.get_pixel(x, y).0[0] < 128 {
            return Rgb([30, 25, 20]);
        }
        if (x * 7 + y * 13) % 29 == 0 {
            return Rgb([255, 255, 255]);
        }
        let noise = ((x * 31 + y * 17) % 11) as i16 - 5;
        Rgb(truth(x, y).map(|channel| (i16::from(channel) + noise).clamp(0, 255) as u8))
    })
}

fn close(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(&a, b)| a.abs_diff(b) <= 3)
}

fn color_at(flats: &Flats, x: u32, y: u32) -> [u8; 3] {
    flats.image.get_pixel(x, y).0
}

fn four_area_flats() -> Flats {
    let art = four_areas();
    let color = painted(&art, |x, y| if (12..88).contains(&x) && (12..88).contains(&y) { quadrant_color(x, y) } else { PAPER });
    make_flats(&art, &color, &FlatsSettings::default()).expect("same sizes")
}

#[test]
fn four_enclosed_areas_get_one_flat_color_each() {
    let flats = four_area_flats();
    assert_eq!(flats.regions.len(), 5, "four quadrants and the outside");
    for (x, y, expected) in [(30, 30, RED), (70, 30, GREEN), (30, 70, BLUE), (70, 70, YELLOW), (2, 2, PAPER)] {
        assert!(close(color_at(&flats, x, y), expected), "at {x},{y}: {:?}, expected {expected:?}", color_at(&flats, x, y));
    }
    for (x, y) in [(13, 13), (47, 47), (52, 13), (86, 86), (13, 86)] {
        assert_eq!(flats.region_at(x, y), flats.region_at(30 + 40 * u32::from(x > 50), 30 + 40 * u32::from(y > 50)));
    }
    let mut colors: Vec<[u8; 3]> = flats.regions.iter().map(|region| region.color).collect();
    colors.sort_unstable();
    colors.dedup();
    assert_eq!(colors.len(), 5);
}

#[test]
fn line_pixels_take_the_color_of_an_area_they_border() {
    let flats = four_area_flats();
    // On the horizontal bar between red (above) and blue (below), on the frame between red and paper.
    for (x, y, sides) in [(30, 49, [RED, BLUE]), (30, 50, [RED, BLUE]), (30, 10, [RED, PAPER]), (30, 11, [RED, PAPER])] {
        let color = color_at(&flats, x, y);
        assert!(sides.iter().any(|&side| close(color, side)), "line pixel {x},{y} is {color:?}");
    }
    let art = four_areas();
    let ink = art.enumerate_pixels().filter(|(_, _, pixel)| pixel.0[0] == 0);
    assert!(ink.map(|(x, y, _)| color_at(&flats, x, y)).all(|color| color.iter().any(|&channel| channel > 150)));
}

/// A ring (radius 28–31 around the centre of a 100 px square) with a 3 px opening at the top.
fn ring_with_gap() -> GrayImage {
    GrayImage::from_fn(100, 100, |x, y| {
        let (dx, dy) = (f64::from(x) - 50.0, f64::from(y) - 50.0);
        let on_ring = (28.0..31.0).contains(&dx.hypot(dy));
        let in_gap = dx.abs() <= 1.0 && dy < 0.0;
        if on_ring && !in_gap { INK } else { Luma([255]) }
    })
}

fn ring_flats(gap_px: u32) -> Flats {
    let art = ring_with_gap();
    let color = painted(&art, |x, y| if (f64::from(x) - 50.0).hypot(f64::from(y) - 50.0) < 29.5 { RED } else { PAPER });
    make_flats(&art, &color, &FlatsSettings { gap_px, ..FlatsSettings::default() }).expect("same sizes")
}

#[test]
fn a_three_pixel_gap_is_closed_from_gap_three_up() {
    for gap_px in [3, 4, 5] {
        let flats = ring_flats(gap_px);
        assert_ne!(flats.region_at(50, 50), flats.region_at(2, 2), "gap_px {gap_px}");
        assert_eq!(flats.regions.len(), 2, "gap_px {gap_px}");
        assert!(close(color_at(&flats, 50, 50), RED) && close(color_at(&flats, 2, 2), PAPER));
        assert!(close(color_at(&flats, 50, 21), RED) || close(color_at(&flats, 50, 21), PAPER));
    }
}

#[test]
fn a_three_pixel_gap_joins_the_areas_below_gap_three() {
    for gap_px in [0, 1] {
        let flats = ring_flats(gap_px);
        assert_eq!(flats.region_at(50, 50), flats.region_at(2, 2), "gap_px {gap_px}");
    }
}

#[test]
fn a_speck_merges_into_its_surroundings() {
    // A 5x5 loop of line enclosing 3x3 pixels painted blue, inside the red top-left quadrant.
    let mut art = four_areas();
    fill_rect(&mut art, 25..30, 25..26);
    fill_rect(&mut art, 25..30, 29..30);
    fill_rect(&mut art, 25..26, 25..30);
    fill_rect(&mut art, 29..30, 25..30);
    let truth =
        |x: u32, y: u32| match ((26..29).contains(&x) && (26..29).contains(&y), (12..88).contains(&x) && (12..88).contains(&y)) {
            (true, _) => BLUE,
            (false, true) => quadrant_color(x, y),
            (false, false) => PAPER,
        };
    let color = painted(&art, truth);
    let kept = make_flats(&art, &color, &FlatsSettings { min_area_px: 0, ..FlatsSettings::default() }).expect("same sizes");
    assert_eq!(kept.regions.len(), 6);
    assert!(close(color_at(&kept, 27, 27), BLUE));
    let merged = make_flats(&art, &color, &FlatsSettings { min_area_px: 10, ..FlatsSettings::default() }).expect("same sizes");
    assert_eq!(merged.regions.len(), 5);
    assert_eq!(merged.region_at(27, 27), merged.region_at(40, 40));
    assert!(close(color_at(&merged, 27, 27), RED));
}

#[test]
fn the_background_mask_is_exactly_the_outside() {
    let flats = ring_flats(3);
    let mask = background_mask(&flats);
    let outside = flats.region_at(0, 0).expect("inside the picture");
    for (index, pixel) in mask.pixels().enumerate() {
        assert_eq!(pixel.0[0] == 255, flats.labels[index] == outside);
        assert!(pixel.0[0] == 0 || pixel.0[0] == 255);
    }
    assert!(flats.regions[outside as usize].touches_border);
    assert_eq!(flats.regions.iter().filter(|region| region.touches_border).count(), 1);
}

#[test]
fn a_frame_along_the_edge_keeps_the_panel_opaque() {
    let mut art = paper(40);
    fill_rect(&mut art, 0..40, 0..2);
    fill_rect(&mut art, 0..40, 38..40);
    fill_rect(&mut art, 0..2, 0..40);
    fill_rect(&mut art, 38..40, 0..40);
    let color = painted(&art, |_, _| GREEN);
    let flats = make_flats(&art, &color, &FlatsSettings::default()).expect("same sizes");
    assert_eq!(flats.regions.len(), 1);
    assert!(background_mask(&flats).pixels().all(|pixel| pixel.0[0] == 0));
}

#[test]
fn layers_by_color_cover_every_pixel_once() {
    let flats = four_area_flats();
    let layers = flats.layers_by_color();
    assert_eq!(layers.len(), 5);
    let (width, height) = flats.dimensions();
    let mut cover = vec![0u32; (width * height) as usize];
    for layer in &layers {
        for (x, y, pixel) in layer.mask.enumerate_pixels() {
            if pixel.0[0] == 255 {
                let (px, py) = (layer.bounds.x + x, layer.bounds.y + y);
                cover[(py * width + px) as usize] += 1;
                assert_eq!(color_at(&flats, px, py), layer.color);
            }
        }
        assert_eq!(layer.to_rgba().dimensions(), (layer.bounds.width, layer.bounds.height));
    }
    assert!(cover.iter().all(|&count| count == 1));
    let red = layers.iter().find(|layer| close(layer.color, RED)).expect("a red layer");
    assert!((10..=12).contains(&red.bounds.x) && (10..=12).contains(&red.bounds.y), "cropped to the quadrant and its lines");
    assert!(red.bounds.width < 45 && red.bounds.height < 45);
}

#[test]
fn flats_are_the_same_on_every_run_and_thread_count() {
    let art = ring_with_gap();
    let color = painted(&art, |x, _| if x < 50 { RED } else { GREEN });
    let settings = FlatsSettings::default();
    let first = make_flats(&art, &color, &settings).expect("same sizes");
    assert_eq!(first, make_flats(&art, &color, &settings).expect("same sizes"));
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a thread pool");
    assert_eq!(first, single.install(|| make_flats(&art, &color, &settings)).expect("same sizes"));
}

#[test]
fn pictures_of_different_sizes_are_refused() {
    let error = make_flats(&paper(10), &RgbImage::new(12, 10), &FlatsSettings::default()).expect_err("sizes differ");
    assert!(matches!(error, FlatsError::SizeMismatch { line_width: 10, color_width: 12, .. }));
    assert!(matches!(make_flats(&paper(0), &RgbImage::new(0, 0), &FlatsSettings::default()), Err(FlatsError::Empty { .. })));
}

#[test]
fn a_page_of_ink_is_one_area() {
    let art = GrayImage::new(8, 8);
    let flats = make_flats(&art, &RgbImage::from_pixel(8, 8, Rgb(BLUE)), &FlatsSettings::default()).expect("same sizes");
    assert_eq!(flats.regions.len(), 1);
    assert_eq!(color_at(&flats, 3, 3), BLUE);
}

#[test]
fn light_lines_on_black_are_turned_around() {
    let mut drawing = RgbImage::from_pixel(20, 20, Rgb([0, 0, 0]));
    drawing.put_pixel(10, 10, Rgb([255, 255, 255]));
    let art = line_art_from_rgb(&drawing, Polarity::Auto);
    assert_eq!((art.get_pixel(0, 0).0[0], art.get_pixel(10, 10).0[0]), (255, 0));
    assert_eq!(line_art_from_rgb(&drawing, Polarity::BlackOnWhite).get_pixel(0, 0).0[0], 0);
}

#[test]
fn the_fixture_drawing_has_its_five_areas() {
    // tests/fixtures/control/lineart_input.png: a circle, a diagonal line crossing a red vertical line,
    // an open blue stroke, a filled blob and a light gray patch (not a line).
    let drawing = image::open("tests/fixtures/control/lineart_input.png").expect("the fixture").to_rgb8();
    let art = line_art_from_rgb(&drawing, Polarity::Auto);
    let flats = make_flats(&art, &drawing, &FlatsSettings::default()).expect("same sizes");
    assert_eq!(flats.regions.len(), 5);
    let probes = [(2, 40), (40, 2), (62, 2), (20, 20), (62, 40)].map(|(x, y)| flats.region_at(x, y).expect("inside"));
    let mut distinct = probes.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 5, "main area, wedge, right top, circle, right bottom: {probes:?}");
    let circle = &flats.regions[probes[3] as usize];
    assert!(!circle.touches_border && flats.regions.iter().filter(|region| region.touches_border).count() == 4);
}

#[test]
fn antialiased_lines_with_a_gap_still_enclose_their_area() {
    // A soft 2.5 px ring (ink fading over a pixel on each side) with a 3 px opening at the top.
    let art = GrayImage::from_fn(100, 100, |x, y| {
        let (dx, dy) = (f64::from(x) - 50.0, f64::from(y) - 50.0);
        let from_centre_line = (dx.hypot(dy) - 30.0).abs();
        let ink = (2.25 - from_centre_line).clamp(0.0, 1.0);
        let in_gap = dx.abs() <= 1.0 && dy < 0.0;
        Luma([if in_gap { 255 } else { (255.0 * (1.0 - ink)).round() as u8 }])
    });
    let color = painted(&art, |x, y| if (f64::from(x) - 50.0).hypot(f64::from(y) - 50.0) < 30.0 { GREEN } else { PAPER });
    let flats = make_flats(&art, &color, &FlatsSettings { gap_px: 3, ..FlatsSettings::default() }).expect("same sizes");
    assert_eq!(flats.regions.len(), 2);
    assert!(close(color_at(&flats, 50, 50), GREEN) && close(color_at(&flats, 3, 3), PAPER));
    let edge = art.enumerate_pixels().filter(|(_, _, pixel)| (100..250).contains(&pixel.0[0]));
    assert!(edge.map(|(x, y, _)| color_at(&flats, x, y)).all(|color| close(color, GREEN) || close(color, PAPER)));
}
