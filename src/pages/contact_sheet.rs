//! A chapter's pages side by side in one picture, in page order (left to right, then down), so the page
//! that went off-model shows at a glance.

use std::path::{Path, PathBuf};

use image::{Rgb, RgbImage, imageops};

use super::Chapter;

/// The contact sheet's name in a chapter's output folder.
const CONTACT_SHEET: &str = "contact-sheet";
/// The side of a page's cell on the written sheet.
const CELL: u32 = 256;

/// Space between and around the pages, in pixels.
const GUTTER: u32 = 8;
const BACKGROUND: Rgb<u8> = Rgb([236, 236, 236]);

/// The pages (`None`: not colored yet, left blank) in a grid of about square shape, each fitted into a
/// `cell`-pixel square.
pub fn contact_sheet(pages: &[Option<RgbImage>], cell: u32) -> RgbImage {
    let count = pages.len().max(1) as u32;
    let columns = (count as f64).sqrt().ceil() as u32;
    let rows = count.div_ceil(columns);
    let side = |cells: u32| cells * cell + (cells + 1) * GUTTER;
    let mut sheet = RgbImage::from_pixel(side(columns), side(rows), BACKGROUND);
    for (index, page) in pages.iter().enumerate() {
        let Some(page) = page else { continue };
        let (column, row) = (index as u32 % columns, index as u32 / columns);
        let scale = (cell as f64 / page.width().max(page.height()) as f64).min(1.0);
        let (width, height) = ((page.width() as f64 * scale).round() as u32, (page.height() as f64 * scale).round() as u32);
        let thumbnail = imageops::thumbnail(page, width.max(1), height.max(1));
        let x = GUTTER + column * (cell + GUTTER) + (cell - thumbnail.width()) / 2;
        let y = GUTTER + row * (cell + GUTTER) + (cell - thumbnail.height()) / 2;
        imageops::overlay(&mut sheet, &thumbnail, i64::from(x), i64::from(y));
    }
    sheet
}

/// Writes `OUT/contact-sheet.png`: every page's first picture in `out` side by side, in page order
/// (blank where a page is not colored yet). `None`, and nothing written, when a drawing is itself
/// called `contact-sheet`.
pub fn write_contact_sheet(chapter: &Chapter, out: &Path, pictures: usize) -> std::io::Result<Option<PathBuf>> {
    if chapter.pages.iter().any(|page| page.name().eq_ignore_ascii_case(CONTACT_SHEET)) {
        return Ok(None);
    }
    let firsts: Vec<Option<RgbImage>> = chapter
        .pages
        .iter()
        .map(|page| page.outputs(out, pictures).first().and_then(|path| image::open(path).ok()).map(|p| p.to_rgb8()))
        .collect();
    let mut png = Vec::new();
    contact_sheet(&firsts, CELL)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(std::io::Error::other)?;
    let path = out.join(format!("{CONTACT_SHEET}.png"));
    crate::atomic_write::write_file_atomically(&path, &png)?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_sit_in_order_in_a_square_grid_and_missing_ones_stay_blank() {
        let page = |shade: u8| Some(RgbImage::from_pixel(40, 20, Rgb([shade, 0, 0])));
        let sheet = contact_sheet(&[page(10), page(20), None, page(40), page(50)], 32);
        // Five pages: 3 columns, 2 rows of 32-pixel cells with 8-pixel gutters.
        assert_eq!(sheet.dimensions(), (3 * 32 + 4 * 8, 2 * 32 + 3 * 8));
        let center = |column: u32, row: u32| *sheet.get_pixel(8 + column * 40 + 16, 8 + row * 40 + 16);
        assert_eq!(center(0, 0), Rgb([10, 0, 0]));
        assert_eq!(center(1, 0), Rgb([20, 0, 0]));
        assert_eq!(center(2, 0), BACKGROUND, "the page not colored yet is blank");
        assert_eq!(center(0, 1), Rgb([40, 0, 0]));
        assert_eq!(center(1, 1), Rgb([50, 0, 0]));
        // A wide page keeps its shape: 32×16, centered in its cell.
        assert_eq!(*sheet.get_pixel(8 + 16, 8 + 4), BACKGROUND);
    }
}
