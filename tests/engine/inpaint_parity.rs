//! Inpainting against its references (`tests/fixtures/inpaint/make_inpaint_refs.py`, on the parity model):
//! an inpainting checkpoint (9 UNet input channels) against diffusers' `StableDiffusionInpaintPipeline` with
//! its draws injected; an ordinary checkpoint's latent blending against a Python reference of A1111's
//! (Euler, "latent noise", DPM++ 2M Karras); the mask blur against OpenCV and "fill" against A1111's Pillow
//! code; and `nurie generate --mask` end to end.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use burn::tensor::DType;
use image::{GrayImage, RgbImage};
use nurie::checkpoint::{Checkpoint, F32Tensor};
use nurie::generate::{InitImage, InpaintMask, ModelFiles, Models, NoiseOverride, Request, generate};
use nurie::inpaint::{blur_mask, correct_colors, fill_masked, latent_blend_mask, prepare_inpaint};
use nurie::metadata::{GenerationSettings, InpaintSettings};
use nurie::runtime::ComputeDevice;
use nurie::vocabulary::{MaskedContent, RngSource, SamplerKind};

use super::support::{Images, Tolerance, Weights, assert_close, cpu, fixture, gpu, nurie_in, succeeded, temp_dir, tolerance};

const PROMPT: &str = r"lineart, 1girl, solo, \(long hair:1.2\), smile, flat color, masterpiece";
const NEGATIVE: &str = "lowres, bad anatomy, worst quality";
const WIDTH: u32 = 64;
const HEIGHT: u32 = 96;
const CONV_IN: &str = "model.diffusion_model.input_blocks.0.0.weight";

fn references() -> Checkpoint {
    Checkpoint::open(fixture("inpaint/inpaint_refs.safetensors")).unwrap()
}

fn get(refs: &Checkpoint, name: &str) -> F32Tensor {
    refs.read_f32(name).unwrap_or_else(|e| panic!("inpainting reference {name}: {e}"))
}

fn picture(refs: &Checkpoint) -> RgbImage {
    RgbImage::from_raw(WIDTH, HEIGHT, get(refs, "image_u8").values.iter().map(|&v| v as u8).collect()).unwrap()
}

fn gray(refs: &Checkpoint, name: &str) -> GrayImage {
    GrayImage::from_raw(WIDTH, HEIGHT, get(refs, name).values.iter().map(|&v| v as u8).collect()).unwrap()
}

/// The kit's checkpoint with its UNet's conv_in widened to 9 input channels by the fixture's 5 extra ones,
/// written once per test run.
fn inpainting_checkpoint() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = temp_dir("inpainting-checkpoint").join("sd15-dev-inpainting-fp16.safetensors");
        let base = std::fs::read(Weights::Fp16File.checkpoint()).unwrap();
        let base = safetensors::SafeTensors::deserialize(&base).unwrap();
        let extra = std::fs::read(fixture("inpaint/inpaint_conv_in.safetensors")).unwrap();
        let extra = safetensors::SafeTensors::deserialize(&extra).unwrap();
        let extra = extra.tensor("input_blocks.0.0.weight.extra_channels").unwrap();
        let conv_in = base.tensor(CONV_IN).unwrap();
        let (kept, added) = (conv_in.data().len() / 32, extra.data().len() / 32);
        let widened: Vec<u8> = (0..32)
            .flat_map(|o| [&conv_in.data()[o * kept..(o + 1) * kept], &extra.data()[o * added..(o + 1) * added]].concat())
            .collect();
        let mut tensors: Vec<(String, safetensors::tensor::TensorView)> = Vec::new();
        for (name, view) in base.tensors() {
            let view = match name.as_str() {
                CONV_IN => safetensors::tensor::TensorView::new(safetensors::Dtype::F16, vec![32, 9, 3, 3], &widened).unwrap(),
                _ => view,
            };
            tensors.push((name, view));
        }
        safetensors::serialize_to_file(tensors, None, &path).unwrap();
        path
    })
}

fn settings(sampler: SamplerKind, strength: f64, inpaint: InpaintSettings) -> GenerationSettings {
    GenerationSettings {
        prompt: PROMPT.into(),
        negative_prompt: NEGATIVE.into(),
        sampler: sampler.into(),
        steps: 4,
        cfg_scale: 7.0,
        rng: RngSource::Cpu,
        width: WIDTH,
        height: HEIGHT,
        batch_size: 1,
        denoising_strength: Some(strength),
        inpaint: Some(inpaint),
        ..GenerationSettings::default()
    }
}

