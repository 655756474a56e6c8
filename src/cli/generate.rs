//! `nurie generate`: color line art (or generate from a prompt) from the command line, writing PNGs with
//! A1111 and Nurie metadata.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::DeviceArgs;
use super::tensor_file::{NamedTensor, read_f32_tensor, write_f32_tensors};
use crate::control::{LineArtSettings, Polarity, Preprocessor, ResizeMode, load_rgb8, prepare_line_art};
use crate::generate::{
    self, ControlMode, ControlUnit, FinishedImage, Flow, InitImage, ModelFiles, Models, NoiseOverride, Observer, Provenance,
    Request, StepProgress, nearest_multiple_of_8, preprocessor_from_id,
};
use crate::history::{MadeFrom, Recorder};
use crate::metadata::{self, GenerationRecord, ModelRef, read_settings_from_png, settings_from_nurie_json};
use crate::model::ClipSkip;
use crate::output::ImageSaver;
use crate::provenance::hash::{self, file_sha256};
use crate::provenance::{HashCache, Registry, license_of};
use crate::runtime::device;
use crate::sampling::SamplerKind;
use crate::sampling::noise::{RngSource, random_seed};

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// SD1.x checkpoint (.safetensors / .ckpt).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// A separate VAE file that replaces the checkpoint's.
    #[arg(long)]
    pub vae: Option<PathBuf>,
    #[arg(long)]
    pub prompt: Option<String>,
    #[arg(long)]
    pub negative: Option<String>,
    #[arg(long)]
    pub steps: Option<u32>,
    /// Sampler: an id (euler, euler_a, dpmpp_2m, dpmpp_2m_karras, ddim, unipc) or A1111's label ("Euler a").
    #[arg(long)]
    pub sampler: Option<SamplerKind>,
    #[arg(long)]
    pub cfg: Option<f64>,
    /// Seed of the first image; -1 or none picks a random one. Image i of a batch uses seed + i.
    #[arg(long, allow_negative_numbers = true)]
    pub seed: Option<i64>,
    /// Noise source: cpu (torch's CPU generator) or nv (A1111's NV, same as A1111's default GPU source).
    #[arg(long)]
    pub rng: Option<RngSource>,
    /// A1111's eta noise seed delta (ENSD) for ancestral samplers.
    #[arg(long)]
    pub ensd: Option<u64>,
    #[arg(long)]
    pub clip_skip: Option<u32>,
    #[arg(long)]
    pub width: Option<u32>,
    #[arg(long)]
    pub height: Option<u32>,
    /// Number of images, generated one after another.
    #[arg(long)]
    pub batch: Option<u32>,
    /// Line art for a ControlNet unit (repeat for several units, each with its --controlnet).
    #[arg(long)]
    pub lineart: Vec<PathBuf>,
    /// ControlNet model for each --lineart (one file serves all units when given once).
    #[arg(long)]
    pub controlnet: Vec<PathBuf>,
    /// Per unit (or one for all): ControlNet weight.
    #[arg(long)]
    pub control_weight: Vec<f32>,
    /// Per unit: fraction of the steps where the ControlNet starts acting.
    #[arg(long)]
    pub control_start: Vec<f32>,
    /// Per unit: fraction of the steps where it stops.
    #[arg(long)]
    pub control_end: Vec<f32>,
    /// Per unit: balanced, prompt ("My prompt is more important") or controlnet ("ControlNet is more important").
    #[arg(long)]
    pub control_mode: Vec<ControlMode>,
    /// Per unit: none, invert, binarize (threshold) or lineart_standard.
    #[arg(long)]
    pub preprocessor: Vec<String>,
    /// Per unit: auto (detect a white background), black-on-white or white-on-black.
    #[arg(long)]
    pub polarity: Vec<String>,
    /// Per unit: just-resize, crop-and-resize or resize-and-fill.
    #[arg(long)]
    pub resize_mode: Vec<String>,
    /// Per unit: threshold of the binarize preprocessor (0–255).
    #[arg(long)]
    pub threshold: Vec<u8>,
    /// Also write each unit's preprocessed hint as hint-N.png into --out.
    #[arg(long)]
    pub save_hint: bool,
    /// img2img: the picture to start from (resized to the generation size).
    #[arg(long)]
    pub init_image: Option<PathBuf>,
    /// img2img denoising strength in [0, 1].
    #[arg(long)]
    pub strength: Option<f64>,
    /// Output folder (created if missing).
    #[arg(long = "out")]
    pub out: PathBuf,
    /// Settings file: Nurie's JSON record (as in the `nurie` PNG chunk). Flags override it.
    #[arg(long, conflicts_with = "from_png")]
    pub settings: Option<PathBuf>,
    /// Reproduce an image from its metadata (Nurie, A1111, ComfyUI, InvokeAI). Flags override it.
    #[arg(long)]
    pub from_png: Option<PathBuf>,
    /// Exact initial noise: tensor `noise` [b,4,h,w], unit normal.
    #[arg(long)]
    pub init_noise: Option<PathBuf>,
    /// Exact ancestral noise: tensor `noise` [steps,b,4,h,w].
    #[arg(long)]
    pub ancestral_noise: Option<PathBuf>,
    /// Also write each image's final latents (tensor `latents`) next to its PNG.
    #[arg(long)]
    pub save_latents: bool,
    /// Do not record these pictures in the history library (they are recorded by default, as in
    /// the window).
    #[arg(long)]
    pub no_history: bool,
    #[command(flatten)]
    pub device: DeviceArgs,
}

pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let mut record = base_record(&args)?;
    apply_flags(&args, &mut record)?;
    round_size(&mut record);
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating the output folder {}", args.out.display()))?;
    let compute = device::open(args.device.device)?;
    eprintln!("device: {}", compute.description);
    let files = ModelFiles { checkpoint: args.checkpoint.clone(), vae: args.vae.clone(), controlnets: controlnet_files(&args)? };
    let models = Models::load(&files, &compute.device, args.device.dtype.dtype(), |part| eprintln!("loading the {part}…"))?;
    let (request, provenance) = build_request(&args, &record, &files)?;
    let mut writer = ImageWriter::new(&args, request.clone(), provenance)?;
    let outcome = generate::generate(&models, &request, &compute.device, &mut writer);
    writer.finish();
    let outcome = outcome.with_context(|| format!("{} of {} images were written", writer.written, request.batch_count))?;
    if outcome.cancelled {
        eprintln!("cancelled after {} images", outcome.images);
    }
    Ok(())
}

/// The settings to start from: A1111's defaults, a settings file, or an image's metadata.
fn base_record(args: &GenerateArgs) -> anyhow::Result<GenerationRecord> {
    if let Some(path) = &args.settings {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let parsed = settings_from_nurie_json(&text).with_context(|| format!("reading settings from {}", path.display()))?;
        parsed.warnings.iter().for_each(|w| eprintln!("warning: {w}"));
        return Ok(parsed.record);
    }
    if let Some(path) = &args.from_png {
        let parsed = read_settings_from_png(path).with_context(|| format!("reading the settings of {}", path.display()))?;
        parsed.warnings.iter().for_each(|w| eprintln!("warning: {w}"));
        eprintln!("settings from {} ({:?} metadata)", path.display(), parsed.source);
        let mut record = parsed.record;
        // The record names the image's own seed; generating one image reproduces exactly that one.
        record.batch_size = 1;
        record.batch_index = 0;
        return Ok(record);
    }
    Ok(GenerationRecord { rng: metadata::RngSource::Nv, ..GenerationRecord::default() })
}

