//! `nurie generate`: color line art (or generate from a prompt) from the command line, writing PNGs with
//! A1111 and Nurie metadata.

use std::path::PathBuf;

use anyhow::{Context, bail};

use super::DeviceArgs;
use super::tensor_file::{NamedTensor, read_f32_tensor, write_f32_tensors};
use crate::control::LineArtSettings;
use crate::generate::{
    self, FinishedImage, Flow, Models, NoiseOverride, Observer, Plan, Provenance, ReferenceNoise, ReferencePlan, Request,
    Resolved, Resolver, StepProgress, UnitPlan, nearest_multiple_of_8,
};
use crate::history::{MadeFrom, Recorder};
use crate::metadata::{
    self, ControlGuidance, GenerationRecord, GenerationSettings, ReferenceSettings, read_settings_from_png,
    settings_from_nurie_json,
};
use crate::metadata::{HiresSettings, NetworkKind, NetworkUse};
use crate::networks::lora::prompt_with_recorded_loras;
use crate::output::{ImageSaver, KeptInputs};
use crate::provenance::NetworkPresence;
use crate::runtime::device;
use crate::sampling::noise::random_seed;
use crate::vocabulary::{
    Choice, ControlMode, Polarity, Preprocessor, RecordedSampler, ReferenceMode, ResizeMode, RngSource, SamplerKind,
};

