//! `nurie export PICTURE.png --to psd|ora`: a layered file of a picture Nurie made, its colors under the
//! artist's own line art (found by the hash its metadata records, in the drawings Nurie keeps).

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::flats::{FlatsSettings, MAX_GAP_PX};
use crate::history::MadeFrom;
use crate::layered::{
    FLATS_LAYER, LayerOptions, LayeredFormat, compose_layers, hints_at_size, layers_for_picture, sources_of_unit,
};
use crate::output::{KeptInputs, SavedImage};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// A picture Nurie made from line art (its PNG, with Nurie's metadata).
    pub picture: PathBuf,
    /// The layered format: psd (Photoshop, Clip Studio Paint) or ora (Krita, GIMP, MyPaint).
    #[arg(long = "to", value_enum, ignore_case = true)]
    pub to: LayeredFormat,
    /// The file to write; default: beside the picture, with the format's extension.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub finishing: FinishingArgs,
}

/// What goes into the layers beyond the colors and the line art; `nurie export` and `nurie generate`
/// take the same flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FinishingArgs {
    /// 色トレス: recolor the lines from the colors beside them, darkened (their darkness is kept).
    #[arg(long)]
    pub color_trace: bool,
    /// The flats (下塗り, one color per area the lines enclose) as a hidden "Flats" layer; `nurie
    /// generate` also writes them as NNNNN-SEED-flats.png.
    #[arg(long)]
    pub flats: bool,
    /// The widest gap in the lines, in pixels, that still closes an area for the flats.
    #[arg(long, value_name = "PX", requires = "flats")]
    pub flats_gap: Option<u32>,
    /// With --flats, also one hidden layer per flat color ("Flat #rrggbb"), to select a color's areas
    /// at once in the painting program.
    #[arg(long, requires = "flats")]
    pub flats_layers: bool,
    /// Make the background (the areas touching the picture's border) transparent in the color layers and
    /// the merged image, and (`nurie generate`) in the PNG itself, whose colors stay under the
    /// transparency; the line art is kept whole.
    #[arg(long)]
    pub transparent: bool,
}

impl FinishingArgs {
    pub fn options(&self) -> anyhow::Result<LayerOptions> {
        let flats = match (self.flats, self.flats_gap) {
            (false, _) => None,
            (true, None) => Some(FlatsSettings::default()),
            (true, Some(gap)) if gap <= MAX_GAP_PX => Some(FlatsSettings { gap_px: gap, ..FlatsSettings::default() }),
            (true, Some(gap)) => anyhow::bail!("--flats-gap {gap} is wider than the {MAX_GAP_PX} pixels Nurie closes"),
        };
        Ok(LayerOptions {
            color_trace: self.color_trace,
            flats,
            flats_by_color: self.flats_layers,
            transparent: self.transparent,
        })
    }
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let kept = KeptInputs::in_home(&crate::home::data_dir()?);
    let stack = layers_for_picture(&args.picture, &kept, args.finishing.options()?)?;
    let out = args.out.unwrap_or_else(|| args.to.beside(&args.picture));
    args.to.write(&stack, &out)?;
    outln!("{}", out.display());
    Ok(())
}

/// `nurie generate --export` and `--flats`: each picture also written as layered files, and its flats
/// as a PNG, beside its PNG.
pub struct ExportBeside {
    formats: Vec<LayeredFormat>,
    options: LayerOptions,
    /// The first unit's line art as the user gave it.
    drawing: image::RgbImage,
    /// The color hints as the user gave them (the hidden "Hints" layer).
    hints: Option<image::RgbaImage>,
}

impl ExportBeside {
    /// `None` when no format, flats or transparent background is asked for; an error when the line art
    /// cannot be read.
    pub fn new(formats: &[LayeredFormat], finishing: &FinishingArgs, made_from: &MadeFrom) -> anyhow::Result<Option<Self>> {
        if formats.is_empty() && !finishing.flats && !finishing.transparent {
            return Ok(None);
        }
        let options = finishing.options()?;
        let Some(line_art) = made_from.line_art.as_deref() else {
            anyhow::bail!(
                "--export, --flats and --transparent need --lineart: the layers, the flats and the background come from \
                 the line art"
            )
        };
        let drawing = crate::control::load_rgb8(line_art)?;
        let hints = made_from.color_hints.as_deref().map(crate::control::load_rgba8).transpose()?;
        let mut unique = Vec::new();
        for format in formats {
            if !unique.contains(format) {
                unique.push(*format);
            }
        }
        Ok(Some(Self { formats: unique, options, drawing, hints }))
    }

    /// Writes the layered files of `saved` (whose colors are `color`); returns their paths.
    pub fn write(&self, saved: &SavedImage, color: &image::RgbImage) -> anyhow::Result<Vec<PathBuf>> {
        let unit = saved.record.controlnets.first().context("the picture's record has no ControlNet unit")?;
        let mut sources = sources_of_unit(unit, color.clone(), self.drawing.clone());
        sources.hints = self.hints.as_ref().map(|hints| hints_at_size(hints, unit.resize_mode, color.dimensions()));
        let stack = compose_layers(sources, self.options)?;
        if self.options.transparent {
            write_transparent_png(saved, color, &stack.merged)?;
        }
        let mut written = Vec::new();
        if let Some(flats) = stack.layers.iter().find(|layer| layer.name == FLATS_LAYER) {
            let path = flats_png_beside(&saved.path);
            let mut bytes = Vec::new();
            flats.pixels.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)?;
            crate::atomic_write::write_file_atomically(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            written.push(path);
        }
        for format in &self.formats {
            let path = format.beside(&saved.path);
            format.write(&stack, &path)?;
            written.push(path);
        }
        Ok(written)
    }
}

/// `NNNNN-SEED-flats.png` beside `NNNNN-SEED.png`, the name the window's "Save flats…" writes too.
fn flats_png_beside(picture: &Path) -> PathBuf {
    crate::layered::picture_flats::flats_png_beside(picture)
}

/// Rewrites the picture with the merged image's transparency (the background cut out, the lines over
/// it kept) and its own colors, record included: no color is lost under the transparent pixels.
fn write_transparent_png(saved: &SavedImage, color: &image::RgbImage, merged: &image::RgbaImage) -> anyhow::Result<()> {
    let rgba = image::RgbaImage::from_fn(color.width(), color.height(), |x, y| {
        let [r, g, b] = color.get_pixel(x, y).0;
        image::Rgba([r, g, b, merged.get_pixel(x, y).0[3]])
    });
    let pixels = crate::metadata::RgbaImage { width: rgba.width(), height: rgba.height(), pixels: rgba.as_raw() };
    crate::metadata::write_rgba_png_with_record(&saved.path, pixels, &saved.record)
        .with_context(|| format!("making the background of {} transparent", saved.path.display()))
}
