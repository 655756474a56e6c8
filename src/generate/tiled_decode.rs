//! VAE decoding of large pictures in overlapping tiles, blended without seams.
//!
//! The decoder's activations at full resolution are what limits the picture size on a GPU (2048² needs
//! about 10 GB at once in f32). Above [`TILE_ABOVE`] latent pixels the latents are cut into tiles of
//! [`TILE`]² latents that overlap by [`OVERLAP`]; each tile is decoded on its own and its pixels are
//! averaged with its neighbours' under weights that ramp linearly across the overlap, so the tiles
//! meet without a visible edge. Like diffusers' `enable_vae_tiling`, tiles see only their own region, so
//! their group norms' statistics differ slightly from a whole-picture decode.

/// Latent side above which a picture is decoded in tiles: 96 latents = 768 pixels.
pub const TILE_ABOVE: usize = 96;
/// Tile side in latents (512 pixels).
pub const TILE: usize = 64;
/// Overlap between neighbouring tiles in latents (128 pixels).
pub const OVERLAP: usize = 16;
/// Pixels per latent.
const SCALE: usize = 8;

/// How one picture is cut: tile side and overlap in latents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiling {
    pub tile: usize,
    pub overlap: usize,
}

impl Tiling {
    /// The tiling for latents of `size`, or `None` when the picture is decoded whole.
    pub fn for_size([h, w]: [usize; 2]) -> Option<Self> {
        (h > TILE_ABOVE || w > TILE_ABOVE).then_some(Self { tile: TILE, overlap: OVERLAP })
    }

    /// Start positions along an axis of `length` latents: every `tile − overlap`, the last flush with
    /// the end.
    fn starts(&self, length: usize) -> Vec<usize> {
        if length <= self.tile {
            return vec![0];
        }
        let step = self.tile - self.overlap;
        let mut starts: Vec<usize> = (0..).map(|i| i * step).take_while(|&s| s + self.tile < length).collect();
        starts.push(length - self.tile);
        starts
    }
}

/// Decodes `latents` ([channels, h, w] on the host) tile by tile with `decode_tile`, which takes a tile's
/// latents ([channels, th, tw]) with its size and returns its pixels ([3, 8·th, 8·tw]). Returns the
/// blended picture [3, 8h, 8w].
pub fn decode_tiled<E>(
    latents: &[f32],
    channels: usize,
    [h, w]: [usize; 2],
    tiling: Tiling,
    mut decode_tile: impl FnMut(Vec<f32>, [usize; 2]) -> Result<Vec<f32>, E>,
) -> Result<Vec<f32>, E> {
    let (height, width) = (h * SCALE, w * SCALE);
    let mut sum = vec![0.0f32; 3 * height * width];
    let mut weight_sum = vec![0.0f32; height * width];
    let (rows, columns) = (tiling.starts(h), tiling.starts(w));
    for &top in &rows {
        for &left in &columns {
            let [th, tw] = [tiling.tile.min(h), tiling.tile.min(w)];
            let tile = crop(latents, channels, [h, w], [top, left], [th, tw]);
            let pixels = decode_tile(tile, [th, tw])?;
            let ramp_y = ramp(th * SCALE, tiling.overlap * SCALE, top > 0, top + th < h);
            let ramp_x = ramp(tw * SCALE, tiling.overlap * SCALE, left > 0, left + tw < w);
            for y in 0..th * SCALE {
                let row = (top * SCALE + y) * width + left * SCALE;
                for x in 0..tw * SCALE {
                    let weight = ramp_y[y] * ramp_x[x];
                    weight_sum[row + x] += weight;
                    for c in 0..3 {
                        sum[c * height * width + row + x] += weight * pixels[(c * th * SCALE + y) * tw * SCALE + x];
                    }
                }
            }
        }
    }
    for plane in sum.chunks_exact_mut(height * width) {
        plane.iter_mut().zip(&weight_sum).for_each(|(value, weight)| *value /= weight);
    }
    Ok(sum)
}

