//! Synthetic pictures for measuring the history (`nurie bench history`): small PNGs with A1111
//! infotext, as A1111 writes it, with varied prompts (some Japanese), four models, seeds, and a colour
//! pattern of their own so thumbnails differ. Spread over folders of 1,000, as dated output folders are.

use std::path::Path;

use crate::metadata::{self, RgbImage, TextEncoding, TextEntry};

const WORDS: [&str; 16] = [
    "1girl",
    "solo",
    "watercolor",
    "blue sky",
    "cherry blossoms",
    "school uniform",
    "night city",
    "forest",
    "smile",
    "long hair",
    "cat ears",
    "sunset",
    "rain",
    "flowers",
    "masterpiece",
    "best quality",
];
const JAPANESE: [&str; 4] = ["線画に色を塗る", "青い空と白い雲", "桜の木の下で", "夜の街並み"];
const MODELS: [&str; 4] = ["counterfeitV30_v30", "anything-v4.5", "meinamix_v11", "v1-5-pruned-emaonly"];

/// Pictures per subfolder.
const PER_FOLDER: usize = 1000;

/// The infotext of synthetic picture `i`: six prompt words, a Japanese phrase in one of ten, seed `i`.
fn synthetic_infotext(i: usize) -> String {
    // A multiplicative hash spreads the word choices (Knuth's 2654435761).
    let pick = |k: usize| (i.wrapping_mul(2_654_435_761).wrapping_add(k * 40_503) >> (k + 3)) % WORDS.len();
    let words: Vec<&str> = (0..6).map(|k| WORDS[pick(k)]).collect();
    let japanese = if i.is_multiple_of(10) { format!(", {}", JAPANESE[i / 10 % JAPANESE.len()]) } else { String::new() };
    format!(
        "{}{japanese}\nNegative prompt: lowres, bad anatomy\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: {i}, \
         Size: 512x512, Model hash: {:010x}, Model: {}, Version: v1.10.1",
        words.join(", "),
        i % MODELS.len() * 0x1111_1111,
        MODELS[i % MODELS.len()]
    )
}

/// Writes `count` pictures of `side`×`side` pixels under `folder` (`000/00000-0.png`, …), calling
/// `progress` with the number written after each one.
pub fn write_synthetic_pictures(folder: &Path, count: usize, side: u32, progress: &mut dyn FnMut(usize)) -> metadata::Result<()> {
    for i in 0..count {
        let subfolder = folder.join(format!("{:03}", i / PER_FOLDER));
        if i % PER_FOLDER == 0 {
            std::fs::create_dir_all(&subfolder)
                .map_err(|source| metadata::MetadataError::Write { path: subfolder.clone(), source })?;
        }
        let path = subfolder.join(format!("{i:05}-{i}.png"));
        let pixels = pattern(i, side);
        let image = RgbImage { width: side, height: side, pixels: &pixels };
        let parameters = synthetic_infotext(i);
        let text = TextEntry { keyword: "parameters", text: &parameters, encoding: TextEncoding::LatinWhenPossible };
        let bytes = metadata::encode_png(&path, image, &[text])?;
        std::fs::write(&path, bytes).map_err(|source| metadata::MetadataError::Write { path: path.clone(), source })?;
        progress(i + 1);
    }
    Ok(())
}

/// A diagonal gradient whose colours depend on `i`.
fn pattern(i: usize, side: u32) -> Vec<u8> {
    let hue = [(i * 37 % 256) as u32, (i * 91 % 256) as u32, (i * 53 % 256) as u32];
    let side = side.max(1);
    (0..side * side)
        .flat_map(|p| {
            let (x, y) = (p % side, p / side);
            let t = (x + y) * 255 / (2 * side);
            hue.map(|h| ((h + t) % 256) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::history::test_images::new_library;
    use crate::history::{Query, import_folder};

    #[test]
    fn synthetic_pictures_import_and_are_found() {
        let (db, pictures) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut written = 0;
        write_synthetic_pictures(pictures.path(), 40, 16, &mut |n| written = n).unwrap();
        assert_eq!(written, 40);
        let library = new_library(db.path());
        let report = import_folder(&library, pictures.path(), &mut |_| {}, &AtomicBool::new(false)).unwrap();
        assert_eq!((report.added, report.skipped.len()), (40, 0));
        // Pictures 0, 10, 20 and 30 carry the four Japanese phrases in turn.
        assert_eq!(library.count(&Query::parse("seed:17")).unwrap(), 1);
        assert_eq!(library.count(&Query::parse("線画")).unwrap(), 1, "picture 0 only");
        assert_eq!(library.count(&Query::parse("model:meina")).unwrap(), 10);
    }
}