fn request(settings: GenerationSettings, init: InitImage, noise: NoiseOverride) -> Request {
    Request {
        settings,
        control: vec![],
        reference: vec![],
        init_image: Some(init),
        noise,
        embeddings: None,
        color_guide: None,
        hires: None,
    }
}

fn conditioned(row: Tolerance, run: &str) -> Tolerance {
    super::support::conditioned(row, "inpaint/inpaint_refs.json", run)
}

fn latents_of(models: &Models, request: &Request, compute: &ComputeDevice) -> Vec<f32> {
    let mut collect = Images::default();
    generate(models, request, &compute.device, &mut collect).unwrap();
    collect.0.remove(0).latents
}

/// diffusers' inpainting run: strength 1, no blur (the pipeline has none), no paste-back.
fn inpaint9_request(refs: &Checkpoint) -> Request {
    let exact = InpaintSettings { mask_blur: 0, paste_back: false, ..InpaintSettings::default() };
    let init = InitImage { rgb: picture(refs), mask: Some(InpaintMask { mask: gray(refs, "mask_u8"), overlay: None }) };
    let noise = NoiseOverride {
        initial: Some(get(refs, "init_noise").values),
        masked_image: Some(get(refs, "inpaint9.masked_image_noise").values),
        ..NoiseOverride::default()
    };
    request(settings(SamplerKind::Euler, 1.0, exact), init, noise)
}

fn check_inpainting_checkpoint(compute: ComputeDevice, dtype: DType, row: &str) {
    let refs = references();
    let files = ModelFiles { checkpoint: inpainting_checkpoint().to_path_buf(), vae: None, controlnets: vec![] };
    let models = Models::load(&files, &compute.device, dtype, |_| {}).unwrap();
    assert_eq!(models.unet.in_channels(), 9);
    let latents = latents_of(&models, &inpaint9_request(&refs), &compute);
    let name = "inpaint9.latents";
    assert_close(name, &latents, &get(&refs, name), conditioned(tolerance("pipeline_latents", row), "inpaint9"));
}

#[test]
fn cpu_f32_inpainting_checkpoint_matches_diffusers() {
    check_inpainting_checkpoint(cpu(), DType::F32, "fp32");
}

#[test]
fn cpu_f16_inpainting_checkpoint_matches_diffusers() {
    check_inpainting_checkpoint(cpu(), DType::F16, "fp16");
}

#[test]
fn wgpu_f32_inpainting_checkpoint_matches_diffusers() {
    check_inpainting_checkpoint(gpu(), DType::F32, "fp32");
}

/// Each blend run: its sampler, strength and masked content.
const BLEND_RUNS: [(&str, SamplerKind, f64, MaskedContent); 3] = [
    ("original", SamplerKind::Euler, 0.75, MaskedContent::Original),
    ("latent_noise", SamplerKind::Euler, 0.75, MaskedContent::LatentNoise),
    ("dpmpp", SamplerKind::Dpmpp2mKarras, 0.6, MaskedContent::Original),
];

/// The mask goes through Nurie's own preparation (blur 4, A1111's default), which must give OpenCV's blur
/// and A1111's latent mask exactly before the sampling is compared.
fn check_blending(compute: ComputeDevice, dtype: DType, row: &str, runs: &[&str]) {
    let refs = references();
    let files = ModelFiles { checkpoint: Weights::Fp16File.checkpoint(), vae: None, controlnets: vec![] };
    let models = Models::load(&files, &compute.device, dtype, |_| {}).unwrap();
    for (run, sampler, strength, masked_content) in BLEND_RUNS.into_iter().filter(|(name, ..)| runs.contains(name)) {
        let inpaint = InpaintSettings { masked_content, paste_back: false, ..InpaintSettings::default() };
        let prepared =
            prepare_inpaint(&picture(&refs), &gray(&refs, "mask_u8"), &inpaint, [WIDTH, HEIGHT], Path::new("mask")).unwrap();
        assert_eq!(prepared.mask, gray(&refs, "mask_blur4_u8"), "the blurred mask is OpenCV's");
        let latent_mask = latent_blend_mask(&prepared.mask, [12, 8]).unwrap();
        assert_eq!(latent_mask, get(&refs, &format!("blend.{run}.latent_mask")).values, "A1111's latent mask");
        let init = InitImage { rgb: prepared.init, mask: Some(InpaintMask { mask: prepared.mask, overlay: None }) };
        let noise = NoiseOverride { initial: Some(get(&refs, "init_noise").values), ..NoiseOverride::default() };
        let latents = latents_of(&models, &request(settings(sampler, strength, inpaint), init, noise), &compute);
        let name = format!("blend.{run}.latents");
        assert_close(
            &name,
            &latents,
            &get(&refs, &name),
            conditioned(tolerance("pipeline_latents", row), &format!("blend.{run}")),
        );
    }
}

