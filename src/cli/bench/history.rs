//! `nurie bench history`: writes synthetic pictures with A1111 infotext, imports them into a library
//! of a scratch home (timed), times searches over them, then opens the real app headless on that home
//! and scrolls the history grid, timing each frame's UI work.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::history_scroll::{ScrollReport, measure_grid_scroll};
use crate::app::frame_stats::FrameSummary;
use crate::history::{Library, Query, import_folder, write_synthetic_pictures};

use super::{median, milliseconds};

/// Searches timed: words, phrases, Japanese (trigram index), filters, and everything.
const QUERIES: [&str; 10] = [
    "watercolor",
    "cherry blossoms",
    "cat ears sunset",
    "青い空",
    "空",
    "model:meina",
    "seed:4242",
    "sampler:\"Euler a\" rain",
    "neg:lowres",
    "",
];
/// The goal for a full-text search over 10,000 pictures.
const SEARCH_GOAL: Duration = Duration::from_millis(50);
const SEARCH_RUNS: usize = 21;
const PAGE: usize = 100;

#[derive(Debug, clap::Args)]
pub struct HistoryBenchArgs {
    /// How many pictures to make and index.
    #[arg(long, default_value_t = 10_000)]
    images: usize,
    /// Their width and height in pixels.
    #[arg(long, default_value_t = 64)]
    side: u32,
    /// Frames of scrolling the grid.
    #[arg(long, default_value_t = 600)]
    frames: usize,
    /// Points scrolled per frame (60 frames a second).
    #[arg(long, default_value_t = 40.0)]
    scroll: f32,
    /// Work here instead of a temporary folder (kept afterwards); pictures already there are reused.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// One JSON object instead of text.
    #[arg(long)]
    json: bool,
}

struct SearchTiming {
    query: &'static str,
    hits: usize,
    count: Duration,
    first_page: Duration,
    last_page: Duration,
}

pub fn run(args: HistoryBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.images > 0, "--images must be at least 1");
    anyhow::ensure!((1..=4096).contains(&args.side), "--side must be 1 to 4096 pixels");
    let scratch = tempfile::tempdir().context("creating a temporary folder")?;
    let root = args.dir.clone().unwrap_or_else(|| scratch.path().to_path_buf());
    let (pictures, home) = (root.join("pictures"), root.join("home"));
    prepare_pictures(&pictures, args.images, args.side)?;
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).with_context(|| format!("creating {}", home.display()))?;

    let library = Library::in_home(&home).context("creating the library")?.library;
    let never = AtomicBool::new(false);
    let bar = bar(args.images as u64, "indexing");
    let started = Instant::now();
    let report = import_folder(&library, &pictures, &mut |p| bar.set_position(p.done as u64), &never)?;
    let import = started.elapsed();
    bar.finish_and_clear();
    anyhow::ensure!(report.added == args.images, "{} of {} pictures indexed", report.added, args.images);
    let started = Instant::now();
    import_folder(&library, &pictures, &mut |_| {}, &never)?;
    let rescan = started.elapsed();

    let searches = QUERIES.iter().map(|query| time_search(&library, query)).collect::<anyhow::Result<Vec<_>>>()?;
    drop(library);
    errln!("scrolling the history grid for {} frames…", args.frames);
    let scroll = measure_grid_scroll(&home, args.frames, args.scroll, Duration::from_secs(120)).map_err(anyhow::Error::msg)?;
    if args.json {
        outln!("{}", json(&args, import, rescan, &searches, &scroll));
    } else {
        print_text(&args, import, rescan, &searches, &scroll);
    }
    Ok(())
}

