//! `nurie character`: the library of characters (reference picture and part colors), kept under
//! Nurie's home; `--character NAME` on `generate` and `pages` adds a character's reference unit.

use std::path::PathBuf;

use anyhow::Context;

use crate::characters::{CHARACTER_FILE_EXTENSION, Character, CharacterLibrary, PartColor, export_character, import_character};
use crate::metadata::ReferenceSettings;
use crate::vocabulary::{Choice, ReferenceMode};

#[derive(Debug, clap::Args)]
pub struct CharacterArgs {
    #[command(subcommand)]
    pub action: CharacterAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum CharacterAction {
    /// Add a character: its reference picture (a crop of its character sheet) and part colors.
    Add {
        name: String,
        /// The character sheet or colored page the character's look comes from.
        #[arg(long)]
        reference: PathBuf,
        /// Only this part of the picture: X,Y,WIDTH,HEIGHT in pixels.
        #[arg(long, value_parser = parse_crop)]
        crop: Option<[u32; 4]>,
        /// A part's color, PART=#RRGGBB (repeat: --color hair=#2a1c5e --color eyes=#3b8f6a).
        #[arg(long)]
        color: Vec<String>,
        /// How its reference unit acts: only, adain or adain+attn (only).
        #[arg(long)]
        reference_mode: Option<ReferenceMode>,
        /// Style fidelity in [0, 1] (0.5).
        #[arg(long)]
        style_fidelity: Option<f64>,
        /// Weight, 0 to 2 (1).
        #[arg(long)]
        reference_weight: Option<f64>,
    },
    /// List the characters with their part colors.
    List,
    /// Remove a character (its kept copy of the picture goes too; the original is not touched).
    Remove { name: String },
    /// Write a character as one file (`.nurie-character`) to share.
    Export {
        name: String,
        /// The file to write (default: NAME.nurie-character here).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Add a shared character file to this library.
    Import {
        file: PathBuf,
        /// Keep it under another name (when the library has one of that name already).
        #[arg(long = "as")]
        rename: Option<String>,
    },
}

pub fn run(args: CharacterArgs) -> anyhow::Result<()> {
    let library = CharacterLibrary::in_home(&crate::home::data_dir()?);
    match args.action {
        CharacterAction::Add { name, reference, crop, color, reference_mode, style_fidelity, reference_weight } => {
            let parts = color.iter().map(|text| PartColor::parse(text)).collect::<Result<Vec<_>, _>>()?;
            let defaults = ReferenceSettings::default();
            let settings = ReferenceSettings {
                mode: reference_mode.unwrap_or(defaults.mode),
                style_fidelity: style_fidelity.unwrap_or(defaults.style_fidelity),
                weight: reference_weight.unwrap_or(defaults.weight),
                ..defaults
            };
            let png = reference_png(&reference, crop)?;
            let kept = library.add(Character { name, reference: settings, parts }, &png)?;
            outln!("{}", kept.folder.display());
        }
        CharacterAction::List => {
            let (characters, problems) = library.list();
            for problem in problems {
                errln!("warning: {problem}");
            }
            for kept in characters {
                let parts: Vec<String> = kept.character.parts.iter().map(|p| format!("{} {}", p.part, p.color)).collect();
                let mode = kept.character.reference.mode.label();
                outln!("{}\t{mode}\t{}", kept.character.name, parts.join(", "));
            }
        }
        CharacterAction::Remove { name } => library.remove(&name)?,
        CharacterAction::Export { name, out } => {
            let kept = library.find(&name)?;
            let file = out.unwrap_or_else(|| PathBuf::from(format!("{}.{CHARACTER_FILE_EXTENSION}", kept.character.name)));
            export_character(&kept, &file)?;
            outln!("{}", file.display());
        }
        CharacterAction::Import { file, rename } => {
            let kept = import_character(&file, &library, rename.as_deref())?;
            outln!("{}", kept.character.name);
        }
    }
    Ok(())
}

/// The picture (or its crop) as PNG bytes.
fn reference_png(path: &std::path::Path, crop: Option<[u32; 4]>) -> anyhow::Result<Vec<u8>> {
    let picture = crate::control::load_rgb8(path).with_context(|| format!("the reference picture {}", path.display()))?;
    let picture = match crop {
        Some([x, y, width, height]) => {
            let inside = x.checked_add(width).is_some_and(|right| right <= picture.width())
                && y.checked_add(height).is_some_and(|bottom| bottom <= picture.height());
            anyhow::ensure!(
                inside && width > 0 && height > 0,
                "the crop {x},{y},{width},{height} is not inside the {}×{} picture {}",
                picture.width(),
                picture.height(),
                path.display()
            );
            image::imageops::crop_imm(&picture, x, y, width, height).to_image()
        }
        None => picture,
    };
    let mut png = Vec::new();
    picture.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    Ok(png)
}

fn parse_crop(text: &str) -> Result<[u32; 4], String> {
    let numbers: Vec<u32> =
        text.split(',').map(|n| n.trim().parse::<u32>()).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    numbers.try_into().map_err(|_| format!("`{text}` is not X,Y,WIDTH,HEIGHT"))
}
