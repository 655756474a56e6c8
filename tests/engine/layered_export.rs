//! Layered export (PSD, OpenRaster) read back with independent readers: the `psd` crate, and the zip and
//! image crates for OpenRaster. The line layer must be the artist's drawing (alpha = darkness) at the
//! picture's size, and the merged image the colors multiplied by the lines.

use std::io::Read;
use std::path::Path;

use image::{Rgb, RgbImage, RgbaImage};
use nurie::layered::{BlendMode, Layer, LayerOptions, LayerSources, LayerStack, compose_layers, ora_bytes, psd_bytes};
use nurie::vocabulary::ResizeMode;

use super::support::{fixture, nurie_in, sd15_dev, succeeded, temp_dir};

/// A colorful 48×40 picture.
fn colors() -> RgbImage {
    RgbImage::from_fn(48, 40, |x, y| Rgb([(x * 5) as u8, (y * 6) as u8, ((x + y) * 3 + 10) as u8]))
}

/// Black-on-white art at another size: a frame, a diagonal, gray strokes, antialiased edges.
fn drawing() -> RgbImage {
    RgbImage::from_fn(96, 80, |x, y| {
        let v = if x < 3 || y < 3 || x > 92 || y > 76 || x.abs_diff(y) < 2 {
            0
        } else if x.abs_diff(y) == 2 || y == 40 {
            120
        } else {
            255
        };
        Rgb([v, v, v])
    })
}

fn hints() -> RgbaImage {
    RgbaImage::from_fn(48, 40, |x, _| image::Rgba([255, 0, 0, if x < 10 { 255 } else { 0 }]))
}

fn stack(options: LayerOptions) -> LayerStack {
    let sources = LayerSources {
        color: colors(),
        drawing: drawing(),
        black_on_white: true,
        resize_mode: ResizeMode::CropAndResize,
        hints: Some(hints()),
    };
    compose_layers(sources, options).unwrap()
}

/// Written independently of the library: 255 − BT.601 luma of the drawing fitted to the picture.
fn expected_alpha(drawing: &RgbImage, black_on_white: bool, mode: ResizeMode, (w, h): (u32, u32)) -> Vec<u8> {
    let fitted = nurie::control::fit_to_size(drawing, mode, w, h);
    fitted
        .pixels()
        .map(|p| {
            let luma = ((299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]) + 500) / 1000) as u8;
            if black_on_white { 255 - luma } else { luma }
        })
        .collect()
}

/// color × (1 − a) for black lines, rounded to nearest (no ties can occur: 255 is odd).
fn expected_merged(color: &[u8], lines: &[u8]) -> Vec<u8> {
    let mut merged = Vec::new();
    for (c, l) in color.chunks(4).zip(lines.chunks(4)) {
        let keep = f64::from(255 - l[3]) / 255.0;
        merged.extend(c[..3].iter().map(|&v| (f64::from(v) * keep).round() as u8));
        merged.push(255);
    }
    merged
}

/// A PSD stores its bottom layer first; the `psd` crate lists them top first.
fn bottom_first(psd: &psd::Psd) -> Vec<&psd::PsdLayer> {
    psd.layers().iter().rev().collect()
}

fn alpha_of(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks(4).map(|p| p[3]).collect()
}