/// The latents [channels, th, tw] at `[top, left]` of `latents` [channels, h, w].
fn crop(latents: &[f32], channels: usize, [h, w]: [usize; 2], [top, left]: [usize; 2], [th, tw]: [usize; 2]) -> Vec<f32> {
    let mut tile = Vec::with_capacity(channels * th * tw);
    for c in 0..channels {
        for y in top..top + th {
            let row = (c * h + y) * w;
            tile.extend_from_slice(&latents[row + left..row + left + tw]);
        }
    }
    tile
}

/// Weights along one side of a tile of `length` pixels: rising linearly over the first `overlap`
/// pixels when a tile comes before, falling over the last `overlap` when one comes after, 1 elsewhere.
/// Never zero, so every pixel has weight.
fn ramp(length: usize, overlap: usize, before: bool, after: bool) -> Vec<f32> {
    (0..length)
        .map(|i| {
            let rise = if before && i < overlap { (i as f32 + 0.5) / overlap as f32 } else { 1.0 };
            let fall = if after && i >= length - overlap { (length - i) as f32 - 0.5 } else { overlap as f32 };
            rise.min(fall / overlap as f32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in decoder that depends on each latent alone: nearest upscaling ×8 of three mixes of
    /// the channels. Tiling must reproduce its whole-picture output exactly.
    fn pointwise(latents: &[f32], [h, w]: [usize; 2]) -> Vec<f32> {
        let (height, width) = (h * SCALE, w * SCALE);
        let mut out = vec![0.0; 3 * height * width];
        for c in 0..3 {
            for y in 0..height {
                for x in 0..width {
                    let at = |k: usize| latents[(k * h + y / SCALE) * w + x / SCALE];
                    out[(c * height + y) * width + x] = at(c) + 0.5 * at(3) - 0.1 * c as f32;
                }
            }
        }
        out
    }

    #[test]
    fn tiles_cover_the_picture_and_blend_to_the_whole_decode() {
        let size = [22, 37];
        let latents: Vec<f32> = (0..4 * 22 * 37).map(|i| ((i * 7919) % 113) as f32 / 50.0 - 1.0).collect();
        let tiling = Tiling { tile: 10, overlap: 4 };
        let mut tiles = 0;
        let tiled = decode_tiled(&latents, 4, size, tiling, |tile, tile_size| {
            tiles += 1;
            Ok::<_, ()>(pointwise(&tile, tile_size))
        })
        .unwrap();
        assert_eq!(tiles, tiling.starts(22).len() * tiling.starts(37).len());
        assert!(tiles > 6, "{tiles}");
        let whole = pointwise(&latents, size);
        for (a, b) in tiled.iter().zip(&whole) {
            assert!((a - b).abs() < 1e-5, "{a} {b}");
        }
    }

    #[test]
    fn tile_starts_step_by_tile_minus_overlap_and_end_flush() {
        let tiling = Tiling { tile: TILE, overlap: OVERLAP };
        assert_eq!(tiling.starts(64), vec![0]);
        assert_eq!(tiling.starts(256), vec![0, 48, 96, 144, 192]);
        assert_eq!(tiling.starts(100), vec![0, 36]);
        assert_eq!(Tiling::for_size([96, 96]), None);
        assert_eq!(Tiling::for_size([64, 128]), Some(tiling));
    }

    #[test]
    fn ramps_rise_and_fall_only_where_neighbours_are() {
        let both = ramp(16, 4, true, true);
        assert_eq!(&both[4..12], &[1.0; 8]);
        assert!(both[0] > 0.0 && both[0] < both[1] && both[15] > 0.0 && both[15] < both[14]);
        assert_eq!(ramp(16, 4, false, false), vec![1.0; 16]);
        // Two overlapping ramps sum to one across the overlap.
        let (a, b) = (ramp(16, 4, false, true), ramp(16, 4, true, false));
        for i in 0..4 {
            assert!((a[12 + i] + b[i] - 1.0).abs() < 1e-6);
        }
    }
}