#[derive(Debug, Clone, clap::Args)]
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
    /// Sampler: an id (euler, euler_a, dpmpp_2m, dpmpp_2m_karras, ddim, unipc, lcm) or A1111's label ("Euler a").
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
    pub control_weight: Vec<f64>,
    /// Per unit: fraction of the steps where the ControlNet starts acting.
    #[arg(long)]
    pub control_start: Vec<f64>,
    /// Per unit: fraction of the steps where it stops.
    #[arg(long)]
    pub control_end: Vec<f64>,
    /// Per unit: balanced, prompt ("My prompt is more important") or controlnet ("ControlNet is more important").
    #[arg(long)]
    pub control_mode: Vec<ControlMode>,
    /// Per unit: none, invert, binarize (threshold) or lineart_standard.
    #[arg(long)]
    pub preprocessor: Vec<Preprocessor>,
    /// Per unit: auto (detect a white background), black-on-white or white-on-black.
    #[arg(long)]
    pub polarity: Vec<Polarity>,
    /// Per unit: just-resize, crop-and-resize or resize-and-fill.
    #[arg(long)]
    pub resize_mode: Vec<ResizeMode>,
    /// Per unit: threshold of the binarize preprocessor (0–255).
    #[arg(long)]
    pub threshold: Vec<u8>,
    /// Also write each unit's preprocessed hint as hint-N.png into --out (hint-N-2.png… when taken).
    #[arg(long)]
    pub save_hint: bool,
    /// A reference unit's picture (a character sheet, an earlier colored page), whose look the pictures
    /// share: sd-webui-controlnet's reference preprocessors, no model file needed. Repeat for several.
    #[arg(long)]
    pub reference: Vec<PathBuf>,
    /// A character of the library (`nurie character add`): adds its reference unit, after the
    /// --reference ones (repeat for several characters).
    #[arg(long)]
    pub character: Vec<String>,
    /// Per reference unit (or one for all): only (shared attention), adain (matched block statistics)
    /// or adain+attn (both).
    #[arg(long)]
    pub reference_mode: Vec<ReferenceMode>,
    /// Per reference unit (or one for all): style fidelity in [0, 1] (default 0.5): how much CFG leans
    /// toward the reference.
    #[arg(long)]
    pub style_fidelity: Vec<f64>,
    /// Per reference unit (or one for all): weight, 0 to 2 (default 1: attention in every block).
    #[arg(long)]
    pub reference_weight: Vec<f64>,
    /// Per reference unit: fraction of the steps where it starts acting.
    #[arg(long)]
    pub reference_start: Vec<f64>,
    /// Per reference unit: fraction of the steps where it stops.
    #[arg(long)]
    pub reference_end: Vec<f64>,
    /// img2img: the picture to start from (resized to the generation size).
    #[arg(long)]
    pub init_image: Option<PathBuf>,
    /// Denoising strength in [0, 1]: how much img2img changes its picture, or hires fix its first pass
    /// (A1111's defaults: 0.75 and 0.7).
    #[arg(long, visible_alias = "denoise")]
    pub strength: Option<f64>,
    #[command(flatten)]
    pub inpaint: super::inpaint_flags::InpaintArgs,
    /// Hires fix: make the picture at --width×--height, enlarge it this many times, then sample it again
    /// at that size (A1111's "Upscale by").
    #[arg(long)]
    pub hires_scale: Option<f64>,
    /// Hires fix's upscaler: `Latent` (default), `Latent (antialiased)`, `Latent (bicubic)`, `Latent (bicubic
    /// antialiased)`, `Latent (nearest)`, `Latent (nearest-exact)`, `Lanczos`, `Nearest`, `None`, or an
    /// ESRGAN-family model: a file, or the name of one in --upscaler-dir or the installs' upscaler folders.
    #[arg(long)]
    pub hires_upscaler: Option<String>,
    /// Hires fix's second-pass steps (default: as many as the first pass).
    #[arg(long)]
    pub hires_steps: Option<u32>,
    /// No hires fix, even when --from-png or --settings has one.
    #[arg(long, conflicts_with_all = ["hires_scale", "hires_upscaler", "hires_steps"])]
    pub no_hires: bool,
    /// A folder of upscaler files for --hires-upscaler (repeatable); A1111's models/ESRGAN and
    /// models/RealESRGAN and ComfyUI's models/upscale_models are searched after these.
    #[arg(long = "upscaler-dir")]
    pub upscaler_dir: Vec<PathBuf>,
    /// Color hints: an RGBA picture (transparent where no hint) over the line art, placed as the first
    /// --lineart is; each area of the line art a hint touches takes its color.
    #[arg(long)]
    pub color_hints: Option<PathBuf>,
    /// The fraction of the steps during which the hinted areas are held to the hint colors, in [0, 1]
    /// (default 0.5).
    #[arg(long)]
    pub hint_strength: Option<f64>,
    /// A folder of LoRA files for the prompt's `<lora:NAME:W>` tags (repeatable); the LoRA folders of the
    /// A1111, Forge, ComfyUI and InvokeAI installs found are searched after these.
    #[arg(long = "lora-dir")]
    pub lora_dir: Vec<PathBuf>,
    /// A folder of textual-inversion embeddings, called by file name in either prompt (repeatable); the
    /// installs' embedding folders are searched after these.
    #[arg(long = "embeddings-dir")]
    pub embeddings_dir: Vec<PathBuf>,
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
    /// Exact reference-unit draws, the same for every picture and unit: tensors `encode` [1,4,h,w] (the
    /// reference picture's VAE sample) and `steps` [steps,1,4,h,w] (added to its latents at each step).
    #[arg(long, requires = "reference")]
    pub reference_noise: Option<PathBuf>,
    /// Also write each image's final latents (tensor `latents`) next to its PNG.
    #[arg(long)]
    pub save_latents: bool,
    /// Also write each picture as a layered file beside its PNG, `NNNNN-SEED.psd`/`.ora` (repeatable): its
    /// colors under the first --lineart, untouched, in Multiply.
    #[arg(long, value_enum, ignore_case = true, requires = "lineart")]
    pub export: Vec<crate::layered::LayeredFormat>,
    #[command(flatten)]
    pub finishing: super::export::FinishingArgs,
    /// Do not record these pictures in the history library (they are recorded by default, as in
    /// the window).
    #[arg(long)]
    pub no_history: bool,
    #[command(flatten)]
    pub device: DeviceArgs,
}

pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let job = Job::prepare(&args)?;
    let compute = device::open(args.device.device)?;
    errln!("device: {}", compute.description);
    let models = job.load_models(&args, &compute)?;
    job.run(&args, &models, &compute, None)
}

/// One `nurie generate` run made ready: its plan resolved into the request, with the noise the flags give.
pub(super) struct Job {
    plan: Plan,
    request: Request,
    provenance: Provenance,
    files: generate::ModelFiles,
    loras: Vec<crate::networks::lora::WeightedLora>,
}

impl Job {
    /// Plans and resolves what `args` describe; warns about blank hints and writes them with `--save-hint`.
    pub(super) fn prepare(args: &GenerateArgs) -> anyhow::Result<Self> {
        let (mut plan, recorded_networks) = plan(args)?;
        std::fs::create_dir_all(&args.out).with_context(|| format!("creating the output folder {}", args.out.display()))?;
        let home = crate::home::data_dir()?;
        let mut resolver = Resolver::in_home(&home)
            .with_lora_folders(crate::networks::lora_folders(&args.lora_dir))
            .with_embedding_folders(&crate::networks::embedding_folders(&args.embeddings_dir))
            .with_upscaler_folders(&args.upscaler_dir);
        report_recorded_networks(&mut resolver, &recorded_networks, &mut plan.settings.prompt);
        let Resolved { mut request, provenance, files, loras } = resolver.resolve(&plan)?;
        request.noise = noise_override(args, &request)?;
        for (unit, _) in request.control.iter().enumerate().filter(|(_, control)| control.hint.is_blank()) {
            let art = args.lineart.get(unit).map_or_else(String::new, |path| path.display().to_string());
            errln!(
                "warning: the line art {art} gives an empty hint (no lines found): ControlNet unit {unit} has nothing to follow"
            );
        }
        if args.save_hint {
            for (unit, control) in request.control.iter().enumerate() {
                let path = control.hint.save_new_png(&args.out, &format!("hint-{unit}"))?;
                errln!("hint of unit {unit}: {}", path.display());
            }
        }
        Ok(Self { plan, request, provenance, files, loras })
    }

    /// The job's models on `compute`, with its LoRAs merged.
    pub(super) fn load_models(&self, args: &GenerateArgs, compute: &device::ComputeDevice) -> anyhow::Result<Models> {
        let dtype = args.device.dtype.dtype_on(compute)?;
        let mut models = Models::load(&self.files, &compute.device, dtype, |part| errln!("loading the {part}…"))?;
        apply_loras(&mut models, &self.loras)?;
        Ok(models)
    }

    /// Makes the pictures on `models` and writes each as it comes: numbered `NNNNN-SEED.png`, or, with
    /// `named`, `NAME.png` (`NAME-1.png`, `NAME-2.png`… for several).
    pub(super) fn run(
        self,
        args: &GenerateArgs,
        models: &Models,
        compute: &device::ComputeDevice,
        named: Option<String>,
    ) -> anyhow::Result<()> {
        let Job { plan, request, provenance, .. } = self;
        let made_from = MadeFrom {
            line_art: args.lineart.first().cloned(),
            init_image: plan.init_image.clone(),
            color_hints: plan.color_hints.clone(),
            references: plan.references.iter().map(|unit| unit.picture.clone()).collect(),
            mask: plan.mask.clone(),
        };
        let mut writer = ImageWriter::new(args, request.clone(), provenance, made_from)?;
        writer.named = named;
        let outcome = generate::generate(models, &request, &compute.device, &mut writer);
        writer.finish();
        let outcome = outcome.with_context(|| format!("{} of {} images were written", writer.written, request.batch_count()))?;
        if outcome.cancelled {
            errln!("cancelled after {} images", outcome.images);
        }
        Ok(())
    }
}