#[test]
fn export_psd_reads_back_with_the_psd_crate() {
    let stack = stack(LayerOptions::default());
    let bytes = psd_bytes(&stack, Path::new("test.psd")).unwrap();
    // Left for scripts/check-psd.py (psd-tools) to read too.
    std::fs::write(temp_dir("layered-psd").join("stack.psd"), &bytes).unwrap();
    let psd = psd::Psd::from_bytes(&bytes).unwrap();
    assert_eq!((psd.width(), psd.height()), (48, 40));
    let layers = bottom_first(&psd);
    let names: Vec<&str> = layers.iter().map(|layer| layer.name()).collect();
    assert_eq!(names, ["Color", "Hints", "Line art"], "bottom to top");
    let line = layers[2];
    // The crate does not export its BlendMode type; its Debug names are the modes'.
    assert_eq!(format!("{:?}", line.blend_mode()), "Multiply");
    assert_eq!(format!("{:?}", layers[0].blend_mode()), "Normal");
    assert_eq!(line.opacity(), 255);
    // The `psd` crate reads flag bit 1 as "visible"; Photoshop and psd-tools read a set bit 1 as hidden.
    assert_eq!(layers.iter().map(|layer| !layer.visible()).collect::<Vec<_>>(), [true, false, true]);
    let alpha = expected_alpha(&drawing(), true, ResizeMode::CropAndResize, (48, 40));
    assert_eq!(alpha_of(&line.rgba()), alpha, "the line layer's alpha is the drawing's darkness");
    assert!(line.rgba().chunks(4).all(|p| p[..3] == [0, 0, 0]), "the lines are black");
    let color = layers[0].rgba();
    assert_eq!(color, image::DynamicImage::ImageRgb8(colors()).into_rgba8().into_raw());
    assert_eq!(layers[1].rgba(), hints().into_raw());
    assert_eq!(psd.rgba(), expected_merged(&color, &line.rgba()), "merged = color × lines");
    assert_eq!(psd.rgba(), stack.merged.into_raw());
}

#[test]
fn export_psd_keeps_japanese_layer_names_and_opacity() {
    let pixels = RgbaImage::from_pixel(5, 3, image::Rgba([10, 20, 30, 200]));
    let mut lines = Layer::new("線画 (ペン) 🖊", pixels.clone()).blended(BlendMode::Multiply);
    lines.opacity = 128;
    let stack = LayerStack { layers: vec![Layer::new("下塗り", pixels.clone()), lines], merged: pixels };
    let bytes = psd_bytes(&stack, Path::new("名前.psd")).unwrap();
    std::fs::write(temp_dir("layered-names").join("名前.psd"), &bytes).unwrap();
    let psd = psd::Psd::from_bytes(&bytes).unwrap();
    let names: Vec<&str> = bottom_first(&psd).iter().map(|layer| layer.name()).collect();
    assert_eq!(names, ["下塗り", "線画 (ペン) 🖊"]);
    assert_eq!(bottom_first(&psd)[1].opacity(), 128);
    assert_eq!(psd.rgba().chunks(4).next().unwrap(), [10, 20, 30, 200], "a transparent merged image keeps its alpha");
}

#[test]
fn export_psd_refuses_pages_larger_than_psd_allows() {
    let tall = RgbaImage::new(1, 30_001);
    let stack = LayerStack { layers: vec![Layer::new("Color", tall.clone())], merged: tall };
    let error = psd_bytes(&stack, Path::new("tall.psd")).unwrap_err().to_string();
    assert!(error.contains("tall.psd") && error.contains("30000"), "{error}");
}

/// The entries of an OpenRaster file, in order, with their compression.
fn ora_entries(bytes: &[u8]) -> Vec<(String, zip::CompressionMethod, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            (file.name().to_string(), file.compression(), data)
        })
        .collect()
}

