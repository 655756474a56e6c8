//! Connected components of a pixel mask (4-connected), numbered in raster order.
//!
//! Bands of rows are labelled in parallel, each in two passes with union-find (provisional labels per
//! run, then each label replaced by its set's number); the bands' components are then joined where they
//! touch across band edges, and every pixel is renumbered. Only 4-neighbours connect, so a one-pixel
//! diagonal line still separates the areas on its two sides.

use rayon::prelude::*;

/// The label of a pixel that belongs to no component.
pub(crate) const UNLABELLED: u32 = u32::MAX;

/// Labels `0..count` for the pixels where `mask` is true (the component of the earliest pixel in raster
/// order is 0), [`UNLABELLED`] elsewhere; and the count.
pub(crate) fn label_components(mask: &[bool], width: usize) -> (Vec<u32>, u32) {
    let height = mask.len() / width.max(1);
    let band = height.div_ceil(2 * rayon::current_num_threads()).max(1) * width;
    let mut labels = vec![UNLABELLED; mask.len()];
    let counts: Vec<u32> =
        labels.par_chunks_mut(band).zip(mask.par_chunks(band)).map(|(labels, mask)| label_band(mask, labels, width)).collect();
    let offsets: Vec<u32> = counts.iter().scan(0, |next, &count| Some(std::mem::replace(next, *next + count))).collect();
    let mut sets = DisjointSets { parent: (0..counts.iter().sum()).collect() };
    for (edge, &offset) in (band..mask.len()).step_by(band).zip(offsets.iter().skip(1)) {
        let above_offset = offsets[edge / band - 1];
        for x in 0..width {
            let (above, below) = (edge - width + x, edge + x);
            if mask[above] && mask[below] {
                sets.union(labels[above] + above_offset, labels[below] + offset);
            }
        }
    }
    let numbers = sets.numbers();
    labels.par_chunks_mut(band).zip(offsets).for_each(|(labels, offset)| {
        labels.iter_mut().filter(|label| **label != UNLABELLED).for_each(|label| *label = numbers[(*label + offset) as usize]);
    });
    let count = numbers.iter().copied().max().map_or(0, |largest| largest + 1);
    (labels, count)
}

/// Labels one band on its own (`0..count` in raster order); returns the count.
fn label_band(mask: &[bool], labels: &mut [u32], width: usize) -> u32 {
    let mut sets = DisjointSets::default();
    for (index, &inside) in mask.iter().enumerate() {
        if !inside {
            continue;
        }
        let left = (index % width > 0 && mask[index - 1]).then(|| labels[index - 1]);
        let up = (index >= width && mask[index - width]).then(|| labels[index - width]);
        labels[index] = match (left, up) {
            (None, None) => sets.make(),
            (Some(label), None) | (None, Some(label)) => label,
            (Some(left), Some(up)) => sets.union(left, up),
        };
    }
    let numbers = sets.numbers();
    labels.iter_mut().filter(|label| **label != UNLABELLED).for_each(|label| *label = numbers[*label as usize]);
    numbers.iter().copied().max().map_or(0, |largest| largest + 1)
}

/// Union-find over provisional labels; a set's root is its smallest label.
#[derive(Default)]
struct DisjointSets {
    parent: Vec<u32>,
}

/// The root of `label`'s set in a union-find `parent` table, halving the path on the way.
pub(super) fn find_root(parent: &mut [u32], mut label: u32) -> u32 {
    while parent[label as usize] != label {
        let grandparent = parent[parent[label as usize] as usize];
        parent[label as usize] = grandparent;
        label = grandparent;
    }
    label
}

impl DisjointSets {
    fn make(&mut self) -> u32 {
        let label = self.parent.len() as u32;
        self.parent.push(label);
        label
    }

    fn find(&mut self, label: u32) -> u32 {
        find_root(&mut self.parent, label)
    }

    /// Joins the two sets; returns the root of the union.
    fn union(&mut self, a: u32, b: u32) -> u32 {
        let (a, b) = (self.find(a), self.find(b));
        let (root, child) = if a < b { (a, b) } else { (b, a) };
        self.parent[child as usize] = root;
        root
    }

    /// For each provisional label, its set's number: sets are numbered by their smallest label, which is
    /// the order of their first pixels.
    fn numbers(&mut self) -> Vec<u32> {
        let mut numbers = vec![0u32; self.parent.len()];
        let mut next = 0;
        for label in 0..self.parent.len() as u32 {
            let root = self.find(label);
            numbers[label as usize] = if root == label {
                next += 1;
                next - 1
            } else {
                numbers[root as usize]
            };
        }
        numbers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_join_into_the_same_components_as_one_pass() {
        // Stripes and a snake crossing many band edges, labelled with 1 and with 8 threads.
        let (width, height) = (23, 61);
        let mask: Vec<bool> = (0..width * height).map(|i| (i / width) % 7 != 3 && (i % width + i / width) % 5 != 0).collect();
        let single =
            rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a pool").install(|| label_components(&mask, width));
        let many =
            rayon::ThreadPoolBuilder::new().num_threads(8).build().expect("a pool").install(|| label_components(&mask, width));
        assert_eq!(single, many);
        assert!(single.1 > 1);
    }

    #[test]
    fn a_u_shape_is_one_component_and_diagonals_do_not_connect() {
        let picture = ["#.#..", "#.#.#", "###.#", "...#."];
        let width = 5;
        let mask: Vec<bool> = picture.iter().flat_map(|row| row.chars().map(|c| c == '#')).collect();
        let (labels, count) = label_components(&mask, width);
        assert_eq!(count, 3);
        assert_eq!(labels[0], 0);
        assert_eq!(labels[2], 0, "joined through the bottom row");
        assert_eq!(labels[9], 1);
        assert_eq!(labels[18], 2, "touching only diagonally");
        assert_eq!(labels[1], UNLABELLED);
    }
}