fn apply_flags(args: &GenerateArgs, record: &mut GenerationRecord) -> anyhow::Result<()> {
    if let Some(v) = &args.prompt {
        record.prompt = v.clone();
    }
    if let Some(v) = &args.negative {
        record.negative_prompt = v.clone();
    }
    if let Some(v) = args.steps {
        record.steps = v;
    }
    if let Some(v) = args.sampler {
        record.sampler = v.id().to_string();
    }
    if let Some(v) = args.cfg {
        record.cfg_scale = v;
    }
    if let Some(v) = args.rng {
        record.rng = v.into();
    }
    if let Some(v) = args.ensd {
        record.ensd = v as i64;
    }
    if let Some(v) = args.clip_skip {
        record.clip_skip = v;
    }
    if let Some(v) = args.width {
        record.width = v;
    }
    if let Some(v) = args.height {
        record.height = v;
    }
    if let Some(v) = args.batch {
        record.batch_size = v;
    }
    if let Some(v) = args.strength {
        record.denoising_strength = Some(v);
    }
    record.seed = match args.seed {
        Some(seed) if seed >= 0 => seed as u64,
        Some(_) => random_seed(),
        None if args.settings.is_some() || args.from_png.is_some() => record.seed,
        None => random_seed(),
    };
    Ok(())
}

/// Sizes that are not multiples of 8 are rounded to the nearest one, with a warning.
fn round_size(record: &mut GenerationRecord) {
    let (width, height) = (nearest_multiple_of_8(record.width), nearest_multiple_of_8(record.height));
    if (width, height) != (record.width, record.height) {
        eprintln!("warning: {}×{} is not a multiple of 8; using {width}×{height}", record.width, record.height);
        (record.width, record.height) = (width, height);
    }
}

fn controlnet_files(args: &GenerateArgs) -> anyhow::Result<Vec<PathBuf>> {
    match (args.lineart.len(), args.controlnet.len()) {
        (0, 0) => Ok(vec![]),
        (0, _) => bail!("--controlnet needs line art: add --lineart FILE"),
        (_, 0) => bail!("--lineart needs a ControlNet model: add --controlnet FILE (e.g. control_v11p_sd15_lineart)"),
        (_, 1) => Ok(vec![args.controlnet[0].clone()]),
        (units, models) if units == models => Ok(args.controlnet.clone()),
        (units, models) => {
            bail!("{units} --lineart but {models} --controlnet: give one ControlNet for all units, or one per unit")
        }
    }
}

/// The value for unit `unit` of a per-unit flag: its own, the single one given, or `default`.
fn per_unit<T: Clone>(values: &[T], unit: usize, default: T) -> T {
    values.get(unit).or(if values.len() == 1 { values.first() } else { None }).cloned().unwrap_or(default)
}

/// The text of a per-unit flag for unit `unit`, if one applies.
fn unit_text(values: &[String], unit: usize) -> Option<&String> {
    values.get(unit).or(if values.len() == 1 { values.first() } else { None })
}

fn line_art_settings(
    args: &GenerateArgs,
    unit: usize,
    record: Option<&metadata::ControlNetUnit>,
) -> anyhow::Result<LineArtSettings> {
    let mut settings = LineArtSettings::default();
    if let Some(saved) = record {
        settings.preprocessor = preprocessor_from_id(&saved.module).unwrap_or(Preprocessor::None);
        settings.resize_mode = saved.resize_mode.into();
    }
    if let Some(name) = unit_text(&args.preprocessor, unit) {
        settings.preprocessor = preprocessor_from_id(name)
            .with_context(|| format!("unknown preprocessor `{name}`: use none, invert, binarize or lineart_standard"))?;
    }
    if let Some(name) = unit_text(&args.polarity, unit) {
        settings.polarity = match name.to_lowercase().as_str() {
            "auto" => Polarity::Auto,
            "black-on-white" | "black_on_white" => Polarity::BlackOnWhite,
            "white-on-black" | "white_on_black" => Polarity::WhiteOnBlack,
            other => bail!("unknown polarity `{other}`: use auto, black-on-white or white-on-black"),
        };
    }
    if let Some(name) = unit_text(&args.resize_mode, unit) {
        settings.resize_mode = match name.to_lowercase().replace([' ', '_'], "-").as_str() {
            "just-resize" => ResizeMode::JustResize,
            "crop-and-resize" => ResizeMode::CropAndResize,
            "resize-and-fill" => ResizeMode::ResizeAndFill,
            other => bail!("unknown resize mode `{other}`: use just-resize, crop-and-resize or resize-and-fill"),
        };
    }
    settings.threshold = per_unit(&args.threshold, unit, settings.threshold);
    Ok(settings)
}