/// `(name, src, opacity, visibility, composite-op)` of each `<layer>` in stack.xml, top first.
fn ora_layers(xml: &str) -> Vec<[String; 5]> {
    let attribute = |element: &str, key: &str| {
        let re = regex::Regex::new(&format!(r#"\s{key}="([^"]*)""#)).unwrap();
        html_escape::decode_html_entities(&re.captures(element).unwrap()[1]).into_owned()
    };
    let element = regex::Regex::new(r"<layer\s[^>]*>").unwrap();
    element
        .find_iter(xml)
        .map(|m| ["name", "src", "opacity", "visibility", "composite-op"].map(|key| attribute(m.as_str(), key)))
        .collect()
}

fn png_rgba(bytes: &[u8]) -> RgbaImage {
    image::load_from_memory_with_format(bytes, image::ImageFormat::Png).unwrap().into_rgba8()
}

fn check_ora(bytes: &[u8], alpha: &[u8], color: Option<&RgbImage>) -> Vec<[String; 5]> {
    let entries = ora_entries(bytes);
    assert_eq!(entries[0].0, "mimetype");
    assert_eq!(entries[0].1, zip::CompressionMethod::Stored);
    assert_eq!(entries[0].2, b"image/openraster");
    assert_eq!(&bytes[30..38], b"mimetype", "the mimetype is the first entry's name, at a fixed offset");
    let file = |name: &str| entries.iter().find(|e| e.0 == name).map(|e| e.2.clone()).unwrap();
    let layers = ora_layers(&String::from_utf8(file("stack.xml")).unwrap());
    let line = png_rgba(&file(&layers[0][1]));
    assert_eq!(alpha_of(line.as_raw()), alpha, "the line layer's alpha is the drawing's darkness");
    let color_layer = png_rgba(&file(&layers.last().unwrap()[1]));
    if let Some(color) = color {
        assert_eq!(color_layer, image::DynamicImage::ImageRgb8(color.clone()).into_rgba8());
    }
    let merged = png_rgba(&file("mergedimage.png"));
    if line.pixels().all(|p| p.0[..3] == [0, 0, 0]) {
        assert_eq!(merged.as_raw(), &expected_merged(color_layer.as_raw(), line.as_raw()), "merged = color × lines");
    }
    let thumbnail = png_rgba(&file("Thumbnails/thumbnail.png"));
    assert!(thumbnail.width() <= 256 && thumbnail.height() <= 256);
    layers
}

#[test]
fn export_ora_reads_back_with_zip_and_image() {
    let stack = stack(LayerOptions::default());
    let bytes = ora_bytes(&stack, Path::new("test.ora")).unwrap();
    let alpha = expected_alpha(&drawing(), true, ResizeMode::CropAndResize, (48, 40));
    let layers = check_ora(&bytes, &alpha, Some(&colors()));
    let summary: Vec<[&str; 4]> = layers.iter().map(|l| [l[0].as_str(), &l[2], &l[3], &l[4]]).collect();
    assert_eq!(
        summary,
        [
            ["Line art", "1.000", "visible", "svg:multiply"],
            ["Hints", "1.000", "hidden", "svg:src-over"],
            ["Color", "1.000", "visible", "svg:src-over"],
        ]
    );
}

#[test]
fn export_ora_keeps_japanese_names_escaped() {
    let pixels = RgbaImage::from_pixel(300, 20, image::Rgba([1, 2, 3, 255]));
    let stack = LayerStack { layers: vec![Layer::new("線画 \"<&>\"", pixels.clone()).hidden()], merged: pixels };
    let entries = ora_entries(&ora_bytes(&stack, Path::new("x.ora")).unwrap());
    let xml = String::from_utf8(entries.iter().find(|e| e.0 == "stack.xml").unwrap().2.clone()).unwrap();
    assert_eq!(ora_layers(&xml)[0][0], "線画 \"<&>\"");
    let thumbnail = png_rgba(&entries.iter().find(|e| e.0 == "Thumbnails/thumbnail.png").unwrap().2);
    assert_eq!(thumbnail.dimensions(), (256, 17));
}

#[test]
fn export_color_trace_recolors_the_lines_but_keeps_their_darkness() {
    let plain = stack(LayerOptions::default());
    let traced = stack(LayerOptions { color_trace: true, ..LayerOptions::default() });
    let (plain_lines, traced_lines) = (&plain.layers[2].pixels, &traced.layers[2].pixels);
    assert_eq!(alpha_of(plain_lines.as_raw()), alpha_of(traced_lines.as_raw()));
    assert!(traced_lines.pixels().any(|p| p.0[3] > 0 && p.0[..3] != [0, 0, 0]), "lines take colors");
    let psd = psd::Psd::from_bytes(&psd_bytes(&traced, Path::new("t.psd")).unwrap()).unwrap();
    assert_eq!(bottom_first(&psd)[2].rgba(), traced_lines.as_raw().clone());
}

/// A closed square on white paper: its inside is one area, the paper around it the background.
#[test]
fn export_flats_and_a_transparent_background() {
    let color = RgbImage::from_fn(60, 60, |x, _| if x < 30 { Rgb([200, 40, 40]) } else { Rgb([40, 40, 200]) });
    let square =
        |x: u32, y: u32| (15..45).contains(&x) && (15..45).contains(&y) && !((17..43).contains(&x) && (17..43).contains(&y));
    let drawing = RgbImage::from_fn(60, 60, |x, y| if square(x, y) { Rgb([0, 0, 0]) } else { Rgb([255; 3]) });
    let sources = LayerSources {
        color: color.clone(),
        drawing: drawing.clone(),
        black_on_white: true,
        resize_mode: ResizeMode::JustResize,
        hints: None,
    };
    let plain = compose_layers(sources.clone(), LayerOptions::default()).unwrap();
    let settings = nurie::flats::FlatsSettings::default();
    let options = LayerOptions { flats: Some(settings), transparent: true, ..LayerOptions::default() };
    let stack = compose_layers(sources, options).unwrap();
    let bytes = ora_bytes(&stack, Path::new("flats.ora")).unwrap();
    let entries = ora_entries(&bytes);
    let file = |name: &str| entries.iter().find(|e| e.0 == name).map(|e| e.2.clone()).unwrap();
    let layers = ora_layers(&String::from_utf8(file("stack.xml")).unwrap());
    let names: Vec<[&str; 2]> = layers.iter().map(|l| [l[0].as_str(), &l[3]]).collect();
    assert_eq!(names, [["Line art", "visible"], ["Flats", "hidden"], ["Color", "visible"]]);
    let (lines, flat, colors) = (png_rgba(&file(&layers[0][1])), png_rgba(&file(&layers[1][1])), png_rgba(&file(&layers[2][1])));
    assert_eq!(lines, plain.layers[1].pixels, "the line art is the same with or without the options");
    let expected = nurie::flats::make_flats(&image::imageops::grayscale(&drawing), &color, &settings).unwrap();
    let inside = expected.image.get_pixel(30, 30).0;
    assert_eq!(flat.get_pixel(30, 30).0, [inside[0], inside[1], inside[2], 255]);
    assert_eq!(flat.get_pixel(20, 20).0, flat.get_pixel(40, 40).0, "one color per enclosed area");
    assert_eq!(colors.get_pixel(2, 2).0[3], 0, "the paper around the figure is transparent");
    assert_eq!(colors.get_pixel(30, 30).0, [40, 40, 200, 255]);
    let merged = png_rgba(&file("mergedimage.png"));
    assert_eq!(merged.get_pixel(2, 2).0, [0, 0, 0, 0]);
    assert_eq!(merged.get_pixel(30, 30).0, [40, 40, 200, 255]);
    assert_eq!(merged.get_pixel(16, 30).0[3], 255, "lines are opaque in the merged image, background or not");
    let psd = psd::Psd::from_bytes(&psd_bytes(&stack, Path::new("flats.psd")).unwrap()).unwrap();
    assert_eq!(bottom_first(&psd).iter().map(|l| l.name()).collect::<Vec<_>>(), ["Color", "Flats", "Line art"]);
    assert_eq!(psd.rgba(), merged.into_raw(), "the PSD's merged image keeps the transparency");
}

/// `nurie generate --export psd --export ora` on the fixture model writes both beside the PNG, and
/// `nurie export` rebuilds them later from the PNG and the line art Nurie kept.
#[test]
fn export_from_generate_and_from_a_kept_picture() {
    let dir = temp_dir("layered-export");
    let home = dir.join("home");
    let out = dir.join("out");
    let controlnet = fixture("parity/controlnet-lineart-dev-fp16.safetensors");
    let lineart = fixture("control/controlnet_hint_image_u8.png");
    let (checkpoint, controlnet_arg, lineart_arg) = (sd15_dev(), controlnet.to_str().unwrap(), lineart.to_str().unwrap());
    let written = succeeded(nurie_in(
        &home,
        &[
            "generate",
            "--checkpoint",
            checkpoint.to_str().unwrap(),
            "--controlnet",
            controlnet_arg,
            "--lineart",
            lineart_arg,
            "--prompt",
            "1girl",
            "--steps",
            "2",
            "--seed",
            "7",
            "--width",
            "64",
            "--height",
            "48",
            "--resize-mode",
            "just-resize",
            "--device",
            "cpu",
            "--export",
            "psd",
            "--export",
            "ora",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let png = &written[0];
    assert_eq!(written[1..], [png.with_extension("psd"), png.with_extension("ora")]);
    let record = nurie::metadata::read_settings_from_png(png).unwrap().record;
    let black_on_white = record.controlnets[0].line_art_inverted;
    let drawing = nurie::control::load_rgb8(&lineart).unwrap();
    let alpha = expected_alpha(&drawing, black_on_white, ResizeMode::JustResize, (64, 48));
    let color = image::open(png).unwrap().to_rgb8();
    let psd = psd::Psd::from_bytes(&std::fs::read(png.with_extension("psd")).unwrap()).unwrap();
    let layers = bottom_first(&psd);
    assert_eq!(layers.iter().map(|l| l.name()).collect::<Vec<_>>(), ["Color", "Line art"]);
    assert_eq!(alpha_of(&layers[1].rgba()), alpha);
    assert_eq!(psd.rgba(), expected_merged(&layers[0].rgba(), &layers[1].rgba()));
    check_ora(&std::fs::read(png.with_extension("ora")).unwrap(), &alpha, Some(&color));

    let again = dir.join("again.ora");
    let output = nurie_in(&home, &["export", png.to_str().unwrap(), "--to", "ora", "--out", again.to_str().unwrap()]);
    assert_eq!(succeeded(output), std::slice::from_ref(&again));
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(png.with_extension("ora")).unwrap(), "same file rebuilt");
    let traced = succeeded(nurie_in(&home, &["export", png.to_str().unwrap(), "--to", "PSD", "--color-trace"]));
    assert_eq!(traced, [png.with_extension("psd")]);
    let flats = dir.join("フラット.psd");
    let args = ["export", png.to_str().unwrap(), "--to", "psd", "--flats", "--transparent", "--out", flats.to_str().unwrap()];
    succeeded(nurie_in(&home, &args));
    let psd = psd::Psd::from_bytes(&std::fs::read(&flats).unwrap()).unwrap();
    assert_eq!(bottom_first(&psd).iter().map(|l| l.name()).collect::<Vec<_>>(), ["Color", "Flats", "Line art"]);

    let gone = nurie_in(&dir.join("another home"), &["export", png.to_str().unwrap(), "--to", "psd"]);
    let stderr = String::from_utf8_lossy(&gone.stderr);
    assert!(!gone.status.success() && stderr.contains("no longer keeps") && stderr.contains(png.to_str().unwrap()), "{stderr}");
}

#[test]
fn export_of_a_picture_without_line_art_says_so() {
    let dir = temp_dir("layered-no-line-art");
    let picture = dir.join("prompt only.png");
    let record = nurie::metadata::GenerationRecord::default();
    let pixels = colors();
    let image = nurie::metadata::RgbImage { width: pixels.width(), height: pixels.height(), pixels: pixels.as_raw() };
    nurie::metadata::write_png_with_record(&picture, image, &record).unwrap();
    let output = nurie_in(&dir.join("home"), &["export", picture.to_str().unwrap(), "--to", "psd"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("has no line art") && stderr.contains("prompt only.png"), "{stderr}");
}

/// A 4000×6000 page (a manga page at 600 dpi) exports: the PSD's header and merged image read back.
#[test]
fn export_a_4000_by_6000_page() {
    let color = RgbImage::from_fn(4000, 6000, |x, y| Rgb([(x % 251) as u8, (y % 241) as u8, 180]));
    let drawing = RgbImage::from_fn(2000, 3000, |x, y| if x % 50 < 2 || y % 70 < 3 { Rgb([0, 0, 0]) } else { Rgb([255; 3]) });
    let sources = LayerSources { color, drawing, black_on_white: true, resize_mode: ResizeMode::JustResize, hints: None };
    let started = std::time::Instant::now();
    let stack = compose_layers(sources, LayerOptions { color_trace: true, ..LayerOptions::default() }).unwrap();
    let composed = started.elapsed();
    let psd = psd_bytes(&stack, Path::new("page.psd")).unwrap();
    let psd_done = started.elapsed();
    let ora = ora_bytes(&stack, Path::new("page.ora")).unwrap();
    eprintln!(
        "4000×6000: layers {:.2} s, PSD {:.2} s ({} MB), ORA {:.2} s ({} MB)",
        composed.as_secs_f64(),
        (psd_done - composed).as_secs_f64(),
        psd.len() >> 20,
        (started.elapsed() - psd_done).as_secs_f64(),
        ora.len() >> 20
    );
    let read = psd::Psd::from_bytes(&psd).unwrap();
    assert_eq!((read.width(), read.height()), (4000, 6000));
    assert_eq!(read.rgba(), stack.merged.into_raw());
}

/// `nurie generate --flats` writes the flats beside the picture, one color per area, and puts them in
/// the layered files it exports.
#[test]
fn generate_writes_the_flats_beside_the_picture() {
    let dir = temp_dir("layered-generate-flats");
    let out = dir.join("out");
    let (checkpoint, controlnet) = (sd15_dev(), fixture("parity/controlnet-lineart-dev-fp16.safetensors"));
    let lineart = fixture("control/lineart_input.png");
    let args = [
        "generate",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--controlnet",
        controlnet.to_str().unwrap(),
        "--lineart",
        lineart.to_str().unwrap(),
        "--steps",
        "1",
        "--width",
        "64",
        "--height",
        "64",
        "--device",
        "cpu",
        "--flats",
        "--flats-gap",
        "3",
        "--export",
        "ora",
        "--out",
        out.to_str().unwrap(),
    ];
    let written = succeeded(nurie_in(&dir.join("home"), &args));
    let png = &written[0];
    let flats_png = png.with_file_name(format!("{}-flats.png", png.file_stem().unwrap().to_string_lossy()));
    assert_eq!(written[1..], [flats_png.clone(), png.with_extension("ora")]);
    let flats = image::open(&flats_png).unwrap().to_rgba8();
    assert_eq!(flats.dimensions(), (64, 64));
    assert!(flats.pixels().all(|p| p[3] == 255), "the flats cover every pixel");
    let mut colors: Vec<[u8; 3]> = flats.pixels().map(|p| [p[0], p[1], p[2]]).collect();
    colors.sort_unstable();
    colors.dedup();
    assert!(!colors.is_empty() && colors.len() < 64 * 64 / 24, "flat colors, not a photo: {} colors", colors.len());
}

/// `nurie generate --transparent` cuts the background out of the PNG itself: the paper around a drawn
/// square (it touches the border) becomes transparent, the square stays opaque, and the colors and the
/// metadata are all still in the file.
#[test]
fn generate_makes_the_background_of_the_png_transparent() {
    let dir = temp_dir("layered-transparent-png");
    let drawing = dir.join("square.png");
    let on_square = |v: u32| (16..18).contains(&v) || (46..48).contains(&v);
    image::GrayImage::from_fn(64, 64, |x, y| {
        let within = |v: u32| (16..48).contains(&v);
        image::Luma([if (on_square(x) && within(y)) || (on_square(y) && within(x)) { 0 } else { 255 }])
    })
    .save(&drawing)
    .unwrap();
    let (checkpoint, controlnet) = (sd15_dev(), fixture("parity/controlnet-lineart-dev-fp16.safetensors"));
    let out = dir.join("out");
    let args = [
        "generate",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--controlnet",
        controlnet.to_str().unwrap(),
        "--lineart",
        drawing.to_str().unwrap(),
        "--steps",
        "1",
        "--width",
        "64",
        "--height",
        "64",
        "--device",
        "cpu",
        "--transparent",
        "--out",
        out.to_str().unwrap(),
    ];
    let written = succeeded(nurie_in(&dir.join("home"), &args));
    assert_eq!(written.len(), 1, "only the picture: {written:?}");
    let picture = image::open(&written[0]).unwrap();
    assert_eq!(picture.color(), image::ColorType::Rgba8);
    let rgba = picture.to_rgba8();
    assert_eq!((rgba.get_pixel(2, 2).0[3], rgba.get_pixel(60, 40).0[3]), (0, 0), "the background is cut out");
    assert_eq!(rgba.get_pixel(32, 32).0[3], 255, "inside the square stays opaque");
    assert!(rgba.pixels().filter(|p| p.0[3] == 0).any(|p| p.0[..3] != [0, 0, 0]), "the colors stay under the transparency");
    let record = nurie::metadata::read_settings_from_png(&written[0]).unwrap().record;
    assert_eq!((record.settings.width, record.settings.steps), (64, 1));
}

/// `flats_by_color`: one hidden layer per flat color after "Flats", cropped to that color's areas and
/// placed over them, in both formats; the background color has none once the background is cut out.
#[test]
fn export_one_layer_per_flat_color() {
    // Two boxes side by side on paper: left inside red, right inside blue.
    let boxes = |x: u32, y: u32| {
        let frame = |x0: u32| {
            (x0..x0 + 20).contains(&x) && (10..30).contains(&y) && !((x0 + 2..x0 + 18).contains(&x) && (12..28).contains(&y))
        };
        frame(5) || frame(35)
    };
    let drawing = RgbImage::from_fn(60, 40, |x, y| if boxes(x, y) { Rgb([0, 0, 0]) } else { Rgb([255; 3]) });
    let color = RgbImage::from_fn(60, 40, |x, y| match (x, y) {
        (7..23, 12..28) => Rgb([200, 40, 40]),
        (37..53, 12..28) => Rgb([40, 40, 200]),
        _ => Rgb([250, 250, 240]),
    });
    let sources = LayerSources { color, drawing, black_on_white: true, resize_mode: ResizeMode::JustResize, hints: None };
    let settings = nurie::flats::FlatsSettings::default();
    let options = LayerOptions { flats: Some(settings), flats_by_color: true, transparent: true, ..LayerOptions::default() };
    let stack = compose_layers(sources, options).unwrap();
    let psd = psd::Psd::from_bytes(&psd_bytes(&stack, Path::new("by-color.psd")).unwrap()).unwrap();
    let layers = bottom_first(&psd);
    let names: Vec<&str> = layers.iter().map(|l| l.name()).collect();
    assert_eq!(names[..2], ["Color", "Flats"]);
    assert_eq!(names[names.len() - 1], "Line art");
    let by_color: Vec<&&psd::PsdLayer> = layers.iter().filter(|l| l.name().starts_with("Flat #")).collect();
    assert_eq!(by_color.len(), 2, "red and blue; the paper is background: {names:?}");
    let red = by_color.iter().find(|l| l.name() == "Flat #c82828").expect("the red layer");
    assert!(red.visible(), "hidden (the psd crate reads the hidden flag as visible)");
    let (left, top, right, bottom) = (red.layer_left(), red.layer_top(), red.layer_right(), red.layer_bottom());
    assert!(left >= 5 && right <= 25 && top >= 10 && bottom <= 30, "cropped to the left box: {left},{top} – {right},{bottom}");
    let pixels = red.rgba();
    assert_eq!(&pixels[(15 * 60 + 15) * 4..][..4], [200, 40, 40, 255], "placed over the left box inside");
    assert_eq!(pixels[(15 * 60 + 45) * 4 + 3], 0, "nothing over the right box");

    let bytes = ora_bytes(&stack, Path::new("by-color.ora")).unwrap();
    let xml = String::from_utf8(ora_entries(&bytes).into_iter().find(|e| e.0 == "stack.xml").unwrap().2).unwrap();
    assert!(xml.contains("name=\"Flat #c82828\"") && xml.contains(&format!("x=\"{left}\" y=\"{top}\"")), "{xml}");
}
