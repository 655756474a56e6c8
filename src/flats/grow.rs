//! Growing labelled areas into unlabelled pixels without crossing walls: a multi-source breadth-first
//! search, so each pixel takes the label of the nearest labelled pixel (in 4-connected steps through
//! passable pixels). It runs once to spread the ball-fill seeds back to the lines, and once to give
//! the lines themselves the label of the area they border.

use rayon::prelude::*;

use super::components::UNLABELLED;

/// Gives every unlabelled `passable` pixel reachable from a labelled one the label of the nearest.
/// Ties between two fronts go to the one queued first (seeds in raster order), so the result is
/// deterministic.
pub(crate) fn grow_labels(labels: &mut [u32], passable: &[bool], width: usize) {
    let seeds = frontier(labels, passable, width);
    grow_labels_from(labels, passable, width, seeds);
}

/// [`grow_labels`] from the given labelled pixels only, in their order.
pub(crate) fn grow_labels_from(labels: &mut [u32], passable: &[bool], width: usize, seeds: Vec<u32>) {
    let mut queue = seeds;
    let mut head = 0;
    while let Some(&index) = queue.get(head) {
        head += 1;
        let index = index as usize;
        let label = labels[index];
        for neighbour in neighbours(index, width, labels.len()) {
            if passable[neighbour] && labels[neighbour] == UNLABELLED {
                labels[neighbour] = label;
                queue.push(neighbour as u32);
            }
        }
    }
}

/// Labelled pixels with an unlabelled passable 4-neighbour, in raster order.
fn frontier(labels: &[u32], passable: &[bool], width: usize) -> Vec<u32> {
    let total = labels.len();
    let rows: Vec<Vec<u32>> = (0..total / width)
        .into_par_iter()
        .map(|y| {
            (y * width..(y + 1) * width)
                .filter(|&index| {
                    labels[index] != UNLABELLED && neighbours(index, width, total).any(|n| passable[n] && labels[n] == UNLABELLED)
                })
                .map(|index| index as u32)
                .collect()
        })
        .collect();
    rows.concat()
}

/// The 4-neighbours of a pixel inside the picture: left, right, up, down.
fn neighbours(index: usize, width: usize, total: usize) -> impl Iterator<Item = usize> {
    let x = index % width;
    [
        (x > 0).then(|| index - 1),
        (x + 1 < width).then(|| index + 1),
        index.checked_sub(width),
        Some(index + width).filter(|&below| below < total),
    ]
    .into_iter()
    .flatten()
}
