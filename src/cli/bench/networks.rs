//! `nurie bench --checkpoint FILE`: times the networks of one generation — text encoding, one UNet
//! step (batch 2, as classifier-free guidance runs it) with and without a ControlNet, and the VAE
//! decode — after warm-up runs, and reports the median, the spread, effective TFLOP/s and memory.
//! `scripts/bench_torch.py` measures the same with diffusers.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use burn::tensor::{Device, Tensor, TensorData};
use indicatif::{ProgressBar, ProgressStyle};

use super::memory::{driver_gpu_bytes, gigabytes, gpu_pool_peak_bytes, gpu_reserved_bytes, peak_rss_bytes};
use super::{flops, median};
use crate::cli::DeviceArgs;
use crate::generate::{ModelFiles, Models, encode_prompts};
use crate::model::profile::{self, ProfileRow};
use crate::model::{ClipSkip, ControlResiduals};
use crate::runtime::device;

const PROMPT: &str = "1girl, watercolor, cherry blossoms, detailed line art, soft colors";
const NEGATIVE: &str = "lowres, bad anatomy, blurry";
/// The UNet's timestep during the timed steps (any value costs the same).
const TIMESTEP: f32 = 500.0;

#[derive(Debug, Clone, clap::Args)]
pub struct NetworkBenchArgs {
    /// The SD1.5 checkpoint to time (.safetensors or .ckpt; random full-size weights do).
    #[arg(long, required = true)]
    checkpoint: Option<PathBuf>,
    /// Also time a UNet step with this ControlNet's residuals.
    #[arg(long)]
    controlnet: Option<PathBuf>,
    /// Picture width in pixels (a multiple of 8).
    #[arg(long, default_value_t = 512)]
    width: usize,
    /// Picture height in pixels (a multiple of 8).
    #[arg(long, default_value_t = 512)]
    height: usize,
    #[command(flatten)]
    device: DeviceArgs,
    /// Timed runs of each part (after the warm-up).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Untimed runs of each part first (the GPU compiles and autotunes its kernels then).
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// After the timed runs, one more run of each network with every layer timed on its own.
    #[arg(long)]
    profile: bool,
    /// One JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Also write the JSON object to this file (the text still goes to the terminal): one run gives
    /// both, where each run compiles the GPU's kernels anew.
    #[arg(long, value_name = "FILE")]
    json_file: Option<PathBuf>,
}

/// The timings of one part.
#[derive(Debug, serde::Serialize)]
struct PartTiming {
    name: &'static str,
    seconds: Vec<f64>,
    median_seconds: f64,
    /// (slowest − fastest) / median.
    spread: f64,
    tflop: f64,
    tflop_per_second: f64,
    /// With --profile: the layers of one more run, slowest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<LayerProfile>,
}

#[derive(Debug, serde::Serialize)]
struct LayerProfile {
    seconds: f64,
    layers: Vec<ProfileRow>,
}

#[derive(Debug, serde::Serialize)]
struct Report {
    device: String,
    /// Nurie's own kernels (on the CPU, unless `NURIE_CPU_KERNELS=burn`), or burn's (on a GPU always).
    kernels: &'static str,
    dtype: String,
    threads: usize,
    width: usize,
    height: usize,
    warmup: usize,
    repeats: usize,
    load_seconds: f64,
    parts: Vec<PartTiming>,
    peak_rss_bytes: Option<u64>,
    gpu_reserved_bytes: Option<u64>,
    /// The pools' peaks summed (see [`gpu_pool_peak_bytes`]).
    gpu_pool_peak_bytes: Option<u64>,
    /// What the driver says the process holds on the GPU (NVIDIA only)...
    gpu_driver_bytes: Option<u64>,
    /// ...or why it was not read.
    gpu_driver_unread: Option<String>,
}

/// The inputs every timed run uses, on the device.
struct Inputs {
    latents: Tensor<4>,
    context: Tensor<3>,
    hint: Tensor<4>,
    decode_latents: Tensor<4>,
}

