//! `nurie bench …`: measurements that are too slow or too machine-dependent for tests.

mod history;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchWhat,
}

#[derive(Debug, clap::Subcommand)]
pub enum BenchWhat {
    /// The history library: import throughput, search latency and the grid's frame time while
    /// scrolling, on synthetic pictures (the user's own library is not touched).
    History(history::HistoryBenchArgs),
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        BenchWhat::History(args) => history::run(args),
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
