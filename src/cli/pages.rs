//! `nurie pages DIR --out OUT`: colors every drawing of a chapter's folder with the same settings, in
//! page order, one page after another; each page's pictures are written as soon as they are done, named
//! after its drawing. Run it again after a crash or a quit and it goes on where it stopped.

use std::path::PathBuf;

use anyhow::{Context, bail};

use super::generate::{GenerateArgs, Job};
use crate::pages::{Chapter, Page, SeedPolicy};
use crate::runtime::device;
use crate::sampling::noise::random_seed;

#[derive(Debug, clap::Args)]
pub struct PagesArgs {
    /// The chapter's folder of drawings (line art: PNG, JPEG, WebP, BMP), colored in page order (2 before 10).
    pub dir: PathBuf,
    /// Seeds: same (every page from the chapter's seed: the same look throughout) or per-page (the
    /// chapter's seed + page number × pictures per page).
    #[arg(long, value_enum, default_value_t)]
    pub seeds: SeedPolicy,
    /// Everything `nurie generate` takes (`--controlnet` is needed; each page's drawing is its line art).
    #[command(flatten)]
    pub generate: GenerateArgs,
}

pub fn run(args: PagesArgs) -> anyhow::Result<()> {
    if !args.generate.lineart.is_empty() {
        bail!("the chapter's drawings are the line art: leave out --lineart (each page's drawing takes its place)");
    }
    if args.generate.controlnet.is_empty() {
        bail!("coloring pages needs a line-art ControlNet: add --controlnet FILE (e.g. control_v11p_sd15_lineart)");
    }
    let chapter = Chapter::read(&args.dir)?;
    let pictures = args.generate.batch.unwrap_or(1).max(1) as usize;
    let out = &args.generate.out;
    let (done, todo): (Vec<&Page>, Vec<&Page>) = chapter.pages.iter().partition(|page| page.is_done(out, pictures));
    errln!(
        "{}: {} pages, {} colored already, {} to color",
        chapter.folder.display(),
        chapter.pages.len(),
        done.len(),
        todo.len()
    );
    if todo.is_empty() {
        return write_contact_sheet(&chapter, out, pictures);
    }
    let seed = chapter_seed(&args, done.first().copied(), pictures)?;
    let mut session: Option<(device::ComputeDevice, crate::generate::Models)> = None;
    for page in todo {
        errln!("page {}/{}: {}", page.number + 1, chapter.pages.len(), page.drawing.display());
        let mut page_args = args.generate.clone();
        page_args.lineart = vec![page.drawing.clone()];
        page_args.seed = Some(args.seeds.seed_for(seed, page.number, pictures) as i64);
        let job = Job::prepare(&page_args).with_context(|| format!("page {}", page.drawing.display()))?;
        // The models load once, for the first page colored; every page uses the same files.
        let (compute, models) = match session.take() {
            Some(loaded) => loaded,
            None => {
                let compute = device::open(page_args.device.device)?;
                errln!("device: {}", compute.description);
                let models = job.load_models(&page_args, &compute)?;
                (compute, models)
            }
        };
        job.run(&page_args, &models, &compute, Some(page.name())).with_context(|| format!("page {}", page.drawing.display()))?;
        session = Some((compute, models));
    }
    write_contact_sheet(&chapter, out, pictures)
}

/// The name of the contact sheet in the output folder.
const CONTACT_SHEET: &str = "contact-sheet";

/// Writes `OUT/contact-sheet.png`: every page's first picture side by side, in page order (a page
/// whose drawing is called `contact-sheet` would clash, so then there is none).
fn write_contact_sheet(chapter: &Chapter, out: &std::path::Path, pictures: usize) -> anyhow::Result<()> {
    if chapter.pages.iter().any(|page| page.name().eq_ignore_ascii_case(CONTACT_SHEET)) {
        errln!("warning: a drawing is called {CONTACT_SHEET}, so no contact sheet was written");
        return Ok(());
    }
    let firsts: Vec<Option<image::RgbImage>> = chapter
        .pages
        .iter()
        .map(|page| image::open(&page.outputs(out, pictures)[0]).ok().map(|picture| picture.to_rgb8()))
        .collect();
    let sheet = crate::pages::contact_sheet(&firsts, 256);
    let path = out.join(format!("{CONTACT_SHEET}.png"));
    let mut png = Vec::new();
    sheet.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    crate::atomic_write::write_file_atomically(&path, &png).with_context(|| format!("writing {}", path.display()))?;
    errln!("contact sheet: {}", path.display());
    Ok(())
}

/// The chapter's seed: `--seed`, else the one a page colored earlier recorded (so a resumed chapter
/// keeps its look), else a random one.
fn chapter_seed(args: &PagesArgs, finished: Option<&Page>, pictures: usize) -> anyhow::Result<u64> {
    if let Some(seed) = args.generate.seed.filter(|&seed| seed >= 0) {
        return Ok(seed as u64);
    }
    let Some(page) = finished else { return Ok(random_seed()) };
    let first = &page.outputs(&args.generate.out, pictures)[0];
    let record = crate::metadata::read_settings_from_png(first)
        .with_context(|| format!("reading the seed of the colored page {}", first.display()))?
        .record;
    let seed = args.seeds.chapter_seed(record.settings.seed, page.number, pictures);
    errln!("the chapter's seed, from {}: {seed}", first.display());
    Ok(seed)
}
