//! One channel of an RGBA picture, PackBits-coded row by row as PSD stores it: the rows' code lengths
//! (2 bytes each in a PSD, not a PSB) then the codes.

use image::RgbaImage;

use super::packbits::pack_row;

/// Channel ids in a PSD layer record: −1 is the transparency mask.
pub const ALPHA_ID: i16 = -1;

/// A channel's rows, PackBits-coded.
pub struct PackedChannel {
    pub row_lengths: Vec<u16>,
    pub code: Vec<u8>,
}

impl PackedChannel {
    /// Codes channel `index` (0 R, 1 G, 2 B, 3 A) of `pixels`. A PSD side is at most 30 000 px, so a
    /// row's code (at most 30 000 + 30 000/128 bytes) fits the 2-byte length.
    pub fn of(pixels: &RgbaImage, index: usize) -> Self {
        let width = pixels.width() as usize;
        let mut row = Vec::with_capacity(width);
        let mut code = Vec::new();
        let mut row_lengths = Vec::with_capacity(pixels.height() as usize);
        for line in pixels.rows() {
            row.clear();
            row.extend(line.map(|p| p.0[index]));
            row_lengths.push(pack_row(&row, &mut code) as u16);
        }
        Self { row_lengths, code }
    }

    /// Bytes of the channel as a layer stores it: compression (2), row lengths, code.
    pub fn layer_len(&self) -> u64 {
        2 + 2 * self.row_lengths.len() as u64 + self.code.len() as u64
    }
}

/// The RGBA index of a layer channel id.
pub fn rgba_index(id: i16) -> usize {
    match id {
        ALPHA_ID => 3,
        color => color as usize,
    }
}