fn build_request(args: &GenerateArgs, record: &GenerationRecord, files: &ModelFiles) -> anyhow::Result<(Request, Provenance)> {
    let sampler: SamplerKind = record.sampler.parse().with_context(|| format!("the sampler `{}`", record.sampler))?;
    let (width, height) = (record.width as usize, record.height as usize);
    let home = crate::home::data_dir()?;
    let mut hashes = HashCache::in_home(&home);
    let checkpoint = &files.checkpoint;
    let identity = hashes.identity_now(checkpoint).with_context(|| format!("hashing {}", checkpoint.display()))?;
    let model_license = license_of(checkpoint, &identity, &Registry::load(&home).0).map(|license| license.name);
    let mut model_ref = |path: &Path| -> anyhow::Result<ModelRef> {
        let identity = hashes.identity_now(path).with_context(|| format!("hashing {}", path.display()))?;
        Ok(identity.model_ref(hash::file_name(path)))
    };
    let model = identity.model_ref(hash::file_name(checkpoint));
    let mut provenance = Provenance { model, model_license, ..Provenance::default() };
    if let Some(vae) = &files.vae {
        provenance.vae = Some(model_ref(vae)?);
    }
    let mut control = Vec::new();
    for (unit, art) in args.lineart.iter().enumerate() {
        let saved = record.controlnets.get(unit);
        let settings = line_art_settings(args, unit, saved)?;
        let picture = load_rgb8(art).with_context(|| format!("line art {}", art.display()))?;
        let prepared = prepare_line_art(&picture, settings, record.width, record.height)
            .with_context(|| format!("line art {}", art.display()))?;
        if args.save_hint {
            prepared.hint.save_png(args.out.join(format!("hint-{unit}.png")))?;
        }
        let model = files.controlnets.get(unit).or(files.controlnets.first()).context("a ControlNet for every unit")?;
        provenance.units.push((model_ref(model)?, file_sha256(art).ok(), settings, prepared.black_on_white));
        control.push(ControlUnit {
            controlnet: files.controlnets.iter().position(|p| p == model).unwrap_or(0),
            hint: prepared.hint,
            weight: per_unit(&args.control_weight, unit, saved.map_or(1.0, |s| s.weight as f32)),
            start: per_unit(&args.control_start, unit, saved.map_or(0.0, |s| s.guidance_start as f32)),
            end: per_unit(&args.control_end, unit, saved.map_or(1.0, |s| s.guidance_end as f32)),
            mode: per_unit(&args.control_mode, unit, saved.map_or(ControlMode::Balanced, |s| s.control_mode.into())),
        });
    }
    let init_image = match &args.init_image {
        Some(path) => {
            let picture = load_rgb8(path).with_context(|| format!("the init image {}", path.display()))?;
            let rgb = image::imageops::resize(&picture, record.width, record.height, image::imageops::FilterType::Lanczos3);
            provenance.init_image_sha256 = file_sha256(path).ok();
            Some(InitImage { rgb, strength: record.denoising_strength.unwrap_or(0.75) as f32 })
        }
        None => None,
    };
    let latent = [record.batch_size as usize, 4, height / 8, width / 8];
    let noise = NoiseOverride {
        initial: args.init_noise.as_deref().map(|p| read_f32_tensor(p, "noise", Some(&latent)).map(|t| t.values)).transpose()?,
        ancestral: args
            .ancestral_noise
            .as_deref()
            .map(|p| {
                let shape = [&[record.steps as usize][..], &latent[..]].concat();
                read_f32_tensor(p, "noise", Some(&shape)).map(|t| t.values)
            })
            .transpose()?,
    };
    let request = Request {
        prompt: record.prompt.clone(),
        negative_prompt: record.negative_prompt.clone(),
        sampler,
        steps: record.steps as usize,
        cfg_scale: record.cfg_scale as f32,
        seed: record.seed,
        rng: record.rng.into(),
        eta_noise_seed_delta: record.ensd.max(0) as u64,
        clip_skip: ClipSkip(record.clip_skip.max(1) as usize),
        width,
        height,
        batch_count: record.batch_size.max(1) as usize,
        control,
        init_image,
        noise,
    };
    Ok((request, provenance))
}

