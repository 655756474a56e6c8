//! `nurie bench …`: measurements that are too slow or too machine-dependent for tests.

mod flats;
mod flops;
mod history;
mod history_scroll;
mod hostile;
mod lora_switch;
mod memory;
mod networks;
mod print_size;
mod random_model;

/// `nurie bench --checkpoint FILE …` times the networks; `nurie bench history` the history library.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: Option<BenchWhat>,
    #[command(flatten)]
    pub networks: networks::NetworkBenchArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum BenchWhat {
    /// Flats (下塗り) of a synthetic comic page: time per stage and in total (`--width 4000 --height 6000`
    /// by default), with the gap size to close.
    Flats(flats::FlatsBenchArgs),
    /// The history library: import throughput, search latency and the grid's frame time while
    /// scrolling, on synthetic pictures (the user's own library is not touched).
    History(history::HistoryBenchArgs),
    /// Peak memory of refusing hostile inputs (zip bombs in `.ckpt`, prompt bombs), each in its own
    /// `nurie` process; the bound is 1 GB.
    Hostile(hostile::HostileBenchArgs),
    /// What applying and changing LoRAs costs on a checkpoint: two random LoRAs of its shapes, each
    /// change a user makes timed, and a UNet step with and without one merged.
    Lora(lora_switch::LoraBenchArgs),
    /// Print size: a 512×720 page enlarged to B5 at 600 dpi and redrawn tile by tile (SD upscale); time per
    /// tile and peak memory.
    PrintSize(print_size::PrintSizeBenchArgs),
    /// Writes a full-size SD1.5 checkpoint (and with `--controlnet` a ControlNet) of seeded random
    /// weights in the original single-file layouts, for benchmarks on machines with no models.
    RandomModel(random_model::RandomModelArgs),
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        Some(BenchWhat::Flats(args)) => flats::run(args),
        Some(BenchWhat::History(args)) => history::run(args),
        Some(BenchWhat::Hostile(args)) => hostile::run(args),
        Some(BenchWhat::Lora(args)) => lora_switch::run(args),
        Some(BenchWhat::PrintSize(args)) => print_size::run(args),
        Some(BenchWhat::RandomModel(args)) => random_model::run(args),
        None => networks::run(args.networks),
    }
}

/// The median of `values` (the upper one of an even count); zero when empty.
pub fn median(values: &[std::time::Duration]) -> std::time::Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

pub fn milliseconds(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
