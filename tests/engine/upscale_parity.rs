//! ESRGAN-family upscalers against PyTorch (random-weight RRDBNets in both key layouts, made by
//! `tests/fixtures/upscale/make_upscaler_refs.py`), A1111's picture-level upscale with and without tiles, and
//! Pillow's Lanczos and nearest resizes.

use burn::tensor::{DType, Tensor, TensorData};
use nurie::checkpoint::{Checkpoint, F32Tensor};
use nurie::runtime::ComputeDevice;
use nurie::upscale::{KeyLayout, NetworkUpscaler, Resample, RrdbNet, Tiling, UpscaleError, Upscaler, resize};

use super::support::{assert_close, cpu, fixture, gpu, tolerance};

/// Each fixture network: file, layout, scale, pixel-unshuffle side.
const NETWORKS: [(&str, KeyLayout, usize, usize); 3] = [
    ("esrgan-x4.pth", KeyLayout::Esrgan, 4, 1),
    ("esrgan-x2.safetensors", KeyLayout::Esrgan, 2, 1),
    ("realesrgan-x2.pth", KeyLayout::RealEsrgan, 2, 2),
];

fn refs() -> Checkpoint {
    Checkpoint::open(fixture("upscale/upscaler_refs.safetensors")).unwrap()
}

fn read(refs: &Checkpoint, name: &str) -> F32Tensor {
    refs.read_f32(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn name_of(file: &str) -> &str {
    file.split('.').next().unwrap()
}

fn picture(refs: &Checkpoint, name: &str) -> image::RgbImage {
    let tensor = read(refs, name);
    let (height, width) = (tensor.shape[0] as u32, tensor.shape[1] as u32);
    image::RgbImage::from_raw(width, height, tensor.values.iter().map(|&v| v as u8).collect()).unwrap()
}

/// Largest per-channel difference between two pictures of the same size.
fn largest_difference(a: &image::RgbImage, b: &image::RgbImage) -> u8 {
    assert_eq!(a.dimensions(), b.dimensions());
    a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| x.abs_diff(*y)).max().unwrap_or(0)
}

fn check_networks(compute: ComputeDevice, dtype: DType, row: &str, files: &[(&str, KeyLayout, usize, usize)]) {
    let refs = refs();
    for &(file, layout, scale, unshuffle) in files {
        let network =
            RrdbNet::load(&Checkpoint::open(fixture(&format!("upscale/{file}"))).unwrap(), &compute.device, dtype).unwrap();
        let architecture = network.architecture();
        assert_eq!((architecture.layout, network.scale(), architecture.unshuffle), (layout, scale, unshuffle), "{file}");
        assert_eq!((architecture.features, architecture.growth, architecture.blocks), (8, 4, 2), "{file}");
        let input = read(&refs, &format!("{}.input", name_of(file)));
        let x = Tensor::<4>::from_data(TensorData::new(input.values, input.shape), (&compute.device, dtype));
        let output = network.forward(x).try_into_vec_as::<f32>().unwrap();
        let name = format!("{}.output", name_of(file));
        assert_close(&name, &output, &read(&refs, &name), tolerance("vae", row));
    }
}

#[test]
fn cpu_f32_networks_match_pytorch() {
    check_networks(cpu(), DType::F32, "fp32", &NETWORKS);
}

#[test]
fn cpu_f16_networks_match_pytorch() {
    check_networks(cpu(), DType::F16, "fp16", &NETWORKS[..1]);
}

#[test]
fn wgpu_f32_networks_match_pytorch() {
    check_networks(gpu(), DType::F32, "fp32", &NETWORKS[2..]);
}

#[test]
fn wgpu_f16_networks_match_pytorch() {
    check_networks(gpu(), DType::F16, "fp16", &NETWORKS[..1]);
}

/// A1111's picture-level upscale (BGR in, clamp, ×255, truncate): whole, and in 8-pixel tiles overlapping by 2
/// blended as its `combine_grid` does. Truncation can move a value that lands on an integer by one.
#[test]
fn pictures_match_a1111_whole_and_in_tiles() {
    let refs = refs();
    let input = picture(&refs, "input_u8");
    let compute = cpu();
    for (file, ..) in NETWORKS {
        let mut upscaler = NetworkUpscaler::load(&fixture(&format!("upscale/{file}")), &compute.device, DType::F32).unwrap();
        upscaler.tiling = Tiling { tile: 0, overlap: 0 };
        let whole = upscaler.pass(&input, &mut |_| true).unwrap();
        let difference = largest_difference(&whole, &picture(&refs, &format!("{}.a1111_u8", name_of(file))));
        assert!(difference <= 1, "{file}: {difference}");
    }
    let mut upscaler = NetworkUpscaler::load(&fixture("upscale/esrgan-x4.pth"), &compute.device, DType::F32).unwrap();
    upscaler.tiling = Tiling { tile: 8, overlap: 2 };
    let mut reports = Vec::new();
    let tiled = Upscaler::Network(Box::new(upscaler))
        .upscale(&input, 4.0, &mut |progress| {
            reports.push(progress.done);
            true
        })
        .unwrap();
    assert_eq!(reports, [0, 1, 2, 3, 4], "four tiles, reported before each and at the end");
    let difference = largest_difference(&tiled, &picture(&refs, "esrgan-x4.tiled_u8"));
    assert!(difference <= 1, "tiled: {difference}");
}

#[test]
fn cancelling_stops_between_tiles() {
    let compute = cpu();
    let mut upscaler = NetworkUpscaler::load(&fixture("upscale/esrgan-x4.pth"), &compute.device, DType::F32).unwrap();
    upscaler.tiling = Tiling { tile: 8, overlap: 2 };
    let input = picture(&refs(), "input_u8");
    let result = upscaler.pass(&input, &mut |progress| progress.done < 2);
    assert!(matches!(result, Err(UpscaleError::Cancelled)));
}

#[test]
fn resizes_match_pillow() {
    let refs = refs();
    let input = picture(&refs, "input_u8");
    let cases = [
        ("lanczos_up_u8", Resample::Lanczos, 29, 23),
        ("lanczos_down_u8", Resample::Lanczos, 7, 5),
        ("nearest_up_u8", Resample::Nearest, 29, 23),
    ];
    for (name, resample, width, height) in cases {
        let resized = resize(&input, width, height, resample).unwrap();
        let difference = largest_difference(&resized, &picture(&refs, name));
        assert!(difference <= 1, "{name}: {difference}");
        println!("{name}: largest difference {difference}");
    }
}

#[test]
fn files_that_are_not_upscalers_say_what_they_are() {
    let compute = cpu();
    let load =
        |path: &std::path::Path| NetworkUpscaler::load(path, &compute.device, DType::F32).map(|_| ()).unwrap_err().to_string();
    let checkpoint = fixture("parity/sd15-dev-fp16.safetensors");
    let message = load(&checkpoint);
    assert!(message.contains("Stable Diffusion checkpoint") && message.contains("sd15-dev-fp16"), "{message}");
    let dir = super::support::temp_dir("upscaler-truncated");
    let truncated = dir.join("4x-Broken.pth");
    let bytes = std::fs::read(fixture("upscale/esrgan-x4.pth")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let message = load(&truncated);
    assert!(message.contains("4x-Broken.pth"), "{message}");
}

/// `nurie upscale` finds the network by name in `--upscaler-dir`, tiles as told, writes beside the picture
/// without replacing anything, keeps the picture's metadata and adds A1111's postprocessing text.
#[test]
fn the_command_line_upscales_beside_the_picture_keeping_its_metadata() {
    use nurie::metadata::{ReadLimits, RgbImage as PngPixels, TextEncoding, TextEntry, read_png_text, write_png_atomic};
    let refs = refs();
    let input = picture(&refs, "input_u8");
    let dir = super::support::temp_dir("upscale-cli");
    let source = dir.join("ページ1.png");
    let parameters = "girl, 青い髪\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 12x10";
    let texts = [TextEntry { keyword: "parameters", text: parameters, encoding: TextEncoding::LatinWhenPossible }];
    write_png_atomic(&source, PngPixels { width: input.width(), height: input.height(), pixels: input.as_raw() }, &texts)
        .unwrap();
    let folder = fixture("upscale");
    let args = [
        "upscale",
        source.to_str().unwrap(),
        "--scale",
        "4",
        "--upscaler",
        "ESRGAN-X4",
        "--upscaler-dir",
        folder.to_str().unwrap(),
        "--tile",
        "8",
        "--tile-overlap",
        "2",
        "--device",
        "cpu",
    ];
    let written = super::support::succeeded(super::support::nurie_in(&dir, &args));
    assert_eq!(written, [dir.join("ページ1-x4.png")]);
    let upscaled = image::open(&written[0]).unwrap().to_rgb8();
    assert!(largest_difference(&upscaled, &picture(&refs, "esrgan-x4.tiled_u8")) <= 1);
    let text = read_png_text(&written[0], &ReadLimits::default()).unwrap();
    assert_eq!(text.get("parameters"), Some(parameters));
    assert_eq!(text.get("postprocessing"), Some("Postprocess upscale by: 4, Postprocess upscaler: esrgan-x4"));
    let again = super::support::succeeded(super::support::nurie_in(&dir, &args));
    assert_eq!(again, [dir.join("ページ1-x4-2.png")], "the first result is kept");
    let unknown = super::support::nurie_in(
        &dir,
        &[
            "upscale",
            source.to_str().unwrap(),
            "--scale",
            "2",
            "--upscaler",
            "4x-Missing",
            "--upscaler-dir",
            folder.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(!unknown.status.success() && stderr.contains("4x-Missing") && stderr.contains("realesrgan-x2"), "{stderr}");
}

/// A1111's latent upscalers against `torch.nn.functional.interpolate` (5×7 to 12×17 latents).
#[test]
fn latent_upscalers_match_torch_interpolate() {
    use nurie::upscale::LatentUpscale;
    let refs = refs();
    let input = read(&refs, "latent.input");
    let modes = [
        ("bilinear", LatentUpscale::Bilinear),
        ("bilinear_aa", LatentUpscale::BilinearAntialiased),
        ("bicubic", LatentUpscale::Bicubic),
        ("bicubic_aa", LatentUpscale::BicubicAntialiased),
        ("nearest", LatentUpscale::Nearest),
        ("nearest_exact", LatentUpscale::NearestExact),
    ];
    for (name, mode) in modes {
        let resized = mode.resize(&input.values, 4, [5, 7], [12, 17]);
        let name = format!("latent.{name}");
        assert_close(&name, &resized, &read(&refs, &name), tolerance("vae", "fp32"));
    }
}

/// `nurie upscale --checkpoint …` (A1111's SD upscale): the enlarged picture redrawn in 64-pixel tiles
/// overlapping by 16. The top-left tile's own part (before the next tiles start) is exactly an img2img of that part of
/// the enlarged picture from the picture's seed; with a line art guiding every tile, the same command gives
/// the same pixels again, and the picture records what was done.
#[test]
fn the_command_line_redraws_the_enlarged_picture_tile_by_tile() {
    let dir = super::support::temp_dir("sd-upscale");
    let checkpoint = fixture("parity/sd15-dev-fp16.safetensors");
    let controlnet = fixture("parity/controlnet-lineart-dev-fp16.safetensors");
    let lineart = fixture("control/controlnet_hint_image_u8.png");
    let run = |args: &[&str]| super::support::succeeded(super::support::nurie_in(&dir, args));
    let base = ["--checkpoint", checkpoint.to_str().unwrap(), "--device", "cpu"];
    let first = dir.join("first");
    let made =
        ["generate", "--prompt", "1girl", "--steps", "2", "--width", "64", "--height", "96", "--seed", "9", "--no-history"];
    let picture = run(&[&made[..], &base, &["--out", first.to_str().unwrap()]].concat()).remove(0);
    let redraw = ["--steps", "5", "--denoise", "0.4", "--tile", "64", "--tile-overlap", "16"];
    let upscale = ["upscale", picture.to_str().unwrap(), "--scale", "2", "--upscaler", "Lanczos"];
    let plain = run(&[&upscale[..], &base, &redraw, &["--out", dir.join("plain.png").to_str().unwrap()]].concat()).remove(0);
    let redrawn = pixels_of(&plain);
    assert_eq!(redrawn.dimensions(), (128, 192));

    // Tile 0 alone: the Lanczos enlargement's top-left 64×64, as img2img with the same settings and seed.
    let enlarged = Upscaler::Lanczos.upscale(&pixels_of(&picture), 2.0, &mut |_| true).unwrap();
    let corner = dir.join("corner.png");
    image::imageops::crop_imm(&enlarged, 0, 0, 64, 64).to_image().save(&corner).unwrap();
    let alone = dir.join("alone");
    let img2img =
        ["generate", "--from-png", picture.to_str().unwrap(), "--init-image", corner.to_str().unwrap(), "--strength", "0.4"];
    let size = ["--steps", "5", "--width", "64", "--height", "64", "--no-history", "--out", alone.to_str().unwrap()];
    let tile = pixels_of(&run(&[&img2img[..], &base, &size].concat())[0]);
    // A1111 spreads the tiles evenly: columns at 0, 32, 64 and rows at 0, 42, 85, 128, so tile 0 alone
    // makes the top-left 32×42 pixels.
    let own = |picture: &image::RgbImage| image::imageops::crop_imm(picture, 0, 0, 32, 42).to_image();
    let difference = largest_difference(&own(&redrawn), &own(&tile));
    assert_eq!(difference, 0, "tile 0 is an img2img of its part from the first seed");
    assert!(largest_difference(&redrawn, &enlarged) > 8, "the tiles were redrawn");

    let guided = ["--controlnet", controlnet.to_str().unwrap(), "--lineart", lineart.to_str().unwrap()];
    let once =
        run(&[&upscale[..], &base, &redraw, &guided, &["--out", dir.join("once.png").to_str().unwrap()]].concat()).remove(0);
    let twice =
        run(&[&upscale[..], &base, &redraw, &guided, &["--out", dir.join("twice.png").to_str().unwrap()]].concat()).remove(0);
    assert_eq!(largest_difference(&pixels_of(&once), &pixels_of(&twice)), 0, "the same command, the same pixels");
    assert!(largest_difference(&pixels_of(&once), &redrawn) > 0, "the line art guided the tiles");
    let text = nurie::metadata::read_png_text(&once, &nurie::metadata::ReadLimits::default()).unwrap();
    let said = text.get("postprocessing").unwrap();
    assert!(said.contains("SD upscale overlap: 16, SD upscale upscaler: Lanczos, Denoising strength: 0.4"), "{said}");
    assert!(text.get("parameters").is_some_and(|p| p.contains("Seed: 9")), "the picture's own metadata is kept");
}

fn pixels_of(path: &std::path::Path) -> image::RgbImage {
    image::open(path).unwrap().to_rgb8()
}
