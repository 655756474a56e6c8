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
    let seed = chapter_seed(&args, &chapter, pictures);
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

/// Writes `OUT/contact-sheet.png` and says where.
fn write_contact_sheet(chapter: &Chapter, out: &std::path::Path, pictures: usize) -> anyhow::Result<()> {
    match crate::pages::write_contact_sheet(chapter, out, pictures) {
        Ok(Some(path)) => errln!("contact sheet: {}", path.display()),
        Ok(None) => errln!("warning: a drawing is called contact-sheet, so no contact sheet was written"),
        Err(e) => return Err(e).with_context(|| format!("writing the contact sheet in {}", out.display())),
    }
    Ok(())
}

/// The chapter's seed: `--seed`, else the one a page colored earlier recorded (so a resumed chapter
/// keeps its look), else a random one.
fn chapter_seed(args: &PagesArgs, chapter: &Chapter, pictures: usize) -> u64 {
    if let Some(seed) = args.generate.seed.filter(|&seed| seed >= 0) {
        return seed as u64;
    }
    match chapter.recorded_seed(&args.generate.out, args.seeds, pictures) {
        Some(seed) => {
            errln!("the chapter's seed, from its colored pages: {seed}");
            seed
        }
        None => random_seed(),
    }
}
