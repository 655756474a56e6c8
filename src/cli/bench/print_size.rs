//! `nurie bench print-size`: a page colored at 512×720, then enlarged to B5 at 600 dpi (8.4×: 4296×6048)
//! and redrawn tile by tile as `nurie upscale --checkpoint` does (A1111's SD upscale), the line art guiding
//! every tile. Reports the time per tile and in total, and the peak memory: the process's, and burn's GPU
//! pool on a GPU — the figure that must stay that of one tile whatever the page size.

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::Device;

use super::memory::{gigabytes, gpu_pool_peak_bytes, peak_rss_bytes};
use crate::cli::DeviceArgs;
use crate::control::{LineArtSettings, load_rgb8, prepare_line_art};
use crate::generate::{
    ControlUnit, Flow, ModelFiles, Models, Observer, Request, StepProgress, TileLineArt, TiledUpscale, generate,
};
use crate::metadata::{ControlGuidance, GenerationSettings};
use crate::upscale::Upscaler;
use crate::vocabulary::SamplerKind;

#[derive(Debug, clap::Args)]
pub struct PrintSizeBenchArgs {
    #[arg(long)]
    checkpoint: PathBuf,
    /// A line-art ControlNet guiding both the page and every tile (with --lineart).
    #[arg(long, requires = "lineart")]
    controlnet: Option<PathBuf>,
    #[arg(long, requires = "controlnet")]
    lineart: Option<PathBuf>,
    /// How many times the 512×720 page is enlarged (8.4: B5 at 600 dpi).
    #[arg(long, default_value_t = 8.4)]
    scale: f64,
    /// The redrawn tiles' side and overlap.
    #[arg(long, default_value_t = 768)]
    tile: u32,
    #[arg(long, default_value_t = 64)]
    overlap: u32,
    /// Steps of the page and of each tile (each tile runs ⌊steps × denoise⌋ of them).
    #[arg(long, default_value_t = 4)]
    steps: u32,
    #[arg(long, default_value_t = 0.5)]
    denoise: f64,
    /// Write the page and the print-size result here.
    #[arg(long)]
    save: Option<PathBuf>,
    #[command(flatten)]
    device: DeviceArgs,
}

pub fn run(args: PrintSizeBenchArgs) -> anyhow::Result<()> {
    let compute = crate::runtime::device::open(args.device.device)?;
    let dtype = args.device.dtype.dtype_on(&compute)?;
    let files =
        ModelFiles { checkpoint: args.checkpoint.clone(), vae: None, controlnets: args.controlnet.iter().cloned().collect() };
    let models = Models::load(&files, &compute.device, dtype, |_| {})?;
    let art = args.lineart.as_deref().map(load_rgb8).transpose()?;
    let settings = GenerationSettings {
        prompt: "1girl, flat color, manga page".into(),
        steps: args.steps,
        sampler: SamplerKind::Euler.into(),
        seed: 1,
        width: 512,
        height: 720,
        ..GenerationSettings::default()
    };
    let started = Instant::now();
    let page = first_page(&models, &compute.device, &settings, art.as_ref())?;
    let page_time = started.elapsed();
    let enlarged = Upscaler::Lanczos.upscale(&page, args.scale, &mut |_| true)?;
    let units = art
        .into_iter()
        .map(|art| TileLineArt { controlnet: 0, art, settings: LineArtSettings::default(), guidance: ControlGuidance::default() })
        .collect();
    let tiles = GenerationSettings { width: args.tile, height: args.tile, denoising_strength: Some(args.denoise), ..settings };
    let job = TiledUpscale { settings: tiles, overlap: args.overlap, units, embeddings: None };
    let count = job.grid(&enlarged)?.len();
    let started = Instant::now();
    let result =
        job.run(&models, &compute.device, &enlarged, &mut |_| Flow::Continue)?.ok_or_else(|| anyhow::anyhow!("cancelled"))?;
    let redraw_time = started.elapsed();
    if let Some(folder) = &args.save {
        std::fs::create_dir_all(folder)?;
        page.save(folder.join("page.png"))?;
        result.save(folder.join("print-size.png"))?;
    }
    report(&args, &compute.device, (page.dimensions(), result.dimensions()), count, page_time, redraw_time);
    Ok(())
}

/// The 512×720 page the print-size picture is made from.
fn first_page(
    models: &Models,
    device: &Device,
    settings: &GenerationSettings,
    art: Option<&image::RgbImage>,
) -> anyhow::Result<image::RgbImage> {
    let control = match art {
        Some(art) => {
            let hint = prepare_line_art(art, LineArtSettings::default(), settings.width, settings.height)?.hint;
            vec![ControlUnit { controlnet: 0, hint, guidance: ControlGuidance::default() }]
        }
        None => vec![],
    };
    let request = Request {
        settings: settings.clone(),
        control,
        reference: vec![],
        init_image: None,
        noise: Default::default(),
        embeddings: None,
        color_guide: None,
        hires: None,
    };
    let mut kept = Kept(None);
    generate(models, &request, device, &mut kept)?;
    kept.0.ok_or_else(|| anyhow::anyhow!("no picture came out"))
}

struct Kept(Option<image::RgbImage>);

impl Observer for Kept {
    fn step(&mut self, _: &StepProgress) -> Flow {
        Flow::Continue
    }

    fn image(&mut self, image: crate::generate::FinishedImage) -> Result<(), String> {
        self.0 = Some(image.image);
        Ok(())
    }
}

fn report(
    args: &PrintSizeBenchArgs,
    device: &Device,
    (page, result): ((u32, u32), (u32, u32)),
    tiles: usize,
    page_time: std::time::Duration,
    redraw_time: std::time::Duration,
) {
    outln!("page {}×{}: {:.1} s", page.0, page.1, page_time.as_secs_f64());
    outln!(
        "print size {}×{} ({}x): {tiles} tiles of {}² overlapping by {}, {:.1} s ({:.2} s per tile)",
        result.0,
        result.1,
        args.scale,
        args.tile,
        args.overlap,
        redraw_time.as_secs_f64(),
        redraw_time.as_secs_f64() / tiles.max(1) as f64
    );
    match peak_rss_bytes() {
        Some(bytes) => outln!("peak resident memory: {:.2} GB", gigabytes(bytes)),
        None => outln!("peak resident memory: not available on this system"),
    }
    if let Some(bytes) = gpu_pool_peak_bytes(device) {
        outln!("GPU pool peak: {:.2} GB", gigabytes(bytes));
    }
}
