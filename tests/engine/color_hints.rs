//! Color hints on the fixture model: a red dab inside a drawn square pulls the square toward red, and
//! leaves the rest. The fixture model's weights are random: its VAE renders any picture as colored
//! noise and its UNet drives the latents far from anything a VAE encodes (RMS about 19 where an
//! encoded picture has 0.15), so its pixels say nothing about colors. What is measured is where the
//! colors are decided, in the latents: how close the hinted area's final latents come to the latents
//! of the hints spread into it (the color guide), with the same seed, prompt and line art.

use std::path::Path;

use burn::tensor::DType;
use image::{Luma, Rgba, RgbaImage};
use nurie::control::LineArtSettings;
use nurie::generate::{Models, Plan, Resolver, UnitPlan, generate, record_for};
use nurie::metadata::{ControlGuidance, GenerationSettings, infotext};
use nurie::vocabulary::{RngSource, SamplerKind};

use super::support::{Images, Weights, cpu, nurie_in, succeeded, temp_dir};

const SIZE: u32 = 64;
const RED: [u8; 3] = [220, 40, 40];

/// A square drawn with 2-px lines from 16 to 48 on white paper.
fn write_drawing(path: &Path) {
    let on_square = |v: u32| (16..18).contains(&v) || (46..48).contains(&v);
    let within = |v: u32| (16..48).contains(&v);
    image::GrayImage::from_fn(SIZE, SIZE, |x, y| {
        let line = (on_square(x) && within(y)) || (on_square(y) && within(x));
        Luma([if line { 0 } else { 255 }])
    })
    .save(path)
    .unwrap();
}

/// A small red dab in the middle of the square, the rest transparent.
fn write_hints(path: &Path) {
    RgbaImage::from_fn(SIZE, SIZE, |x, y| {
        let dab = (28..36).contains(&x) && (28..36).contains(&y);
        if dab { Rgba([RED[0], RED[1], RED[2], 255]) } else { Rgba([0, 0, 0, 0]) }
    })
    .save(path)
    .unwrap();
}

/// One coloring of the square: its final latents and metadata, and the color guide's own latents
/// with how much each latent value is held (what the hints aim at).
struct Colored {
    latents: Vec<f32>,
    infotext: String,
    guide: Option<(Vec<f32>, Vec<f32>)>,
}

/// `image`'s latents as the pipeline encodes an img2img picture (posterior mean × 0.18215).
fn encode(models: &Models, image: &image::RgbImage, device: &burn::tensor::Device) -> Vec<f32> {
    use burn::tensor::{Tensor, TensorData};
    let (width, height) = (image.width() as usize, image.height() as usize);
    let plane = width * height;
    let mut chw = vec![0.0f32; 3 * plane];
    for (p, pixel) in image.pixels().enumerate() {
        (0..3).for_each(|c| chw[c * plane + p] = f32::from(pixel.0[c]) / 127.5 - 1.0);
    }
    let input = Tensor::<4>::from_data(TensorData::new(chw, [1, 3, height, width]), device);
    (models.vae.encode(input).unwrap().mean * nurie::model::vae::SCALING_FACTOR).try_into_vec_as::<f32>().unwrap()
}

/// The fixture model's coloring of the square, with the hints at `hint_strength` (none: no hints).
fn color(name: &str, hint_strength: Option<f64>) -> Colored {
    let dir = temp_dir(name);
    let (drawing, hints) = (dir.join("square.png"), dir.join("hints.png"));
    write_drawing(&drawing);
    write_hints(&hints);
    let settings = GenerationSettings {
        prompt: "1girl, flat color".into(),
        steps: 8,
        sampler: SamplerKind::Euler.into(),
        width: SIZE,
        height: SIZE,
        seed: 7,
        rng: RngSource::Cpu,
        hint_strength,
        ..GenerationSettings::default()
    };
    let unit = UnitPlan {
        controlnet: Weights::Fp16File.controlnet(),
        line_art: drawing,
        line_art_settings: LineArtSettings::default(),
        guidance: ControlGuidance::default(),
    };
    let color_hints = hint_strength.map(|_| hints);
    let checkpoint = Weights::Fp16File.checkpoint();
    let plan = Plan {
        settings,
        checkpoint,
        vae: None,
        units: vec![unit],
        references: vec![],
        init_image: None,
        mask: None,
        color_hints,
    };
    let resolved = Resolver::in_home(&dir).resolve(&plan).unwrap();
    let compute = cpu();
    let models = Models::load(&resolved.files, &compute.device, DType::F32, |_| {}).unwrap();
    let mut images = Images::default();
    generate(&models, &resolved.request, &compute.device, &mut images).unwrap();
    let infotext = infotext(&record_for(&resolved.request, 0, &resolved.provenance));
    let guide = resolved.request.color_guide.as_ref();
    let guide = guide.map(|guide| (encode(&models, &guide.image, &compute.device), guide.latent_mask_channels()));
    Colored { latents: images.0.remove(0).latents, infotext, guide }
}

/// The root mean square of `a − b` over the values `pick` chooses.
fn rms_where(a: &[f32], b: &[f32], pick: impl Fn(usize) -> bool) -> f64 {
    let picked: Vec<f64> = (0..a.len()).filter(|&i| pick(i)).map(|i| f64::from(a[i] - b[i]).powi(2)).collect();
    (picked.iter().sum::<f64>() / picked.len() as f64).sqrt()
}