/// Writes the pictures unless `folder` already holds that many.
fn prepare_pictures(folder: &Path, count: usize, side: u32) -> anyhow::Result<()> {
    let marker = folder.join(format!(".made-{count}-{side}"));
    if marker.exists() {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(folder);
    let bar = bar(count as u64, "writing pictures");
    write_synthetic_pictures(folder, count, side, &mut |n| bar.set_position(n as u64))?;
    bar.finish_and_clear();
    std::fs::write(&marker, b"").with_context(|| format!("writing {}", marker.display()))?;
    Ok(())
}

fn time_search(library: &Library, text: &'static str) -> anyhow::Result<SearchTiming> {
    let query = Query::parse(text);
    let hits = library.count(&query)?;
    let last_offset = hits.saturating_sub(PAGE);
    Ok(SearchTiming {
        query: text,
        hits,
        count: timed(|| library.count(&query).map(drop))?,
        first_page: timed(|| library.search(&query, 0, PAGE).map(drop))?,
        last_page: timed(|| library.search(&query, last_offset, PAGE).map(drop))?,
    })
}

/// The median time of [`SEARCH_RUNS`] runs of `work`.
fn timed<E: std::error::Error + Send + Sync + 'static>(mut work: impl FnMut() -> Result<(), E>) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(SEARCH_RUNS);
    for _ in 0..SEARCH_RUNS {
        let started = Instant::now();
        work()?;
        times.push(started.elapsed());
    }
    Ok(median(&times))
}

fn bar(length: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    if let Ok(style) = ProgressStyle::with_template(&format!("{{bar:40}} {{pos}}/{{len}} {what} ({{per_sec}})")) {
        bar.set_style(style);
    }
    bar
}

fn print_text(args: &HistoryBenchArgs, import: Duration, rescan: Duration, searches: &[SearchTiming], scroll: &ScrollReport) {
    let n = args.images;
    outln!("history benchmark: {n} synthetic {0}×{0} PNGs with A1111 infotext", args.side);
    outln!(
        "import: {:.2} s, {:.0} pictures/s; unchanged re-scan {:.0} ms",
        import.as_secs_f64(),
        n as f64 / import.as_secs_f64(),
        milliseconds(rescan)
    );
    outln!("search (median of {SEARCH_RUNS}; goal < {} ms):", SEARCH_GOAL.as_millis());
    for s in searches {
        let verdict = if s.first_page.max(s.count) < SEARCH_GOAL { "" } else { "  over the goal" };
        outln!(
            "  {:>6} hits  count {:>6.2} ms  first {PAGE} {:>6.2} ms  last {PAGE} {:>6.2} ms  {:?}{verdict}",
            s.hits,
            milliseconds(s.count),
            milliseconds(s.first_page),
            milliseconds(s.last_page),
            s.query
        );
    }
    outln!(
        "grid scroll: {} frames of {} points at 60 Hz over {} pictures, 1400×900 window: UI work per frame median {:.2} ms, p99 {:.2} ms, longest {:.2} ms; {} thumbnails loaded while scrolling; first screen of thumbnails after {:.0} ms",
        scroll.work.len(),
        scroll.step,
        scroll.pictures,
        milliseconds(median(&scroll.work)),
        milliseconds(FrameSummary::percentile_99(&scroll.work)),
        milliseconds(scroll.work.iter().copied().max().unwrap_or_default()),
        scroll.thumbnails_loaded,
        milliseconds(scroll.first_screen)
    );
    outln!("(UI work: app logic, layout, texture uploads queued, tessellation; the GPU's drawing is not included)");
}

fn json(
    args: &HistoryBenchArgs,
    import: Duration,
    rescan: Duration,
    searches: &[SearchTiming],
    scroll: &ScrollReport,
) -> serde_json::Value {
    let searches: Vec<serde_json::Value> = searches
        .iter()
        .map(|s| {
            serde_json::json!({
                "query": s.query,
                "hits": s.hits,
                "count_ms": milliseconds(s.count),
                "first_page_ms": milliseconds(s.first_page),
                "last_page_ms": milliseconds(s.last_page),
            })
        })
        .collect();
    serde_json::json!({
        "images": args.images,
        "side": args.side,
        "import_seconds": import.as_secs_f64(),
        "import_per_second": args.images as f64 / import.as_secs_f64(),
        "rescan_ms": milliseconds(rescan),
        "searches": searches,
        "scroll": {
            "frames": scroll.work.len(),
            "points_per_frame": scroll.step,
            "pictures": scroll.pictures,
            "work_median_ms": milliseconds(median(&scroll.work)),
            "work_p99_ms": milliseconds(FrameSummary::percentile_99(&scroll.work)),
            "work_max_ms": milliseconds(scroll.work.iter().copied().max().unwrap_or_default()),
            "thumbnails_loaded": scroll.thumbnails_loaded,
            "first_screen_ms": milliseconds(scroll.first_screen),
        },
    })
}
