//! `nurie upscale … --checkpoint FILE`: the enlarged picture redrawn tile by tile (A1111's "SD upscale"),
//! with the picture's own settings unless flags say otherwise.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use image::RgbImage;

use super::upscale::UpscaleArgs;
use crate::control::{LineArtSettings, load_rgb8};
use crate::generate::{
    Flow, ModelFiles, Models, TileLineArt, TileProgress, TiledUpscale, nearest_multiple_of_8, validate_settings,
};
use crate::metadata::{ControlGuidance, GenerationSettings, read_settings_from_png};
use crate::runtime::device;

/// A1111's SD upscale defaults: tiles of the generation size (512), overlapping by 64.
const TILE: u32 = 512;
const OVERLAP: u32 = 64;

/// `picture` (already enlarged) redrawn tile by tile; with the words the picture's metadata gets.
pub(super) fn redraw(
    args: &UpscaleArgs,
    checkpoint: &Path,
    picture: &RgbImage,
    upscaler: &str,
) -> anyhow::Result<(RgbImage, String)> {
    let settings = tile_settings(args)?;
    let overlap = args.tile_overlap.unwrap_or(OVERLAP);
    let compute = device::open(args.device.device)?;
    let dtype = args.device.dtype.dtype_on(&compute)?;
    let redraw = &args.redraw;
    let files = ModelFiles {
        checkpoint: checkpoint.to_path_buf(),
        vae: redraw.vae.clone(),
        controlnets: redraw.controlnet.iter().cloned().collect(),
    };
    let models = Models::load(&files, &compute.device, dtype, |part| errln!("loading the {part}…"))?;
    let units = match &redraw.lineart {
        Some(path) => {
            let art = load_rgb8(path).with_context(|| format!("reading the line art {}", path.display()))?;
            let guidance = ControlGuidance { weight: redraw.control_weight.unwrap_or(1.0), ..ControlGuidance::default() };
            vec![TileLineArt { controlnet: 0, art, settings: LineArtSettings::default(), guidance }]
        }
        None => vec![],
    };
    let said = format!(
        ", SD upscale overlap: {overlap}, SD upscale upscaler: {upscaler}, Denoising strength: {}, Steps: {}, Sampler: {}, CFG scale: {}, Seed: {}, Size: {}x{}, Model: {}",
        redraw.denoise,
        settings.steps,
        settings.sampler.label(),
        settings.cfg_scale,
        settings.seed,
        settings.width,
        settings.height,
        checkpoint.file_stem().map(|stem| stem.to_string_lossy()).unwrap_or_default(),
    );
    let job = TiledUpscale { settings, overlap, units, embeddings: None };
    let grid = job.grid(picture)?;
    errln!("redrawing {} tiles of {}×{} overlapping by {}", grid.len(), grid.tile_width, grid.tile_height, grid.overlap);
    let redrawn = job.run(&models, &compute.device, picture, &mut report)?.context("the redraw was cancelled")?;
    Ok((redrawn, said))
}

/// The settings every tile is drawn with: the picture's (as `--from-png` reads them), the flags over them,
/// the tile's size and the redraw's strength.
fn tile_settings(args: &UpscaleArgs) -> anyhow::Result<GenerationSettings> {
    let redraw = &args.redraw;
    let mut settings = read_settings_from_png(&args.picture).map(|parsed| parsed.record.settings).unwrap_or_default();
    if let Some(prompt) = &redraw.prompt {
        settings.prompt = prompt.clone();
    }
    if let Some(negative) = &redraw.negative {
        settings.negative_prompt = negative.clone();
    }
    settings.steps = redraw.steps.unwrap_or(settings.steps);
    if let Some(sampler) = redraw.sampler {
        settings.sampler = sampler.into();
    }
    settings.cfg_scale = redraw.cfg.unwrap_or(settings.cfg_scale);
    settings.seed = redraw.seed.unwrap_or(settings.seed);
    let tile = nearest_multiple_of_8(args.tile.unwrap_or(TILE));
    (settings.width, settings.height, settings.batch_size) = (tile, tile, 1);
    (settings.denoising_strength, settings.hint_strength, settings.hires) = (Some(redraw.denoise), None, None);
    if settings.prompt.contains("<lora:") {
        errln!("warning: the prompt's LoRAs are not applied when upscaling; the tiles are redrawn without them");
    }
    validate_settings(&settings)?;
    // Before the models load: a strength too low for the steps leaves nothing to run.
    crate::sampling::start_step(settings.steps as usize, redraw.denoise)?;
    Ok(settings)
}

/// A tile and step counter on one terminal line; never cancels.
fn report(progress: TileProgress) -> Flow {
    eprint!("\rtile {}/{}, step {}/{}   ", progress.tile + 1, progress.tiles, progress.step, progress.steps);
    if progress.tile + 1 == progress.tiles && progress.step == progress.steps {
        eprintln!();
    }
    let _ = std::io::stderr().flush();
    Flow::Continue
}