#[test]
fn cpu_f32_blending_matches_a1111() {
    check_blending(cpu(), DType::F32, "fp32", &["original", "latent_noise", "dpmpp"]);
}

#[test]
fn wgpu_f32_blending_matches_a1111() {
    check_blending(gpu(), DType::F32, "fp32", &["original"]);
}

#[test]
fn mask_blur_and_fill_match_opencv_and_pillow() {
    let refs = references();
    let blurred = blur_mask(&gray(&refs, "mask_u8"), 4);
    assert_eq!(blurred, gray(&refs, "mask_blur4_u8"), "cv2.GaussianBlur, A1111's two calls");
    let filled = fill_masked(&picture(&refs), &blurred);
    let expected = get(&refs, "fill_u8").values;
    let worst = filled.as_raw().iter().zip(&expected).map(|(&a, &b)| (f32::from(a) - b).abs()).fold(0.0, f32::max);
    assert!(worst <= 1.0, "fill differs from A1111's masking.fill by {worst} levels");
}

/// A1111's color correction (OpenCV's Lab, scikit-image's histogram matching, blendmodes' luminosity): Nurie
/// converts to Lab in floating point where OpenCV uses fixed-point tables, so a level or two apart.
#[test]
fn color_correction_matches_a1111() {
    let refs = references();
    let start = picture(&refs);
    let cast = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let [r, g, b] = start.get_pixel(x, y).0;
        image::Rgb([g, b, r])
    });
    let corrected = correct_colors(&cast, &start);
    let expected = get(&refs, "color_corrected_u8").values;
    let diffs: Vec<f32> = corrected.as_raw().iter().zip(&expected).map(|(&a, &b)| (f32::from(a) - b).abs()).collect();
    let mean = diffs.iter().sum::<f32>() / diffs.len() as f32;
    let within_two = diffs.iter().filter(|&&d| d <= 2.0).count() as f32 / diffs.len() as f32;
    let cast_mean =
        cast.as_raw().iter().zip(&expected).map(|(&a, &b)| (f32::from(a) - b).abs()).sum::<f32>() / diffs.len() as f32;
    let worst = diffs.iter().copied().fold(0.0, f32::max);
    println!(
        "color correction: mean |diff| {mean:.3} levels, largest {worst}, {:.1}% within 2 (the cast itself is {cast_mean:.1} away)",
        within_two * 100.0
    );
    assert!(mean < 1.0 && within_two > 0.97, "mean {mean}, within two levels {within_two}");
}

fn save_inputs(refs: &Checkpoint, dir: &Path) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    let (image, mask) = (dir.join("原画.png"), dir.join("マスク.png"));
    picture(refs).save(&image).unwrap();
    gray(refs, "mask_u8").save(&mask).unwrap();
    let bytes = |name: &str| get(refs, name).values.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>();
    let (init, masked) = (dir.join("init.safetensors"), dir.join("masked.safetensors"));
    super::support::write_f32_safetensors(&init, &[("noise".into(), vec![1, 4, 12, 8], bytes("init_noise"))]);
    super::support::write_f32_safetensors(&masked, &[("noise".into(), vec![1, 4, 12, 8], bytes("inpaint9.masked_image_noise"))]);
    (image, mask, init, masked)
}

fn common<'a>(checkpoint: &'a str, image: &'a str, mask: &'a str) -> Vec<&'a str> {
    vec![
        "generate",
        "--checkpoint",
        checkpoint,
        "--prompt",
        PROMPT,
        "--negative",
        NEGATIVE,
        "--sampler",
        "euler",
        "--steps",
        "4",
        "--cfg",
        "7",
        "--seed",
        "11",
        "--device",
        "cpu",
        "--init-image",
        image,
        "--mask",
        mask,
    ]
}

