//! Each area's flat color: the dominant color of the AI result inside it.
//!
//! An average would mix the parts of an area the model painted differently (a shadowed half, a stray
//! highlight) into a color that is in neither. Instead the area's non-line pixels are counted in a
//! histogram of colors quantized to [`BITS`] bits per channel. A bin's score is the count of its 3×3×3
//! neighbourhood, so noise straddling a bin edge is not split into two weaker bins; the best-scoring bin
//! wins, and the flat is the mean of the original colors in its neighbourhood (±8 levels per channel
//! around it): a color the model actually painted, without the quantization's steps. Line pixels are
//! left out: under the lines the model paints the lines' dark.

use image::RgbImage;
use rayon::prelude::*;

/// Bits per channel of the histogram: 32 levels separate colors an artist tells apart, while the noise
/// and dithering of a diffusion result stays inside one bin.
const BITS: u32 = 5;
const BINS: usize = 1 << (3 * BITS);

/// The dominant color of each of `count` labels over the pixels where `counted` is true; a label with
/// no counted pixel gets the dominant color of all its pixels.
pub(crate) fn dominant_colors(labels: &[u32], counted: &[bool], color: &RgbImage, count: u32) -> Vec<[u8; 3]> {
    let members = pixels_by_label(labels, counted, count);
    let rgb = color.as_raw();
    let mut colors: Vec<Option<[u8; 3]>> = (0..count as usize)
        .into_par_iter()
        .map_init(Histogram::new, |histogram, label| histogram.dominant(members.iter().map(|band| band.of(label)), rgb))
        .collect();
    if colors.contains(&None) {
        let everything = pixels_by_label(labels, &[], count);
        colors.par_iter_mut().enumerate().filter(|(_, color)| color.is_none()).for_each_init(
            Histogram::new,
            |histogram, (label, color)| {
                *color = histogram.dominant(everything.iter().map(|band| band.of(label)), rgb);
            },
        );
    }
    colors.into_iter().map(Option::unwrap_or_default).collect()
}

/// The pixels of one band of rows sorted by label (a counting sort): label `l`'s pixel indices, in
/// raster order, are `pixels[starts[l]..starts[l + 1]]`.
struct BandMembers {
    starts: Vec<usize>,
    pixels: Vec<u32>,
}

impl BandMembers {
    fn of(&self, label: usize) -> &[u32] {
        &self.pixels[self.starts[label]..self.starts[label + 1]]
    }
}

/// Each band of rows' pixels by label, sorted in parallel; only pixels where `counted` is true, or all
/// when `counted` is empty.
fn pixels_by_label(labels: &[u32], counted: &[bool], count: u32) -> Vec<BandMembers> {
    let band = labels.len().div_ceil(2 * rayon::current_num_threads()).max(1);
    labels
        .par_chunks(band)
        .enumerate()
        .map(|(index, chunk)| {
            let first = index * band;
            let included = |offset: usize| counted.get(first + offset).is_none_or(|&yes| yes);
            let mut starts = vec![0usize; count as usize + 1];
            for (offset, &label) in chunk.iter().enumerate() {
                if included(offset) {
                    starts[label as usize + 1] += 1;
                }
            }
            for label in 0..count as usize {
                starts[label + 1] += starts[label];
            }
            let mut next = starts.clone();
            let mut pixels = vec![0u32; starts[count as usize]];
            for (offset, &label) in chunk.iter().enumerate() {
                if included(offset) {
                    pixels[next[label as usize]] = (first + offset) as u32;
                    next[label as usize] += 1;
                }
            }
            BandMembers { starts, pixels }
        })
        .collect()
}

/// A reusable color histogram: counts and channel sums per bin, cleared bin by bin after each use.
struct Histogram {
    counts: Vec<u32>,
    sums: Vec<[u64; 3]>,
    touched: Vec<usize>,
}

impl Histogram {
    fn new() -> Self {
        Self { counts: vec![0; BINS], sums: vec![[0; 3]; BINS], touched: Vec::new() }
    }

    /// The mean color around the best-scoring bin among `pixels` (ties: the larger bin, then the lowest);
    /// `None` when there are no pixels.
    fn dominant<'a>(&mut self, pixels: impl Iterator<Item = &'a [u32]>, rgb: &[u8]) -> Option<[u8; 3]> {
        for &index in pixels.flatten() {
            let at = index as usize * 3;
            let pixel = [rgb[at], rgb[at + 1], rgb[at + 2]];
            let bin = bin_of(pixel);
            if self.counts[bin] == 0 {
                self.touched.push(bin);
            }
            self.counts[bin] += 1;
            for (sum, value) in self.sums[bin].iter_mut().zip(pixel) {
                *sum += u64::from(value);
            }
        }
        let winner = self.touched.iter().copied().max_by_key(|&bin| (self.score(bin), self.counts[bin], std::cmp::Reverse(bin)));
        let color = winner.map(|bin| self.neighbourhood_mean(bin));
        self.clear();
        color
    }

    /// Pixels in the bin and its 26 neighbours.
    fn score(&self, bin: usize) -> u64 {
        neighbourhood(bin).map(|near| u64::from(self.counts[near])).sum()
    }

    fn neighbourhood_mean(&self, bin: usize) -> [u8; 3] {
        let mut sums = [0u64; 3];
        let mut count = 0u64;
        for near in neighbourhood(bin) {
            count += u64::from(self.counts[near]);
            for (sum, part) in sums.iter_mut().zip(self.sums[near]) {
                *sum += part;
            }
        }
        mean(sums, count)
    }

    fn clear(&mut self) {
        for bin in self.touched.drain(..) {
            self.counts[bin] = 0;
            self.sums[bin] = [0; 3];
        }
    }
}

fn bin_of([r, g, b]: [u8; 3]) -> usize {
    let shift = 8 - BITS;
    (usize::from(r >> shift) << (2 * BITS)) | (usize::from(g >> shift) << BITS) | usize::from(b >> shift)
}

/// The bins one step or less away from `bin` on every channel (itself included).
fn neighbourhood(bin: usize) -> impl Iterator<Item = usize> {
    let levels = 1usize << BITS;
    let mask = levels - 1;
    let channels = [bin >> (2 * BITS), (bin >> BITS) & mask, bin & mask];
    let range = move |level: usize| level.saturating_sub(1)..=(level + 1).min(mask);
    range(channels[0]).flat_map(move |r| {
        range(channels[1]).flat_map(move |g| range(channels[2]).map(move |b| (r << (2 * BITS)) | (g << BITS) | b))
    })
}

/// The rounded mean of `count` colors summed channel by channel (black for none).
fn mean(sums: [u64; 3], count: u64) -> [u8; 3] {
    let count = count.max(1);
    sums.map(|sum| ((sum + count / 2) / count).min(255) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dominant_color_is_the_commonest_bin_not_the_average() {
        // Six pixels of near-red (noise within one bin) and four of blue, all in one area.
        let colors: Vec<[u8; 3]> = [[200, 10, 10], [201, 11, 9], [199, 9, 11], [200, 10, 10], [202, 12, 8], [198, 8, 12]]
            .into_iter()
            .chain([[10, 10, 200]; 4])
            .collect();
        let image = RgbImage::from_raw(10, 1, colors.concat()).expect("10x1 pixels");
        let colors = dominant_colors(&[0; 10], &[true; 10], &image, 1);
        assert_eq!(colors, vec![[200, 10, 10]]);
    }
}
