//! A1111's tile grid (`images.split_grid` / `combine_grid`): a picture cut into overlapping tiles, each
//! processed alone, then pasted back row by row, each tile's first `overlap` columns (each row's first
//! `overlap` lines) blended over what is there by a linear ramp. Its ESRGAN upscaling and "SD upscale" both
//! work this way, so a network of any size runs on a picture of any size in the memory of one tile.

use image::RgbImage;

use super::error::UpscaleError;

/// Where the tiles of a picture are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileGrid {
    pub width: u32,
    pub height: u32,
    pub tile_width: u32,
    pub tile_height: u32,
    pub overlap: u32,
    /// Left edges of the tiles of a row.
    pub columns: Vec<u32>,
    /// Top edges of the rows.
    pub rows: Vec<u32>,
}

impl TileGrid {
    /// The grid A1111 lays over a `width`×`height` picture: as few tiles as the overlap allows, spread
    /// evenly, the last flush with the edge. A tile larger than the picture shrinks to it (A1111 would pad
    /// it with black instead).
    pub fn new(width: u32, height: u32, tile: u32, overlap: u32) -> Result<Self, UpscaleError> {
        Self::with_tiles(width, height, [tile, tile], overlap)
    }

    /// [`TileGrid::new`] with tiles of [width, height] (A1111's SD upscale tiles at the generation size).
    pub fn with_tiles(width: u32, height: u32, [tile_width, tile_height]: [u32; 2], overlap: u32) -> Result<Self, UpscaleError> {
        let tile = tile_width.min(tile_height);
        if overlap >= tile {
            return Err(UpscaleError::BadTile { tile, overlap });
        }
        let (tile_width, tile_height) = (tile_width.min(width), tile_height.min(height));
        Ok(Self {
            width,
            height,
            tile_width,
            tile_height,
            overlap,
            columns: starts(width, tile_width, overlap),
            rows: starts(height, tile_height, overlap),
        })
    }

