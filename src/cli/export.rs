//! `nurie export PICTURE.png --to psd|ora`: a layered file of a picture Nurie made, its colors under the
//! artist's own line art (found by the hash its metadata records, in the drawings Nurie keeps).

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::flats::FlatsSettings;
use crate::layered::{LayerOptions, LayeredFormat, compose_layers, layers_for_picture, sources_of_unit};
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
    /// 色トレス: recolor the lines from the colors beside them, darkened (their darkness is kept).
    #[arg(long)]
    pub color_trace: bool,
    /// Add the flats (下塗り, one color per area the lines enclose) as a hidden "Flats" layer.
    #[arg(long)]
    pub flats: bool,
    /// Make the background (the areas touching the picture's border) transparent in the color layers and
    /// the merged image; the line art is kept whole.
    #[arg(long)]
    pub transparent: bool,
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let kept = KeptInputs::in_home(&crate::home::data_dir()?);
    let options = LayerOptions {
        color_trace: args.color_trace,
        flats: args.flats.then(FlatsSettings::default),
        transparent: args.transparent,
    };
    let stack = layers_for_picture(&args.picture, &kept, options)?;
    let out = args.out.unwrap_or_else(|| args.to.beside(&args.picture));
    args.to.write(&stack, &out)?;
    outln!("{}", out.display());
    Ok(())
}

/// `nurie generate --export`: each picture also written as layered files beside its PNG.
pub struct ExportBeside {
    formats: Vec<LayeredFormat>,
    /// The first unit's line art as the user gave it.
    drawing: image::RgbImage,
}

impl ExportBeside {
    /// `None` when no format is asked for; an error when the line art cannot be read.
    pub fn new(formats: &[LayeredFormat], line_art: Option<&Path>) -> anyhow::Result<Option<Self>> {
        if formats.is_empty() {
            return Ok(None);
        }
        let Some(line_art) = line_art else { anyhow::bail!("--export needs --lineart: the line art is the top layer") };
        let drawing = crate::control::load_rgb8(line_art)?;
        let mut unique = Vec::new();
        for format in formats {
            if !unique.contains(format) {
                unique.push(*format);
            }
        }
        Ok(Some(Self { formats: unique, drawing }))
    }

    /// Writes the layered files of `saved` (whose colors are `color`); returns their paths.
    pub fn write(&self, saved: &SavedImage, color: &image::RgbImage) -> anyhow::Result<Vec<PathBuf>> {
        let unit = saved.record.controlnets.first().context("the picture's record has no ControlNet unit")?;
        let stack = compose_layers(sources_of_unit(unit, color.clone(), self.drawing.clone()), LayerOptions::default())?;
        let mut written = Vec::new();
        for format in &self.formats {
            let path = format.beside(&saved.path);
            format.write(&stack, &path)?;
            written.push(path);
        }
        Ok(written)
    }
}