/// `nurie generate --mask … --masked-image-noise …` reproduces diffusers' inpainting run.
#[test]
fn the_command_line_reproduces_the_inpainting_pipeline() {
    let refs = references();
    let dir = temp_dir("inpaint-cli-9");
    let (image, mask, init, masked) = save_inputs(&refs, &dir);
    let checkpoint = inpainting_checkpoint().to_str().unwrap();
    let mut args = common(checkpoint, image.to_str().unwrap(), mask.to_str().unwrap());
    let out = dir.join("out");
    args.extend([
        "--width",
        "64",
        "--height",
        "96",
        "--mask-blur",
        "0",
        "--paste-back",
        "off",
        "--denoise",
        "1",
        "--save-latents",
        "--out",
        out.to_str().unwrap(),
        "--init-noise",
        init.to_str().unwrap(),
        "--masked-image-noise",
        masked.to_str().unwrap(),
    ]);
    let png = succeeded(nurie_in(&dir.join("home"), &args)).remove(0);
    let saved = Checkpoint::open(png.with_extension("safetensors")).unwrap().read_f32("latents").unwrap();
    let name = "inpaint9.latents";
    assert_close(name, &saved.values, &get(&refs, name), conditioned(tolerance("pipeline_latents", "fp32"), "inpaint9"));
    let text = nurie::metadata::read_png_text(&png, &Default::default()).unwrap();
    let parameters = &text.chunks.iter().find(|c| c.keyword == "parameters").unwrap().text;
    assert!(
        parameters.contains("Denoising strength: 1,") && parameters.contains("Mask blur: 0, Paste back: off"),
        "{parameters}"
    );
}

/// "Only masked" with an ordinary checkpoint and color correction: the picture keeps its size, nothing
/// outside the mask changes, the settings are recorded as A1111 writes them, and `--from-png` with the same mask repeats it.
#[test]
fn only_masked_inpainting_pastes_back_records_and_repeats() {
    let refs = references();
    let dir = temp_dir("inpaint-cli-masked");
    let (image, mask, _, _) = save_inputs(&refs, &dir);
    let checkpoint = Weights::Fp16File.checkpoint();
    let (home, out) = (dir.join("home"), dir.join("out"));
    let mut args = common(checkpoint.to_str().unwrap(), image.to_str().unwrap(), mask.to_str().unwrap());
    args.extend([
        "--inpaint-area",
        "masked",
        "--padding",
        "8",
        "--color-correction",
        "--width",
        "64",
        "--height",
        "64",
        "--out",
        out.to_str().unwrap(),
    ]);
    let png = succeeded(nurie_in(&home, &args)).remove(0);
    let result = image::open(&png).unwrap().to_rgb8();
    assert_eq!(result.dimensions(), (WIDTH, HEIGHT), "the whole picture comes back");
    let (original, blurred) = (picture(&refs), gray(&refs, "mask_blur4_u8"));
    let (mut kept, mut changed, mut masked) = (0, 0, 0);
    for (x, y, pixel) in result.enumerate_pixels() {
        if blurred.get_pixel(x, y).0[0] == 0 {
            assert_eq!(pixel, original.get_pixel(x, y), "({x}, {y}) is outside the mask");
            kept += 1;
        } else if blurred.get_pixel(x, y).0[0] == 255 {
            masked += 1;
            changed += usize::from(pixel != original.get_pixel(x, y));
        }
    }
    assert!(kept > 1000 && changed * 2 > masked, "kept {kept}, changed {changed} of {masked} masked");
    let text = nurie::metadata::read_png_text(&png, &Default::default()).unwrap();
    let parameters = &text.chunks.iter().find(|c| c.keyword == "parameters").unwrap().text;
    assert!(parameters.contains("Size: 64x64"), "{parameters}");
    assert!(
        parameters.contains("Mask blur: 4, Inpaint area: Only masked, Masked area padding: 8, Color correction: on"),
        "{parameters}"
    );
    let mask_sha256 = nurie::provenance::hash::file_sha256(&mask).unwrap();
    assert!(parameters.contains(&format!("Mask hash: {mask_sha256}")), "{parameters}");

    // The picture and the mask were kept with the picture's record: --from-png alone finds them.
    let again = dir.join("again");
    let repeat = [
        "generate",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--from-png",
        png.to_str().unwrap(),
        "--device",
        "cpu",
        "--out",
        again.to_str().unwrap(),
    ];
    let output = nurie_in(&home, &repeat);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let repeated = succeeded(output).remove(0);
    assert!(stderr.contains("using the picture's inpainting mask, kept as"), "{stderr}");
    assert!(stderr.contains("using the picture's img2img picture, kept as"), "{stderr}");
    assert_eq!(image::open(&repeated).unwrap().to_rgb8(), result);
}

