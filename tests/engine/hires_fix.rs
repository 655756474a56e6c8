//! Hires fix through `nurie generate`: the pictures come out at the enlarged size with A1111's keys, and
//! `--from-png` reproduces them pixel for pixel, with a latent upscaler and a line-art unit, and with an
//! ESRGAN-family upscaler found by name.

use std::path::{Path, PathBuf};

use nurie::metadata::{GenerationRecord, HiresSettings, ReadLimits, read_png_text, read_settings_from_png};

use super::support::{fixture, nurie_in, sd15_dev, succeeded, temp_dir};

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn record_of(picture: &Path) -> GenerationRecord {
    read_settings_from_png(picture).unwrap().record
}

fn pixels(picture: &Path) -> image::RgbImage {
    image::open(picture).unwrap().to_rgb8()
}

/// Generates with `args` after the common ones into `out`, returning the pictures written.
fn generate(home: &Path, out: &Path, args: &[&str]) -> Vec<PathBuf> {
    let checkpoint = sd15_dev();
    let common = ["generate", "--checkpoint", path(&checkpoint), "--device", "cpu", "--no-history", "--out", path(out)];
    succeeded(nurie_in(home, &[&common[..], args].concat()))
}

#[test]
fn hires_with_a_latent_upscaler_and_line_art_reproduces_from_its_metadata() {
    let dir = temp_dir("hires-latent");
    let controlnet = fixture("parity/controlnet-lineart-dev-fp16.safetensors");
    let lineart = fixture("control/controlnet_hint_image_u8.png");
    let unit = ["--controlnet", path(&controlnet), "--lineart", path(&lineart)];
    let first = dir.join("first");
    let settings = [
        "--prompt",
        "1girl, flat color",
        "--steps",
        "3",
        "--sampler",
        "euler_a",
        "--seed",
        "11",
        "--width",
        "64",
        "--height",
        "48",
        "--batch",
        "2",
        "--hires-scale",
        "1.5",
        "--hires-steps",
        "2",
        "--hires-upscaler",
        "Latent (bicubic antialiased)",
        "--denoise",
        "0.6",
    ];
    let written = generate(&dir, &first, &[&unit[..], &settings].concat());
    assert_eq!(written.len(), 2);
    for picture in &written {
        assert_eq!(pixels(picture).dimensions(), (96, 72), "1.5 × 64×48");
    }
    let record = record_of(&written[1]);
    let hires = HiresSettings { scale: 1.5, upscaler: "Latent (bicubic antialiased)".into(), steps: 2 };
    assert_eq!((record.settings.hires.as_ref(), record.settings.denoising_strength), (Some(&hires), Some(0.6)));
    assert_eq!((record.settings.width, record.settings.height, record.settings.seed), (64, 48, 12), "the first pass's size");
    let text = read_png_text(&written[1], &ReadLimits::default()).unwrap();
    let parameters = text.get("parameters").unwrap();
    assert!(
        parameters.contains(
            "Denoising strength: 0.6, Hires upscale: 1.5, Hires steps: 2, Hires upscaler: Latent (bicubic antialiased)"
        ),
        "{parameters}"
    );
    let again = dir.join("again");
    let reproduced = generate(&dir, &again, &[&unit[..], &["--from-png", path(&written[1])]].concat());
    assert_eq!(pixels(&reproduced[0]), pixels(&written[1]), "--from-png gives the same pixels");
    let plain = dir.join("plain");
    let without = generate(&dir, &plain, &[&unit[..], &["--from-png", path(&written[1]), "--no-hires"]].concat());
    assert_eq!(pixels(&without[0]).dimensions(), (64, 48));
    assert_eq!(record_of(&without[0]).settings.hires, None);
}

#[test]
fn hires_with_an_esrgan_upscaler_found_by_name() {
    let dir = temp_dir("hires-esrgan");
    let folder = fixture("upscale");
    let first = dir.join("first");
    let settings = ["--prompt", "a cat", "--steps", "2", "--sampler", "euler", "--seed", "3", "--width", "64", "--height", "64"];
    let hires = ["--hires-scale", "2", "--hires-upscaler", "esrgan-x2", "--upscaler-dir", path(&folder)];
    let written = generate(&dir, &first, &[&settings[..], &hires].concat());
    assert_eq!(pixels(&written[0]).dimensions(), (128, 128));
    let recorded = record_of(&written[0]).settings.hires.unwrap();
    assert_eq!((recorded.upscaler.as_str(), recorded.steps), ("esrgan-x2", 0));
    let again = dir.join("again");
    let reproduced = generate(&dir, &again, &["--from-png", path(&written[0]), "--upscaler-dir", path(&folder)]);
    assert_eq!(pixels(&reproduced[0]), pixels(&written[0]));
    // Without the folder the upscaler is nowhere to be found: the error names it and the folders to use.
    let checkpoint = sd15_dev();
    let missing =
        nurie_in(&dir, &["generate", "--checkpoint", path(&checkpoint), "--from-png", path(&written[0]), "--out", path(&again)]);
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(!missing.status.success() && stderr.contains("esrgan-x2") && stderr.contains("--upscaler-dir"), "{stderr}");
}