pub fn run(args: NetworkBenchArgs) -> anyhow::Result<()> {
    let checkpoint = args.checkpoint.clone().context("--checkpoint is required")?;
    anyhow::ensure!(
        args.width.is_multiple_of(8) && args.height.is_multiple_of(8) && args.width > 0 && args.height > 0,
        "width and height must be positive multiples of 8"
    );
    anyhow::ensure!(args.repeats > 0, "--repeats must be at least 1");
    let compute = device::open(args.device.device)?;
    let dtype = args.device.dtype.dtype_on(&compute)?;
    let progress = spinner(args.json);
    progress.set_message(format!("loading {} on {}", checkpoint.display(), compute.description));
    let files = ModelFiles { checkpoint: checkpoint.clone(), vae: None, controlnets: args.controlnet.iter().cloned().collect() };
    let started = Instant::now();
    let models = Models::load(&files, &compute.device, dtype, |part| progress.set_message(format!("loading the {part}")))?;
    let load_seconds = started.elapsed().as_secs_f64();
    let latent = [args.height / 8, args.width / 8];
    let inputs = Inputs::new(&models, &compute.device, latent, [args.height, args.width])?;

    let mut parts = vec![time_part(&args, &progress, "text encoding", flops::text_encoder(2), || {
        read_back(encode_prompts(&models, PROMPT, NEGATIVE, ClipSkip::default(), true)?)
    })?];
    parts.push(time_part(&args, &progress, "UNet step", flops::unet(latent, 2), || unet_step(&models, &inputs, None))?);
    if let Some(controlnet) = models.controlnets.first() {
        let tflop = flops::unet(latent, 2) + flops::controlnet(latent, 2);
        parts.push(time_part(&args, &progress, "UNet step + ControlNet", tflop, || {
            let residuals = controlnet.forward(inputs.latents.clone(), &[TIMESTEP], &inputs.context, inputs.hint.clone())?;
            unet_step(&models, &inputs, Some(&residuals))
        })?);
    }
    parts.push(time_part(&args, &progress, "VAE decode", flops::vae_decode(latent), || {
        read_back(models.vae.decode(inputs.decode_latents.clone())?)
    })?);
    progress.finish_and_clear();

    let driver_bytes = if compute.is_gpu { driver_gpu_bytes() } else { Err("not a hardware GPU".to_string()) };
    let report = Report {
        device: compute.description.clone(),
        kernels: match (crate::runtime::cpu::is_cpu_device(&compute.device), crate::runtime::cpu::enabled()) {
            (true, true) => "nurie",
            _ => "burn",
        },
        dtype: crate::runtime::dtype_name(dtype),
        threads: rayon::current_num_threads(),
        width: args.width,
        height: args.height,
        warmup: args.warmup,
        repeats: args.repeats,
        load_seconds,
        parts,
        peak_rss_bytes: peak_rss_bytes(),
        gpu_reserved_bytes: gpu_reserved_bytes(&compute.device),
        gpu_pool_peak_bytes: gpu_pool_peak_bytes(&compute.device),
        gpu_driver_bytes: driver_bytes.as_ref().ok().copied(),
        gpu_driver_unread: driver_bytes.err(),
    };
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &args.json_file {
        std::fs::write(path, &json).with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        outln!("{json}")
    } else {
        print_report(&report)
    }
    Ok(())
}

impl Inputs {
    fn new(models: &Models, device: &Device, latent: [usize; 2], pixels: [usize; 2]) -> anyhow::Result<Self> {
        let [h, w] = latent;
        let [ph, pw] = pixels;
        let on_device =
            |values: Vec<f32>, shape: [usize; 4]| Tensor::<4>::from_data(TensorData::new(values, shape), (device, models.dtype));
        let latents = on_device(wave(2 * 4 * h * w, 1.0), [2, 4, h, w]);
        let decode_latents = on_device(wave(4 * h * w, 0.18215), [1, 4, h, w]);
        // A grid of white lines on black, like an inverted line drawing.
        let lines: Vec<f32> =
            (0..2 * 3 * ph * pw).map(|i| ((i % pw) % 16 == 0 || (i / pw % ph) % 16 == 0) as u8 as f32).collect();
        let hint = on_device(lines, [2, 3, ph, pw]);
        let context = encode_prompts(models, PROMPT, NEGATIVE, ClipSkip::default(), true)?;
        Ok(Self { latents, context, hint, decode_latents })
    }
}

/// Deterministic values spread like unit noise, times `scale`.
fn wave(count: usize, scale: f32) -> Vec<f32> {
    (0..count).map(|i| ((i as f32 * std::f32::consts::FRAC_1_SQRT_2).sin() * 1.7) * scale).collect()
}

fn unet_step(models: &Models, inputs: &Inputs, control: Option<&ControlResiduals>) -> anyhow::Result<()> {
    read_back(models.unet.forward(inputs.latents.clone(), &[TIMESTEP], &inputs.context, control)?)
}

/// Waits for `tensor` by reading it back to the host, as generation does with every result.
fn read_back<const D: usize>(tensor: Tensor<D>) -> anyhow::Result<()> {
    tensor.try_into_vec_as::<f32>().map_err(|e| anyhow::anyhow!("reading the result back from the device: {e:?}"))?;
    Ok(())
}

