//! `nurie upscale PICTURE --scale S [--upscaler NAME] [--tile PX]`: a picture made bigger as A1111's
//! "Extras" tab does, or with `--checkpoint` as its "SD upscale" script does (enlarged, then redrawn tile by
//! tile, the line art guiding every tile: print sizes in the memory of one tile), written next to it
//! (never over it) with its metadata kept and the upscale added.

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
    /// The side of the tiles the slow part runs on: the upscaler network's (192; 0: the whole picture at
    /// once), or with --checkpoint the redrawn tiles' (512).
    #[arg(long)]
    pub tile: Option<u32>,
    /// How far neighbouring tiles overlap, blended across (8 for a network, 64 for redrawn tiles).
    #[arg(long)]
    pub tile_overlap: Option<u32>,
    #[command(flatten)]
    pub redraw: RedrawArgs,
    /// More folders of upscaler files, looked in first.
    #[arg(long = "upscaler-dir")]
    pub upscaler_dir: Vec<PathBuf>,
    /// Where to write the PNG (default: next to the picture, `NAME-x2.png`, never replacing a file).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub device: DeviceArgs,
}

/// A1111's "SD upscale": the enlarged picture redrawn tile by tile with a checkpoint.
#[derive(Debug, clap::Args)]
pub struct RedrawArgs {
    /// Redraw the enlarged picture tile by tile with this checkpoint (A1111's "SD upscale"). The prompt,
    /// sampler, steps, CFG, seed and clip skip come from the picture's metadata unless given here.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// A separate VAE for the redraw.
    #[arg(long, requires = "checkpoint")]
    pub vae: Option<PathBuf>,
    /// A line-art ControlNet guiding every tile with --lineart.
    #[arg(long, requires_all = ["checkpoint", "lineart"])]
    pub controlnet: Option<PathBuf>,
    /// The line art (placed over the whole picture; each tile gets its part).
    #[arg(long, requires = "controlnet")]
    pub lineart: Option<PathBuf>,
    #[arg(long, requires = "controlnet")]
    pub control_weight: Option<f64>,
    #[arg(long, requires = "checkpoint")]
    pub prompt: Option<String>,
    #[arg(long, requires = "checkpoint")]
    pub negative: Option<String>,
    #[arg(long, requires = "checkpoint")]
    pub steps: Option<u32>,
    #[arg(long, requires = "checkpoint")]
    pub sampler: Option<crate::vocabulary::SamplerKind>,
    #[arg(long, requires = "checkpoint")]
    pub cfg: Option<f64>,
    /// The first tile's seed (tile i: seed + i); default: the picture's.
    #[arg(long, requires = "checkpoint")]
    pub seed: Option<u64>,
    /// How much each tile is redrawn (0–1).
    #[arg(long, requires = "checkpoint", default_value_t = 0.3)]
    pub denoise: f64,
}

pub fn run(args: UpscaleArgs) -> anyhow::Result<()> {
    let picture = load_rgb8(&args.picture).with_context(|| format!("reading {}", args.picture.display()))?;
    let choice = find_upscaler(&args.upscaler, &upscaler_folders(&args.upscaler_dir))?;
    let upscaler = load(choice, &args)?;
    let mut upscaled = upscaler.upscale(&picture, args.scale, &mut report_tiles)?;
    let mut postprocessing = format!("Postprocess upscale by: {}, Postprocess upscaler: {}", args.scale, upscaler.name());
    if let Some(checkpoint) = &args.redraw.checkpoint {
        let (redrawn, said) = super::sd_upscale::redraw(&args, checkpoint, &upscaled, upscaler.name())?;
        upscaled = redrawn;
        postprocessing.push_str(&said);
    }
    let out = args.out.clone().unwrap_or_else(|| free_name_beside(&args.picture, args.scale));
    let kept = kept_texts(&args.picture);
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
        // With --checkpoint the tile flags are the redrawn tiles'; the network keeps A1111's.
        if args.redraw.checkpoint.is_none() {
            let default = Tiling::default();
            network.tiling =
                Tiling { tile: args.tile.unwrap_or(default.tile), overlap: args.tile_overlap.unwrap_or(default.overlap) };
        }
        errln!("{}x network, tiles of {} px", network.scale(), network.tiling.tile);
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
