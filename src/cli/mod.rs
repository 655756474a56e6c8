//! The `nurie` command line.

#[macro_use]
pub mod terminal;
mod bench;
mod character;
mod eval;
mod eval_embeddings;
mod export;
mod generate;
mod history;
mod inpaint_flags;
mod inspect;
mod noise;
mod pages;
mod prompt;
mod sd_upscale;
pub mod tensor_file;
mod upscale;

use clap::{Parser, Subcommand};

use crate::runtime::{DeviceChoice, Precision};

#[derive(Debug, Parser)]
/// Without a command, `nurie` opens the window.
#[command(
    name = "nurie",
    version,
    about = "Color your line art with Stable Diffusion 1.5, on any GPU (no command: open the window)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where the networks run. `auto` takes a hardware GPU when one exists, else the CPU.
#[derive(Debug, Clone, clap::Args)]
pub struct DeviceArgs {
    /// Where the networks run: `auto` takes a hardware GPU when one exists, else the CPU; `gpu` forces
    /// wgpu on any adapter; `cpu` is burn's Flex backend.
    #[arg(long, value_enum, env = "NURIE_DEVICE", ignore_case = true, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
    /// Compute precision: `auto` is f16 on a hardware GPU that computes in f16 and f32 elsewhere (the
    /// VAE always decodes in f32).
    #[arg(long, value_enum, ignore_case = true, default_value_t = Precision::Auto)]
    pub dtype: Precision,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show how a prompt is parsed (A1111 syntax) and chunked: the ids and weights the text encoder
    /// receives, as JSON.
    Prompt(prompt::PromptArgs),
    /// Run the engine on named input tensors and write the named outputs (golden-test interface).
    Eval(eval::EvalArgs),
    /// Generate pictures: prompt, sampler, seeds, line art through ControlNet, img2img; PNGs with metadata.
    Generate(Box<generate::GenerateArgs>),
    /// Color every drawing of a chapter's folder with the same settings, page by page, each written as
    /// soon as it is done and named after its drawing; run again, it goes on where it stopped.
    Pages(Box<pages::PagesArgs>),
    /// The characters: add one (reference picture, part colors), list, remove, export to share, import.
    Character(character::CharacterArgs),
    /// Write the initial noise a seed gives, exactly as generation draws it (tensor `noise`, f32).
    Noise(noise::NoiseArgs),
    /// List the GPU adapters wgpu can see and the device `--device auto` would pick.
    Devices,
    /// The library of every picture: search it, import other tools' output folders, rebuild it.
    History(history::HistoryArgs),
    /// What a model file is: hashes, components, the known-models registry's entry and license, and
    /// with --base and --reference the evidence of the models it was merged from.
    Inspect(inspect::InspectArgs),
    /// Measure Nurie on this machine: the networks (`--checkpoint FILE`, see `nurie bench --help`) or the
    /// history library (`nurie bench history`).
    Bench(bench::BenchArgs),
    /// Make a picture bigger as A1111's Extras tab does: Lanczos, Nearest, or an ESRGAN-family model
    /// (`.pth`/`.safetensors`) run tile by tile; written next to it with its metadata kept.
    Upscale(upscale::UpscaleArgs),
    /// Write a picture Nurie made as a layered PSD or OpenRaster file: the colors, and the artist's own
    /// line art on top in Multiply.
    Export(export::ExportArgs),
}

/// Runs the command line; errors are reported with their context by `main`.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Prompt(args)) => prompt::run(args),
        Some(Command::Eval(args)) => eval::run(args),
        Some(Command::Generate(args)) => generate::run(*args),
        Some(Command::Pages(args)) => pages::run(*args),
        Some(Command::Character(args)) => character::run(args),
        Some(Command::Noise(args)) => noise::run(args),
        Some(Command::Devices) => devices(),
        Some(Command::History(args)) => history::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Inspect(args)) => inspect::run(args),
        Some(Command::Export(args)) => export::run(args),
        Some(Command::Upscale(args)) => upscale::run(args),
        None => crate::app::run_window(),
    }
}

fn devices() -> anyhow::Result<()> {
    use crate::runtime::{graphics_api::GraphicsApi, shader_compiler};
    let chosen = crate::runtime::device::open(DeviceChoice::Auto)?;
    // The wgpu device (the one `--device gpu` opens), with what its kernels compile to; its properties
    // are the template the other adapters' checks are written into.
    let api = GraphicsApi::from_env()?;
    let gpu = crate::runtime::device::open(DeviceChoice::Gpu).map(|gpu| (gpu, shader_compiler::wgpu_shader_compiler(api)));
    let scratch = gpu.as_ref().ok().map(|_| shader_compiler::wgpu_device_properties(api));
    let adapters = crate::runtime::device::adapters();
    if adapters.is_empty() {
        outln!("no GPU adapters found");
    }
    for adapter in adapters {
        let info = adapter.get_info();
        let compiler = scratch
            .as_ref()
            .map(|props| format!("; {}", shader_compiler::adapter_shader_compiler(&adapter, props)))
            .unwrap_or_default();
        outln!(
            "{} ({:?}, {:?}, driver {} {}){compiler}",
            info.name,
            info.device_type,
            info.backend,
            info.driver,
            info.driver_info
        );
    }
    outln!("auto: {}", chosen.description);
    if let Some(note) = chosen.fallback_note {
        outln!("note: {note}");
    }
    match gpu {
        Ok((gpu, compiler)) => outln!("gpu: {}; {compiler}", gpu.description),
        Err(error) => outln!("gpu: {error}"),
    }
    Ok(())
}