/// A blank mask and a mask without its picture are refused, naming what to change.
#[test]
fn unusable_masks_are_refused_with_the_reason() {
    let refs = references();
    let dir = temp_dir("inpaint-cli-refused");
    let (image, _, _, _) = save_inputs(&refs, &dir);
    let blank = dir.join("blank.png");
    GrayImage::new(WIDTH, HEIGHT).save(&blank).unwrap();
    let checkpoint = Weights::Fp16File.checkpoint();
    let out = dir.join("out");
    let mut args = common(checkpoint.to_str().unwrap(), image.to_str().unwrap(), blank.to_str().unwrap());
    args.extend(["--out", out.to_str().unwrap()]);
    let output = nurie_in(&dir.join("home"), &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("blank.png") && stderr.contains("nothing to redraw"), "{stderr}");
    let without =
        ["generate", "--checkpoint", checkpoint.to_str().unwrap(), "--mask", blank.to_str().unwrap(), "--device", "cpu"];
    let output = nurie_in(&dir.join("home"), &without);
    assert!(!output.status.success());
}

/// A line-art unit guides the redrawn part: with "only masked" its line art is placed over the whole
/// picture and cut out as the picture is, and the result inside the mask changes with it while the rest
/// stays the original.
#[test]
fn line_art_guides_inside_the_mask() {
    let refs = references();
    let dir = temp_dir("inpaint-cli-lineart");
    let (image, mask, _, _) = save_inputs(&refs, &dir);
    let checkpoint = Weights::Fp16File.checkpoint();
    let controlnet = Weights::Fp16File.controlnet();
    let line_art = fixture("control/lineart_input.png");
    let run = |with_line_art: bool, out: &str| {
        let out = dir.join(out);
        let mut args = common(checkpoint.to_str().unwrap(), image.to_str().unwrap(), mask.to_str().unwrap());
        args.extend(["--inpaint-area", "masked", "--width", "64", "--height", "64", "--out", out.to_str().unwrap()]);
        if with_line_art {
            args.extend(["--controlnet", controlnet.to_str().unwrap(), "--lineart", line_art.to_str().unwrap()]);
        }
        let png = succeeded(nurie_in(&dir.join("home"), &args)).remove(0);
        image::open(png).unwrap().to_rgb8()
    };
    let (guided, free) = (run(true, "guided"), run(false, "free"));
    let blurred = gray(&refs, "mask_blur4_u8");
    let (mut inside, mut outside, mut masked) = (0, 0, 0);
    for (x, y, pixel) in guided.enumerate_pixels() {
        match blurred.get_pixel(x, y).0[0] {
            0 => outside += usize::from(pixel != free.get_pixel(x, y)),
            255 => {
                masked += 1;
                inside += usize::from(pixel != free.get_pixel(x, y));
            }
            _ => {}
        }
    }
    assert_eq!(outside, 0, "outside the mask both are the original");
    assert!(inside * 2 > masked, "the line art changed only {inside} of the {masked} pixels inside the mask");
}

/// An inpainting checkpoint makes a txt2img picture (everything masked, as A1111 conditions it) and
/// refuses hires fix, which would run its UNet without the mask.
#[test]
fn an_inpainting_checkpoint_draws_txt2img_and_refuses_hires_fix() {
    let dir = temp_dir("inpaint-cli-txt2img");
    let checkpoint = inpainting_checkpoint().to_str().unwrap();
    let out = dir.join("out");
    let args = [
        "generate",
        "--checkpoint",
        checkpoint,
        "--prompt",
        PROMPT,
        "--steps",
        "2",
        "--width",
        "64",
        "--height",
        "64",
        "--device",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ];
    let png = succeeded(nurie_in(&dir.join("home"), &args)).remove(0);
    assert_eq!(image::open(png).unwrap().to_rgb8().dimensions(), (64, 64));
    let output = nurie_in(&dir.join("home"), &[&args[..], &["--hires-scale", "1.5"]].concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("inpainting checkpoint"), "{stderr}");
}