/// Runs `part` `warmup` times untimed, then `repeats` times timed (and once more profiled).
fn time_part(
    args: &NetworkBenchArgs,
    progress: &ProgressBar,
    name: &'static str,
    tflop: f64,
    mut part: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<PartTiming> {
    for run in 0..args.warmup {
        progress.set_message(format!("{name}: warm-up {}/{}", run + 1, args.warmup));
        part().with_context(|| format!("{name} (warm-up)"))?;
    }
    let mut times = Vec::with_capacity(args.repeats);
    for run in 0..args.repeats {
        progress.set_message(format!("{name}: run {}/{}", run + 1, args.repeats));
        let started = Instant::now();
        part().with_context(|| format!("{name} (run {})", run + 1))?;
        times.push(started.elapsed());
    }
    let profile = if args.profile {
        progress.set_message(format!("{name}: profiling each layer"));
        Some(profile_run(&mut part)?)
    } else {
        None
    };
    let middle = median(&times).as_secs_f64();
    let (fastest, slowest) = (times.iter().min().copied().unwrap_or_default(), times.iter().max().copied().unwrap_or_default());
    Ok(PartTiming {
        name,
        seconds: times.iter().map(Duration::as_secs_f64).collect(),
        median_seconds: middle,
        spread: (slowest - fastest).as_secs_f64() / middle.max(f64::MIN_POSITIVE),
        tflop,
        tflop_per_second: tflop / middle.max(f64::MIN_POSITIVE),
        profile,
    })
}

fn profile_run(part: &mut impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<LayerProfile> {
    profile::set_enabled(true);
    let started = Instant::now();
    let result = part();
    let seconds = started.elapsed().as_secs_f64();
    let layers = profile::rows();
    profile::set_enabled(false);
    result?;
    Ok(LayerProfile { seconds, layers })
}

fn spinner(hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed}] {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn print_report(report: &Report) {
    outln!("{} — {}, {}×{}, {} threads", report.device, report.dtype, report.width, report.height, report.threads);
    if report.kernels == "burn" && !crate::runtime::cpu::enabled() {
        outln!("CPU fast paths off (NURIE_CPU_KERNELS=burn): burn's own ops");
    }
    outln!("load to ready: {:.2} s", report.load_seconds);
    outln!("median of {} runs after {} warm-up:", report.repeats, report.warmup);
    for part in &report.parts {
        let runs: Vec<String> = part.seconds.iter().map(|s| format!("{s:.3}")).collect();
        outln!(
            "  {:<24} {:>9.3} s  spread {:>5.1}%  {:>6.3} TFLOP  {:>7.3} TFLOP/s  (runs: {})",
            part.name,
            part.median_seconds,
            part.spread * 100.0,
            part.tflop,
            part.tflop_per_second,
            runs.join(" ")
        );
    }
    match report.peak_rss_bytes {
        Some(bytes) => outln!("peak resident memory: {:.2} GB", gigabytes(bytes)),
        None => outln!("peak resident memory: not measured on this system"),
    }
    if let Some(bytes) = report.gpu_reserved_bytes {
        outln!("GPU memory reserved by burn's pool: {:.2} GB", gigabytes(bytes));
    }
    if let Some(bytes) = report.gpu_pool_peak_bytes {
        outln!("GPU memory, burn's pools at their peaks (summed): {:.2} GB", gigabytes(bytes));
        match (report.gpu_driver_bytes, &report.gpu_driver_unread) {
            (Some(bytes), _) => outln!("GPU memory held by this process, as the driver reports it: {:.2} GB", gigabytes(bytes)),
            (None, Some(why)) => outln!("GPU memory as the driver reports it: not read ({why})"),
            (None, None) => {}
        }
    }
    for part in &report.parts {
        if let Some(profile) = &part.profile {
            print_profile(part.name, profile);
        }
    }
}

/// The time per kind of layer, then the slowest shapes.
fn print_profile(name: &str, profile: &LayerProfile) {
    outln!("\nprofile of one {name} ({:.3} s, each layer synchronized):", profile.seconds);
    let mut kinds: Vec<(&str, f64, f64)> = Vec::new();
    for row in &profile.layers {
        match kinds.iter_mut().find(|(kind, ..)| *kind == row.kind) {
            Some(entry) => {
                entry.1 += row.seconds;
                entry.2 += row.flop;
            }
            None => kinds.push((row.kind, row.seconds, row.flop)),
        }
    }
    kinds.sort_by(|a, b| b.1.total_cmp(&a.1));
    let timed: f64 = kinds.iter().map(|k| k.1).sum();
    for (kind, seconds, flop) in &kinds {
        outln!("  {kind:<12} {seconds:>8.3} s {:>5.1}%  {}", 100.0 * seconds / profile.seconds, rate(*flop, *seconds));
    }
    outln!(
        "  {:<12} {:>8.3} s {:>5.1}%  (activations, additions, reshapes)",
        "other",
        profile.seconds - timed,
        100.0 * (profile.seconds - timed) / profile.seconds
    );
    outln!("  slowest layers:");
    for row in profile.layers.iter().take(15) {
        outln!(
            "    {:>8.3} s  {:>3}×  {:<11} {:<44} {}",
            row.seconds,
            row.calls,
            row.kind,
            row.shape,
            rate(row.flop, row.seconds)
        );
    }
}

fn rate(flop: f64, seconds: f64) -> String {
    if flop > 0.0 && seconds > 0.0 { format!("{:.0} GFLOP/s", flop / seconds / 1e9) } else { String::new() }
}