/// Writes each finished image as soon as it arrives, and shows progress on a terminal.
struct ImageWriter {
    saver: ImageSaver,
    request: Request,
    provenance: Provenance,
    save_latents: bool,
    /// The history library pictures are recorded in, with the line art and init image they came from.
    history: Option<Recorder>,
    made_from: MadeFrom,
    written: usize,
    bar: indicatif::ProgressBar,
    /// When the previous step ended, and the durations of the steps that followed another one.
    last_step: Option<std::time::Instant>,
    step_seconds: Vec<f64>,
}

impl ImageWriter {
    fn new(args: &GenerateArgs, request: Request, provenance: Provenance) -> anyhow::Result<Self> {
        let total = (request.batch_count * request.steps) as u64;
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {per_sec}  ETA {eta}  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Ok(Self {
            saver: ImageSaver::new(&args.out)?,
            request,
            provenance,
            save_latents: args.save_latents,
            history: if args.no_history { None } else { Some(Recorder::new(crate::home::data_dir()?)) },
            made_from: MadeFrom { line_art: args.lineart.first().cloned(), init_image: args.init_image.clone() },
            written: 0,
            bar,
            last_step: None,
            step_seconds: Vec::new(),
        })
    }

    /// Clears the bar and reports the median time of a step (steps right after another step only, so
    /// prompt encoding and decoding are not counted).
    fn finish(&mut self) {
        self.bar.finish_and_clear();
        if self.step_seconds.is_empty() {
            return;
        }
        self.step_seconds.sort_by(f64::total_cmp);
        let median = self.step_seconds[self.step_seconds.len() / 2];
        eprintln!("{:.2} s per step (median of {}), {:.2} it/s", median, self.step_seconds.len(), 1.0 / median);
    }
}

impl Observer for ImageWriter {
    fn step(&mut self, progress: &StepProgress) -> Flow {
        let skipped = self.request.steps - progress.steps;
        let done = progress.image * self.request.steps + skipped + progress.step;
        self.bar.set_position(done as u64);
        self.bar.set_message(format!("image {}/{}", progress.image + 1, progress.images));
        let now = std::time::Instant::now();
        if let Some(last) = self.last_step.filter(|_| progress.step > 1) {
            self.step_seconds.push((now - last).as_secs_f64());
        }
        self.last_step = Some(now);
        Flow::Continue
    }

    fn image(&mut self, image: FinishedImage) -> Result<(), String> {
        let saved = self.saver.save(&self.request, &self.provenance, &image).map_err(|e| e.to_string())?;
        let recorded = self.history.as_mut().and_then(|history| history.add_saved(&saved, self.saver.folder(), &self.made_from));
        if let Some(message) = recorded {
            self.bar.suspend(|| eprintln!("{message}"));
        }
        if self.save_latents {
            let [h, w] = self.request.latent_size();
            let latents = NamedTensor { name: "latents".into(), shape: vec![1, 4, h, w], values: image.latents };
            let path = saved.path.with_extension("safetensors");
            write_f32_tensors(&path, &[latents]).map_err(|e| format!("{e:#}"))?;
        }
        self.bar.suspend(|| println!("{}", saved.path.display()));
        self.written += 1;
        Ok(())
    }
}