    pub fn len(&self) -> usize {
        self.columns.len() * self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each tile's top-left corner, row by row.
    pub fn corners(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.rows.iter().flat_map(|&y| self.columns.iter().map(move |&x| (x, y)))
    }

    /// The tile at `corner` cut out of `picture`.
    pub fn tile(&self, picture: &RgbImage, (x, y): (u32, u32)) -> RgbImage {
        image::imageops::crop_imm(picture, x, y, self.tile_width, self.tile_height).to_image()
    }

    /// The same grid over the picture `factor` times larger (tiles, positions and overlap scaled).
    pub fn scaled(&self, factor: u32) -> Self {
        let times = |values: &[u32]| values.iter().map(|value| value * factor).collect();
        Self {
            width: self.width * factor,
            height: self.height * factor,
            tile_width: self.tile_width * factor,
            tile_height: self.tile_height * factor,
            overlap: self.overlap * factor,
            columns: times(&self.columns),
            rows: times(&self.rows),
        }
    }

    /// The picture made of every tile processed by `process(index, corner)` (corners of this grid), placed on
    /// `into` (this grid, or this grid scaled) row by row: each row is pasted, blended as A1111's
    /// `combine_grid` blends with Pillow, as soon as its tiles are done, so only one row of them is held.
    /// `Ok(None)` as soon as `process` gives no tile (cancelled).
    pub fn assemble<E>(
        &self,
        into: &TileGrid,
        mut process: impl FnMut(usize, (u32, u32)) -> Result<Option<RgbImage>, E>,
    ) -> Result<Option<RgbImage>, E> {
        let columns = self.columns.len().max(1);
        let mut picture = RgbImage::new(into.width, into.height);
        let mut row = Vec::with_capacity(columns);
        for (index, corner) in self.corners().enumerate() {
            let Some(tile) = process(index, corner)? else { return Ok(None) };
            row.push(tile);
            if row.len() == columns {
                into.paste_row(&mut picture, index / columns, &row);
                row.clear();
            }
        }
        Ok(Some(picture))
    }

    /// Pastes row `row`'s processed tiles into `picture`, each tile's first `overlap` columns (the row's first
    /// `overlap` lines) blended over what is there.
    fn paste_row(&self, picture: &mut RgbImage, row: usize, tiles: &[RgbImage]) {
        let Some(&y) = self.rows.get(row) else { return };
        let ramp = self.ramp();
        let mut strip = RgbImage::new(self.width, self.tile_height);
        for (column_index, (&x, tile)) in self.columns.iter().zip(tiles).enumerate() {
            paste(&mut strip, tile, x, 0, |dx, _| if column_index == 0 { 255 } else { ramp_at(&ramp, dx) });
        }
        paste(picture, &strip, 0, y, |_, dy| if row == 0 { 255 } else { ramp_at(&ramp, dy) });
    }

    /// The blend weights across the overlap, as A1111 computes them (`i · 255 / overlap`, truncated).
    fn ramp(&self) -> Vec<u8> {
        (0..self.overlap).map(|i| (i as f32 * 255.0 / self.overlap as f32) as u8).collect()
    }
}

/// The ramp's weight `offset` pixels into a tile (full weight past the overlap).
fn ramp_at(ramp: &[u8], offset: u32) -> u8 {
    ramp.get(offset as usize).copied().unwrap_or(255)
}

/// Tile starts along one side, as A1111 spaces them.
fn starts(side: u32, tile: u32, overlap: u32) -> Vec<u32> {
    if side <= tile {
        return vec![0];
    }
    let count = (side - overlap).div_ceil(tile - overlap);
    let step = f64::from(side - tile) / f64::from(count - 1);
    (0..count).map(|i| ((f64::from(i) * step) as u32).min(side - tile)).collect()
}

/// Pastes `top` at (`x`, `y`) over `base`, each pixel blended by `weight(dx, dy)` out of 255 the way Pillow's
/// `paste` with an "L" mask rounds.
fn paste(base: &mut RgbImage, top: &RgbImage, x: u32, y: u32, weight: impl Fn(u32, u32) -> u8) {
    for (dx, dy, pixel) in top.enumerate_pixels() {
        let Some(under) = base.get_pixel_mut_checked(x + dx, y + dy) else { continue };
        let mask = u32::from(weight(dx, dy));
        for (out, &over) in under.0.iter_mut().zip(&pixel.0) {
            let sum = u32::from(*out) * (255 - mask) + u32::from(over) * mask + 128;
            *out = (((sum >> 8) + sum) >> 8) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_spread_evenly_and_end_at_the_edge() {
        assert_eq!(starts(10, 8, 2), vec![0, 2]);
        assert_eq!(starts(512, 192, 8), vec![0, 160, 320]);
        assert_eq!(starts(100, 192, 8), vec![0]);
        let grid = TileGrid::new(1000, 300, 192, 8).unwrap();
        assert_eq!(*grid.columns.last().unwrap(), 1000 - 192);
        assert_eq!(grid.len(), grid.columns.len() * 2);
    }

    #[test]
    fn an_overlap_as_wide_as_the_tile_is_refused() {
        assert!(matches!(TileGrid::new(100, 100, 8, 8), Err(UpscaleError::BadTile { tile: 8, overlap: 8 })));
    }

    #[test]
    fn tiles_cut_from_a_picture_combine_back_into_it() {
        let picture = RgbImage::from_fn(37, 23, |x, y| image::Rgb([(x * 7) as u8, (y * 11) as u8, ((x + y) * 3) as u8]));
        let grid = TileGrid::new(37, 23, 16, 4).unwrap();
        let assembled = grid.assemble(&grid, |_, corner| Ok::<_, ()>(Some(grid.tile(&picture, corner))));
        assert_eq!(assembled, Ok(Some(picture)));
    }
}
