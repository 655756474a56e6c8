//! `nurie history search|import|rebuild`: the history library from the command line.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::history::{ImageRow, ImportProgress, ImportReport, Library, OpenedLibrary, Query, RebuildReport, rebuild};

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub command: HistoryCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum HistoryCommand {
    /// Search the library: words of the prompt (Japanese too), `neg:WORD` in the negative prompt,
    /// `model:NAME` (name or hash), `seed:N`, `sampler:NAME`; newest first.
    Search {
        /// The search, as typed in the window's search box, e.g. `blue sky model:anything seed:42`.
        query: String,
        /// At most this many results.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Index the pictures in a folder (A1111, Forge, ComfyUI, InvokeAI or any) in place, no copy;
    /// running it again picks up new, changed and removed files.
    Import {
        /// The folder; its subfolders are included.
        dir: PathBuf,
    },
    /// Re-read every picture of the remembered folders and Nurie's output folder into the index.
    Rebuild,
}

pub fn run(args: HistoryArgs) -> anyhow::Result<()> {
    let home = crate::home::data_dir()?;
    let opened = Library::in_home(&home).context("opening the history library")?;
    let outputs = output_folder(&home);
    let library = recover_if_needed(opened, &outputs)?;
    match args.command {
        HistoryCommand::Search { query, limit, json } => search(&library, &query, limit, json),
        HistoryCommand::Import { dir } => import(&library, &dir),
        HistoryCommand::Rebuild => rebuild_all(&library, &outputs),
    }
}

/// The app's output folder (its setting, else the default), whose pictures are always indexed.
fn output_folder(home: &Path) -> Option<PathBuf> {
    let settings = crate::app::settings::AppSettings::load(home).settings;
    settings.output_folder.or_else(|| crate::home::default_output_dir().ok())
}

/// A new, damaged or deleted database is rebuilt from the pictures (the remembered folders and the
/// output folder) before anything else; a damaged one is also reported.
fn recover_if_needed(opened: OpenedLibrary, outputs: &Option<PathBuf>) -> anyhow::Result<Library> {
    if let Some(notice) = opened.set_aside_notice("the history is rebuilt from the pictures") {
        errln!("{notice}");
    }
    let needs_indexing = opened.needs_indexing();
    let library = opened.library;
    if needs_indexing {
        let report = rebuild_with_progress(&library, outputs)?;
        if report.images() > 0 {
            errln!("{} pictures indexed", report.images());
        }
    }
    Ok(library)
}

fn search(library: &Library, text: &str, limit: usize, json: bool) -> anyhow::Result<()> {
    let query = Query::parse(text);
    let total = library.count(&query).context("searching the history")?;
    let rows = library.search(&query, 0, limit).context("searching the history")?;
    for row in &rows {
        if json {
            outln!("{}", row_json(row));
        } else {
            outln!("{}", row_line(row));
        }
    }
    if !json {
        errln!("{} of {total} pictures", rows.len());
    }
    Ok(())
}

fn row_line(row: &ImageRow) -> String {
    let seed = row.seed.map_or_else(|| "-".to_string(), |s| s.to_string());
    let model = row.model_name.as_deref().unwrap_or("-");
    let prompt: String = row.prompt.chars().take(60).collect();
    format!("{}\t{seed}\t{model}\t{prompt}", row.path.display())
}

fn row_json(row: &ImageRow) -> serde_json::Value {
    serde_json::json!({
        "path": row.path.to_string_lossy(),
        "width": row.width,
        "height": row.height,
        "prompt": row.prompt,
        "seed": row.seed,
        "model": row.model_name,
        "sampler": row.sampler,
        "favorite": row.favorite,
        "created_at": row.created_at,
        "controlnet": row.has_controlnet,
    })
}

fn import(library: &Library, dir: &Path) -> anyhow::Result<()> {
    let bar = progress_bar();
    let report = crate::history::import_folder(library, dir, &mut |p| show_progress(&bar, p), &AtomicBool::new(false))
        .with_context(|| format!("importing {}", dir.display()))?;
    bar.finish_and_clear();
    print_report(&report);
    Ok(())
}

fn rebuild_all(library: &Library, outputs: &Option<PathBuf>) -> anyhow::Result<()> {
    let report = rebuild_with_progress(library, outputs)?;
    for folder in report.reports() {
        print_report(folder);
    }
    outln!("{} pictures indexed", report.images());
    Ok(())
}

/// Rebuilds from the remembered folders and the output folder; folders that fail are reported on
/// stderr and the others still indexed.
fn rebuild_with_progress(library: &Library, outputs: &Option<PathBuf>) -> anyhow::Result<RebuildReport> {
    let bar = progress_bar();
    let extra: Vec<PathBuf> = outputs.iter().filter(|dir| dir.is_dir()).cloned().collect();
    let report =
        rebuild(library, &extra, &mut |p| show_progress(&bar, p), &AtomicBool::new(false)).context("rebuilding the history")?;
    bar.finish_and_clear();
    for (root, error) in report.failures() {
        errln!("{}: {error}", root.display());
    }
    Ok(report)
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} pictures ({per_sec}, {eta})") {
        bar.set_style(style);
    }
    bar
}

fn show_progress(bar: &ProgressBar, progress: ImportProgress) {
    bar.set_length(progress.total as u64);
    bar.set_position(progress.done as u64);
}

fn print_report(report: &ImportReport) {
    outln!(
        "{}: {} added, {} updated, {} removed, {} unchanged, {} skipped",
        report.folder.display(),
        report.added,
        report.updated,
        report.removed,
        report.unchanged,
        report.skipped.len()
    );
    for (path, why) in &report.skipped {
        errln!("  skipped {}: {why}", path.display());
    }
}