#[test]
fn hints_pull_their_area_toward_the_hint_colors_and_leave_the_rest() {
    let plain = color("hints-none", None);
    let hinted = color("hints-default", Some(nurie::metadata::DEFAULT_HINT_STRENGTH));
    let (target, mask) = hinted.guide.as_ref().unwrap();
    let inside = |i: usize| mask[i] == 1.0;
    let (before, after) = (rms_where(&plain.latents, target, inside), rms_where(&hinted.latents, target, inside));
    let outside_moved = rms_where(&plain.latents, &hinted.latents, |i| mask[i] == 0.0);
    let inside_moved = rms_where(&plain.latents, &hinted.latents, inside);
    eprintln!(
        "the square's latents to the hints' latents: RMS {before:.2} without hints, {after:.2} with; \
         the latents moved {inside_moved:.2} inside the square and {outside_moved:.2} outside"
    );
    assert!(after < 0.25 * before, "the hinted area is pulled to the hint colors");
    assert!(outside_moved < 0.5 * inside_moved, "the unhinted area moves less");
    let recorded = hinted.infotext.contains("Color hints hash: ") && hinted.infotext.contains("Hint strength: 0.5");
    assert!(recorded, "{}", hinted.infotext);
    assert!(!plain.infotext.contains("Color hints"), "{}", plain.infotext);
}

#[test]
fn a_stronger_hint_holds_closer() {
    let distance = |strength: f64| {
        let colored = color(&format!("hints-{strength}"), Some(strength));
        let (target, mask) = colored.guide.as_ref().unwrap();
        rms_where(&colored.latents, target, |i| mask[i] == 1.0)
    };
    let distances = [0.2, 0.5, 1.0].map(distance);
    eprintln!("hint strength 0.2, 0.5, 1: RMS {distances:.2?}");
    assert!(distances[0] > distances[1] && distances[1] > distances[2], "{distances:?}");
}

/// `nurie generate --color-hints` records the hints by hash, keeps them, puts them in the layered file
/// as the hidden "Hints" layer, and `--from-png` finds them again.
#[test]
fn the_command_line_keeps_records_and_reuses_the_hints() {
    let dir = temp_dir("hints-cli");
    let (home, out) = (dir.join("home"), dir.join("out"));
    let (drawing, hints) = (dir.join("square.png"), dir.join("ヒント.png"));
    write_drawing(&drawing);
    write_hints(&hints);
    let (checkpoint, controlnet) = (Weights::Fp16File.checkpoint(), Weights::Fp16File.controlnet());
    let common = [
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--controlnet",
        controlnet.to_str().unwrap(),
        "--lineart",
        drawing.to_str().unwrap(),
        "--steps",
        "2",
        "--device",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ];
    let first = [
        &["generate", "--width", "64", "--height", "64", "--color-hints", hints.to_str().unwrap()][..],
        &common,
        &["--hint-strength", "0.75", "--export", "psd"],
    ]
    .concat();
    let written = succeeded(nurie_in(&home, &first));
    let png = &written[0];
    let sha256 = nurie::provenance::hash::file_sha256(&hints).unwrap();
    let record = nurie::metadata::read_settings_from_png(png).unwrap().record;
    assert_eq!(record.color_hints_sha256.as_deref(), Some(sha256.as_str()));
    assert_eq!(record.settings.hint_strength, Some(0.75));
    assert!(home.join("inputs").join(format!("{sha256}.png")).is_file(), "the hints are kept");
    let psd = psd::Psd::from_bytes(&std::fs::read(png.with_extension("psd")).unwrap()).unwrap();
    let names: Vec<&str> = psd.layers().iter().rev().map(|layer| layer.name()).collect();
    assert_eq!(names, ["Color", "Hints", "Line art"]);
    let hints_layer = psd.layer_by_name("Hints").unwrap();
    // The `psd` crate reads the hidden flag as "visible" (see layered_export.rs).
    assert!(hints_layer.visible(), "the hints are hidden");
    assert_eq!(&hints_layer.rgba()[(32 * 64 + 32) * 4..][..4], [RED[0], RED[1], RED[2], 255]);

    let again = [&["generate", "--from-png", png.to_str().unwrap()][..], &common].concat();
    let output = nurie_in(&home, &again);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let repeated = succeeded(output);
    assert!(stderr.contains("using the picture's color hints"), "{stderr}");
    let record = nurie::metadata::read_settings_from_png(&repeated[0]).unwrap().record;
    assert_eq!(record.color_hints_sha256.as_deref(), Some(sha256.as_str()));
}

#[test]
fn hints_with_nothing_painted_are_refused_naming_the_file() {
    let dir = temp_dir("hints-empty");
    let (drawing, hints, out) = (dir.join("square.png"), dir.join("empty hints.png"), dir.join("out"));
    write_drawing(&drawing);
    RgbaImage::new(64, 64).save(&hints).unwrap();
    let (checkpoint, controlnet) = (Weights::Fp16File.checkpoint(), Weights::Fp16File.controlnet());
    let args = [
        "generate",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--controlnet",
        controlnet.to_str().unwrap(),
        "--lineart",
        drawing.to_str().unwrap(),
        "--color-hints",
        hints.to_str().unwrap(),
        "--width",
        "64",
        "--height",
        "64",
        "--device",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ];
    let output = nurie_in(&dir.join("home"), &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("empty hints.png") && stderr.contains("nothing is painted"), "{stderr}");
}