/// Merges the prompt's LoRAs, saying which and what was left out.
fn apply_loras(models: &mut Models, loras: &[crate::networks::lora::WeightedLora]) -> anyhow::Result<()> {
    if loras.is_empty() {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let report = models.apply_loras(loras)?;
    for lora in loras {
        let network = &lora.network;
        errln!(
            "LoRA {} ({}, text encoder {} · UNet {})",
            network.path.display(),
            network.type_names(),
            lora.text_encoder,
            lora.unet
        );
    }
    errln!("merged into {} layers in {:.2} s", report.layers_changed, started.elapsed().as_secs_f64());
    for (file, module) in &report.unmatched {
        errln!("warning: {file}: module `{module}` names no layer of this checkpoint; left out");
    }
    Ok(())
}

/// Says which LoRAs and embeddings of the picture or settings file are missing here; a LoRA found
/// under another name by its hash gets that name in the prompt, as A1111 renames it when pasting.
fn report_recorded_networks(resolver: &mut Resolver, networks: &[NetworkUse], prompt: &mut String) {
    for check in resolver.check_networks(networks) {
        let (kind, name) = (check.network.kind, &check.network.name);
        let noun = if kind == NetworkKind::Lora { "LoRA" } else { "embedding" };
        match check.presence {
            NetworkPresence::Found { .. } => {}
            NetworkPresence::FoundUnderOtherName { local_name } => {
                errln!("the picture's {noun} `{name}` is here as `{local_name}` (same hash): using it");
                if kind == NetworkKind::Lora {
                    *prompt = prompt.replace(&format!("<lora:{name}:"), &format!("<lora:{local_name}:"));
                }
            }
            NetworkPresence::DifferentFile => {
                errln!(
                    "warning: the {noun} `{name}` here is not the picture's file (its hash differs): the picture may not reproduce"
                )
            }
            NetworkPresence::Missing => errln!(
                "warning: the picture's {noun} `{name}` is not in any {noun} folder (add its folder with --{})",
                if kind == NetworkKind::Lora { "lora-dir" } else { "embeddings-dir" }
            ),
        }
    }
}

/// The generation the flags describe, on top of a settings file or an image's metadata, and the
/// LoRAs and embeddings that metadata lists.
fn plan(args: &GenerateArgs) -> anyhow::Result<(Plan, Vec<NetworkUse>)> {
    let record = base_record(args)?;
    let mut settings = record.settings.clone();
    settings.prompt = prompt_with_recorded_loras(&settings.prompt, &record.networks);
    apply_flags(args, &mut settings);
    round_size(&mut settings);
    if let RecordedSampler::Other(name) = &settings.sampler {
        let fallback = SamplerKind::Dpmpp2mKarras;
        errln!("warning: the sampler `{name}` is not one Nurie has; using {fallback} (choose one with --sampler)");
        settings.sampler = fallback.into();
    }
    warn_about_extra_networks(&settings.prompt);
    let controlnets = controlnet_files(args)?;
    let units = args
        .lineart
        .iter()
        .enumerate()
        .map(|(unit, line_art)| unit_plan(args, unit, line_art, &controlnets, record.controlnets.get(unit)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let plan = Plan {
        settings,
        checkpoint: args.checkpoint.clone(),
        vae: args.vae.clone(),
        units,
        references: reference_plans(args, &record)?,
        init_image: recorded_input(&args.init_image, record.init_image_sha256.as_deref(), "img2img picture", "--init-image"),
        mask: recorded_input(&args.inpaint.mask, record.mask_sha256.as_deref(), "inpainting mask", "--mask"),
        color_hints: recorded_input(&args.color_hints, record.color_hints_sha256.as_deref(), "color hints", "--color-hints"),
    };
    if plan.settings.inpaint.is_some() && plan.mask.is_none() {
        errln!("warning: the settings inpaint with a mask; without --mask (and --init-image) the whole picture is made");
    }
    Ok((plan, record.networks))
}

/// The flag's file, or the kept copy of the input (`what`: color hints, img2img picture, mask) the
/// picture or settings file recorded by `sha256`, with a warning naming `flag` when it is not kept here.
fn recorded_input(given: &Option<PathBuf>, sha256: Option<&str>, what: &str, flag: &str) -> Option<PathBuf> {
    if given.is_some() {
        return given.clone();
    }
    let sha256 = sha256?;
    let kept = crate::home::data_dir().ok().and_then(|home| KeptInputs::in_home(&home).find(sha256));
    match &kept {
        Some(path) => errln!("using the picture's {what}, kept as {}", path.display()),
        None => errln!("warning: the picture was made with {what} ({sha256}) not kept here; give it with {flag}"),
    }
    kept
}

/// Hypernetwork and unknown tags leave the text CLIP sees (as in A1111) but are not applied; A1111's
/// `AND` (composable diffusion) is read as words: say both.
fn warn_about_extra_networks(prompt: &str) {
    if crate::prompt::composable::uses_and(prompt) {
        errln!("warning: the prompt uses AND (A1111's composable diffusion), which Nurie does not support: it is read as words");
    }
    use crate::prompt::extra_networks::{NetworkKind, parse_prompt};
    let tags = parse_prompt(prompt).tags;
    let ignored: Vec<String> = tags
        .iter()
        .filter(|tag| tag.network_kind() != NetworkKind::Lora)
        .map(|tag| format!("<{}:{}>", tag.kind, tag.args.join(":")))
        .collect();
    if !ignored.is_empty() {
        errln!(
            "warning: {} taken out of the prompt as A1111 does; Nurie applies LoRAs only, not hypernetworks",
            ignored.join(", ")
        );
    }
}

/// The settings to start from: A1111's defaults, a settings file, or an image's metadata.
fn base_record(args: &GenerateArgs) -> anyhow::Result<GenerationRecord> {
    if let Some(path) = &args.settings {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let parsed = settings_from_nurie_json(&text).with_context(|| format!("reading settings from {}", path.display()))?;
        parsed.warnings.iter().for_each(|w| errln!("warning: {w}"));
        return Ok(parsed.record);
    }
    if let Some(path) = &args.from_png {
        let parsed = read_settings_from_png(path).with_context(|| format!("reading the settings of {}", path.display()))?;
        parsed.warnings.iter().for_each(|w| errln!("warning: {w}"));
        errln!("settings from {} ({:?} metadata)", path.display(), parsed.source);
        let mut record = parsed.record;
        // The record names the image's own seed; generating one image reproduces exactly that one.
        record.settings.batch_size = 1;
        record.batch_index = 0;
        return Ok(record);
    }
    let settings = GenerationSettings { rng: RngSource::Nv, ..GenerationSettings::default() };
    Ok(GenerationRecord { settings, ..GenerationRecord::default() })
}

fn apply_flags(args: &GenerateArgs, settings: &mut GenerationSettings) {
    if let Some(prompt) = &args.prompt {
        settings.prompt = prompt.clone();
    }
    if let Some(negative) = &args.negative {
        settings.negative_prompt = negative.clone();
    }
    settings.steps = args.steps.unwrap_or(settings.steps);
    if let Some(sampler) = args.sampler {
        settings.sampler = sampler.into();
    }
    settings.cfg_scale = args.cfg.unwrap_or(settings.cfg_scale);
    settings.rng = args.rng.unwrap_or(settings.rng);
    settings.ensd = args.ensd.map_or(settings.ensd, |ensd| i64::try_from(ensd).unwrap_or(i64::MAX));
    settings.clip_skip = args.clip_skip.unwrap_or(settings.clip_skip);
    settings.width = args.width.unwrap_or(settings.width);
    settings.height = args.height.unwrap_or(settings.height);
    settings.batch_size = args.batch.unwrap_or(settings.batch_size);
    settings.denoising_strength = args.strength.or(settings.denoising_strength);
    settings.hint_strength = args.hint_strength.or(settings.hint_strength);
    apply_hires_flags(args, settings);
    args.inpaint.apply(settings);
    settings.seed = match args.seed {
        Some(seed) if seed >= 0 => seed as u64,
        Some(_) => random_seed(),
        None if args.settings.is_some() || args.from_png.is_some() => settings.seed,
        None => random_seed(),
    };
}

/// Hires fix from its flags: any of them turns it on (A1111's defaults for the others); --no-hires off.
fn apply_hires_flags(args: &GenerateArgs, settings: &mut GenerationSettings) {
    if args.no_hires {
        settings.hires = None;
        return;
    }
    if args.hires_scale.is_none() && args.hires_upscaler.is_none() && args.hires_steps.is_none() {
        return;
    }
    let hires = settings.hires.get_or_insert_with(HiresSettings::default);
    hires.scale = args.hires_scale.unwrap_or(hires.scale);
    hires.steps = args.hires_steps.unwrap_or(hires.steps);
    if let Some(upscaler) = &args.hires_upscaler {
        hires.upscaler = upscaler.clone();
    }
}

/// Sizes that are not multiples of 8 are rounded to the nearest one, with a warning.
fn round_size(settings: &mut GenerationSettings) {
    let (width, height) = (nearest_multiple_of_8(settings.width), nearest_multiple_of_8(settings.height));
    if (width, height) != (settings.width, settings.height) {
        errln!("warning: {}×{} is not a multiple of 8; using {width}×{height}", settings.width, settings.height);
        (settings.width, settings.height) = (width, height);
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

/// The value for unit `unit` of a per-unit flag: its own, the single one given, or none.
fn per_unit<T: Copy>(values: &[T], unit: usize) -> Option<T> {
    values.get(unit).or(if values.len() == 1 { values.first() } else { None }).copied()
}

/// Unit `unit`: its flags, on top of what the base record's unit of the same place says.
fn unit_plan(
    args: &GenerateArgs,
    unit: usize,
    line_art: &std::path::Path,
    controlnets: &[PathBuf],
    saved: Option<&metadata::ControlNetUnit>,
) -> anyhow::Result<UnitPlan> {
    let mut art = LineArtSettings::default();
    let mut guidance = ControlGuidance::default();
    if let Some(saved) = saved {
        art.preprocessor = Preprocessor::find(&saved.module).unwrap_or(Preprocessor::None);
        art.resize_mode = saved.resize_mode;
        guidance = saved.guidance;
    }
    art.preprocessor = per_unit(&args.preprocessor, unit).unwrap_or(art.preprocessor);
    art.polarity = per_unit(&args.polarity, unit).unwrap_or(art.polarity);
    art.resize_mode = per_unit(&args.resize_mode, unit).unwrap_or(art.resize_mode);
    art.threshold = per_unit(&args.threshold, unit).unwrap_or(art.threshold);
    guidance.weight = per_unit(&args.control_weight, unit).unwrap_or(guidance.weight);
    guidance.guidance_start = per_unit(&args.control_start, unit).unwrap_or(guidance.guidance_start);
    guidance.guidance_end = per_unit(&args.control_end, unit).unwrap_or(guidance.guidance_end);
    guidance.control_mode = per_unit(&args.control_mode, unit).unwrap_or(guidance.control_mode);
    let controlnet = controlnets.get(unit).or(controlnets.first()).context("a ControlNet for every unit")?;
    Ok(UnitPlan { controlnet: controlnet.clone(), line_art: line_art.to_path_buf(), line_art_settings: art, guidance })
}

/// The reference units of the flags, each option per unit or one for all, on top of the recorded unit
/// of the same place; without `--reference`, the recorded units with their kept pictures.
fn reference_plans(args: &GenerateArgs, record: &GenerationRecord) -> anyhow::Result<Vec<ReferencePlan>> {
    let mut plans = flag_references(args, record)?;
    if !args.character.is_empty() {
        let library = crate::characters::CharacterLibrary::in_home(&crate::home::data_dir()?);
        for name in &args.character {
            let kept = library.find(name)?;
            plans.push(ReferencePlan { picture: kept.picture(), settings: kept.character.reference });
        }
    }
    Ok(plans)
}

/// The `--reference` units, or, without any (and without `--character`), the recorded ones.
fn flag_references(args: &GenerateArgs, record: &GenerationRecord) -> anyhow::Result<Vec<ReferencePlan>> {
    if args.reference.is_empty() {
        if !args.character.is_empty() {
            return Ok(vec![]);
        }
        return record.references.iter().map(kept_reference).collect();
    }
    Ok((0..args.reference.len())
        .map(|unit| {
            let saved = record.references.get(unit).map(|recorded| recorded.settings).unwrap_or_default();
            ReferencePlan {
                picture: args.reference[unit].clone(),
                settings: ReferenceSettings {
                    mode: per_unit(&args.reference_mode, unit).unwrap_or(saved.mode),
                    weight: per_unit(&args.reference_weight, unit).unwrap_or(saved.weight),
                    style_fidelity: per_unit(&args.style_fidelity, unit).unwrap_or(saved.style_fidelity),
                    guidance_start: per_unit(&args.reference_start, unit).unwrap_or(saved.guidance_start),
                    guidance_end: per_unit(&args.reference_end, unit).unwrap_or(saved.guidance_end),
                },
            }
        })
        .collect())
}

/// A recorded reference unit with the copy of its picture Nurie kept when the picture was made.
fn kept_reference(recorded: &metadata::ReferenceRecord) -> anyhow::Result<ReferencePlan> {
    let mode = recorded.settings.mode;
    let Some(sha256) = recorded.picture_sha256.as_deref() else {
        bail!("the picture was made with a {mode} reference unit whose picture it does not name: give it with --reference FILE");
    };
    let home = crate::home::data_dir()?;
    let Some(picture) = KeptInputs::in_home(&home).find(sha256) else {
        bail!(
            "the picture was made with a {mode} reference unit whose picture (SHA-256 {sha256}) is not kept here: give it with --reference FILE"
        );
    };
    errln!("using the picture's {mode} reference, kept as {}", picture.display());
    Ok(ReferencePlan { picture, settings: recorded.settings })
}

/// `--init-noise` / `--ancestral-noise` / `--reference-noise`: exact noise for the request's size,
/// batch and steps.
fn noise_override(args: &GenerateArgs, request: &Request) -> anyhow::Result<NoiseOverride> {
    let [h, w] = request.latent_size();
    let latent = [request.batch_count(), 4, h, w];
    let initial = args.init_noise.as_deref().map(|p| read_f32_tensor(p, "noise", Some(&latent)).map(|t| t.values)).transpose()?;
    let ancestral = args
        .ancestral_noise
        .as_deref()
        .map(|p| {
            let shape = [&[request.steps()][..], &latent[..]].concat();
            read_f32_tensor(p, "noise", Some(&shape)).map(|t| t.values)
        })
        .transpose()?;
    let reference = args
        .reference_noise
        .as_deref()
        .map(|p| {
            let encode = read_f32_tensor(p, "encode", Some(&[1, 4, h, w]))?.values;
            let steps = read_f32_tensor(p, "steps", Some(&[request.steps(), 1, 4, h, w]))?.values;
            anyhow::Ok(ReferenceNoise { encode, steps })
        })
        .transpose()?;
    let masked_image = args
        .inpaint
        .masked_image_noise
        .as_deref()
        .map(|p| read_f32_tensor(p, "noise", Some(&[1, 4, h, w])).map(|t| t.values))
        .transpose()?;
    Ok(NoiseOverride { initial, ancestral, reference, masked_image })
}

/// Writes each finished image as soon as it arrives, and shows progress on a terminal.
struct ImageWriter {
    saver: ImageSaver,
    request: Request,
    provenance: Provenance,
    save_latents: bool,
    /// `--export`: the layered files written beside each PNG.
    layered: Option<super::export::ExportBeside>,
    /// The history library pictures are recorded in, with the line art and init image they came from.
    history: Option<Recorder>,
    made_from: MadeFrom,
    /// Pictures named after this (`nurie pages`: the page's drawing) instead of numbered.
    named: Option<String>,
    written: usize,
    bar: indicatif::ProgressBar,
    /// When the previous step ended, and the durations of the steps that followed another one.
    last_step: Option<std::time::Instant>,
    step_seconds: Vec<f64>,
}

impl ImageWriter {
    fn new(args: &GenerateArgs, request: Request, provenance: Provenance, made_from: MadeFrom) -> anyhow::Result<Self> {
        let total = (request.batch_count() * (request.steps() + request.hires_steps())) as u64;
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
            layered: super::export::ExportBeside::new(&args.export, &args.finishing, &made_from)?,
            history: if args.no_history { None } else { Some(Recorder::new(crate::home::data_dir()?)) },
            made_from,
            named: None,
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
        errln!("{:.2} s per step (median of {}), {:.2} it/s", median, self.step_seconds.len(), 1.0 / median);
    }
}

impl Observer for ImageWriter {
    fn step(&mut self, progress: &StepProgress) -> Flow {
        // img2img runs fewer steps than the settings say; the bar counts them as done.
        let per_image = self.request.steps() + self.request.hires_steps();
        let skipped = per_image.saturating_sub(progress.steps);
        let done = progress.image * per_image + progress.together * (skipped + progress.step);
        self.bar.set_position(done as u64);
        let last = progress.image + progress.together;
        match progress.together {
            1 => self.bar.set_message(format!("image {last}/{}", progress.images)),
            _ => self.bar.set_message(format!("images {}–{last}/{}", progress.image + 1, progress.images)),
        }
        let now = std::time::Instant::now();
        if let Some(last) = self.last_step.filter(|_| progress.step > 1) {
            self.step_seconds.push((now - last).as_secs_f64());
        }
        self.last_step = Some(now);
        Flow::Continue
    }

    fn image(&mut self, image: FinishedImage) -> Result<(), String> {
        let saved = match &self.named {
            Some(name) => {
                let file = crate::pages::picture_name(name, image.index, self.request.batch_count());
                if let Some(message) =
                    crate::pages::make_room(&self.saver.folder().join(&file), self.history.as_mut()).map_err(|e| e.to_string())?
                {
                    self.bar.suspend(|| errln!("{message}"));
                }
                self.saver.save_named(&file, &self.request, &self.provenance, &image)
            }
            None => self.saver.save(&self.request, &self.provenance, &image),
        };
        let saved = saved.map_err(|e| e.to_string())?;
        // Before the history reads the picture: `--transparent` rewrites it with its alpha.
        let finishing = self.layered.as_ref().map(|layered| layered.write(&saved, &image.image).map_err(|e| format!("{e:#}")));
        let recorded = self.history.as_mut().and_then(|history| history.add_saved(&saved, self.saver.folder(), &self.made_from));
        if let Some(message) = recorded {
            self.bar.suspend(|| errln!("{message}"));
        }
        if self.save_latents {
            let [h, w] = self.request.latent_size();
            let latents = NamedTensor { name: "latents".into(), shape: vec![1, 4, h, w], values: image.latents };
            let path = saved.path.with_extension("safetensors");
            write_f32_tensors(&path, &[latents]).map_err(|e| format!("{e:#}"))?;
        }
        self.bar.suspend(|| outln!("{}", saved.path.display()));
        self.written += 1;
        for path in finishing.transpose()?.unwrap_or_default() {
            self.bar.suspend(|| outln!("{}", path.display()));
        }
        Ok(())
    }
}
