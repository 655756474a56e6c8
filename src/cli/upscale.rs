//! `nurie upscale PICTURE --scale S [--upscaler NAME] [--tile PX]`: a picture made bigger as A1111's
//! "Extras" tab does, written next to it (never over it) with its metadata kept and the upscale added.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::DeviceArgs;
use crate::control::load_rgb8;
use crate::metadata::{
    ReadLimits, RgbImage as PngPixels, TextChunk, TextChunkKind, TextEncoding, TextEntry, encode_png, read_png_text,
};
use crate::runtime::device;
use crate::upscale::{Tiling, UpscaleProgress, Upscaler, UpscalerChoice, find_upscaler, upscaler_folders};

/// The text chunk A1111's Extras tab writes what it did into.
const POSTPROCESSING_KEYWORD: &str = "postprocessing";

#[derive(Debug, clap::Args)]
pub struct UpscaleArgs {
    /// The picture to make bigger (PNG, JPEG, WebP or BMP).
    pub picture: PathBuf,
    /// How many times bigger (each side then rounded down to a multiple of 8, as A1111 does).
    #[arg(long)]
    pub scale: f64,
    /// `Lanczos`, `Nearest`, an ESRGAN-family model file (`.pth`/`.safetensors`), or the name of one in
    /// `--upscaler-dir` or in A1111's `models/ESRGAN`/`models/RealESRGAN` or ComfyUI's
    /// `models/upscale_models` (e.g. `4x-AnimeSharp`, `R-ESRGAN 4x+ Anime6B`).
    #[arg(long, default_value = "Lanczos")]
    pub upscaler: String,
    /// A network runs on tiles of this many pixels (0: the whole picture at once; more memory).
    #[arg(long, default_value_t = Tiling::default().tile)]
    pub tile: u32,
    /// How far neighbouring tiles overlap, blended across.
    #[arg(long, default_value_t = Tiling::default().overlap)]
    pub tile_overlap: u32,
    /// More folders of upscaler files, looked in first.
    #[arg(long = "upscaler-dir")]
    pub upscaler_dir: Vec<PathBuf>,
    /// Where to write the PNG (default: next to the picture, `NAME-x2.png`, never replacing a file).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub device: DeviceArgs,
}

pub fn run(args: UpscaleArgs) -> anyhow::Result<()> {
    let picture = load_rgb8(&args.picture).with_context(|| format!("reading {}", args.picture.display()))?;
    let choice = find_upscaler(&args.upscaler, &upscaler_folders(&args.upscaler_dir))?;
    let upscaler = load(choice, &args)?;
    let upscaled = upscaler.upscale(&picture, args.scale, &mut report_tiles)?;
    let out = args.out.clone().unwrap_or_else(|| free_name_beside(&args.picture, args.scale));
    let kept = kept_texts(&args.picture);
    let postprocessing = format!("Postprocess upscale by: {}, Postprocess upscaler: {}", args.scale, upscaler.name());
    let mut texts: Vec<TextEntry> = kept
        .iter()
        .filter(|chunk| chunk.keyword != POSTPROCESSING_KEYWORD)
        .map(|chunk| TextEntry { keyword: &chunk.keyword, text: &chunk.text, encoding: same_encoding(chunk.kind) })
        .collect();
    texts.push(TextEntry { keyword: POSTPROCESSING_KEYWORD, text: &postprocessing, encoding: TextEncoding::LatinWhenPossible });
    let pixels = PngPixels { width: upscaled.width(), height: upscaled.height(), pixels: upscaled.as_raw() };
    let bytes = encode_png(&out, pixels, &texts)?;
    crate::atomic_write::write_new_file_atomically(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    errln!("{}×{} → {}×{} with {}", picture.width(), picture.height(), upscaled.width(), upscaled.height(), upscaler.name());
    outln!("{}", out.display());
    Ok(())
}

/// The upscaler, its network (if any) loaded on the device the flags choose.
fn load(choice: UpscalerChoice, args: &UpscaleArgs) -> anyhow::Result<Upscaler> {
    let UpscalerChoice::File(file) = &choice else {
        return Ok(Upscaler::load(choice, &burn::tensor::Device::flex(), burn::tensor::DType::F32)?);
    };
    let compute = device::open(args.device.device)?;
    let dtype = args.device.dtype.dtype_on(&compute)?;
    errln!("device: {}; upscaler {}", compute.description, file.path.display());
    let mut upscaler = Upscaler::load(choice, &compute.device, dtype)?;
    if let Upscaler::Network(network) = &mut upscaler {
        network.tiling = Tiling { tile: args.tile, overlap: args.tile_overlap };
        errln!("{}x network, tiles of {} px", network.scale(), args.tile);
    }
    Ok(upscaler)
}

/// A tile counter on one terminal line, ended when the last tile is done; never cancels.
fn report_tiles(progress: UpscaleProgress) -> bool {
    let end = if progress.done == progress.total { "\n" } else { "" };
    eprint!("\rtile {}/{}{end}", progress.done, progress.total);
    let _ = std::io::stderr().flush();
    true
}

/// The source's text chunks (A1111's `parameters`, Nurie's record…), kept on the bigger picture.
fn kept_texts(picture: &Path) -> Vec<TextChunk> {
    let is_png = picture.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("png"));
    let text = is_png.then(|| read_png_text(picture, &ReadLimits::default()).ok()).flatten();
    text.map(|text| text.chunks).unwrap_or_default()
}

/// A chunk written back as it was: UTF-8 (`iTXt`) stays UTF-8.
fn same_encoding(kind: TextChunkKind) -> TextEncoding {
    match kind {
        TextChunkKind::InternationalText => TextEncoding::Utf8,
        TextChunkKind::Text | TextChunkKind::CompressedText => TextEncoding::LatinWhenPossible,
    }
}

/// `NAME-x2.png` beside the picture, or `NAME-x2-2.png`, … when that exists.
fn free_name_beside(picture: &Path, scale: f64) -> PathBuf {
    let stem = picture.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_else(|| "picture".into());
    let folder = picture.parent().unwrap_or(Path::new("."));
    let base = format!("{stem}-x{scale}");
    (1..)
        .map(|n| if n == 1 { folder.join(format!("{base}.png")) } else { folder.join(format!("{base}-{n}.png")) })
        .find(|path| !path.exists())
        .unwrap_or_else(|| folder.join(format!("{base}.png")))
}
