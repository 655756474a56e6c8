//! The areas the lines enclose, with small gaps closed: a trapped-ball fill.
//!
//! 1. Seeds: the connected pieces of free space where a ball of the gap's radius fits
//!    ([`super::ball`]). A gap in a line narrower than the ball is not passable, so the areas on its
//!    two sides get different seeds, even though their free pixels touch through the gap.
//! 2. Growth: the seeds spread back into all free space, never through lines; where two seeds meet
//!    inside a gap, each keeps its own side.
//! 3. Thin areas: free space no seed reached (a stripe between hatching lines, an area narrower than
//!    the ball) becomes areas of its own, labelled by connected pieces.
//!
//! Every non-line pixel ends with a label; line pixels stay [`UNLABELLED`].

use rayon::prelude::*;

use super::ball::ball_centres;
use super::components::{UNLABELLED, label_components};
use super::grow::{grow_labels, grow_labels_from};
use super::timing::StageClock;

/// Labels `0..count` for the non-line pixels; returns them and the count.
pub(crate) fn label_areas(lines: &[bool], width: usize, radius: u32, clock: &mut StageClock) -> (Vec<u32>, u32) {
    let centres = ball_centres(lines, width, radius);
    clock.lap("ball fit");
    let (mut labels, seeded) = label_components(&centres, width);
    drop(centres);
    clock.lap("seed areas");
    let free: Vec<bool> = lines.par_iter().map(|&line| !line).collect();
    grow_labels(&mut labels, &free, width);
    clock.lap("grow areas");
    let count = label_thin_areas(&mut labels, &free, width, seeded);
    clock.lap("thin areas");
    (labels, count)
}

/// Labels the free pixels no seed reached, numbering after the `seeded` areas in the order of their
/// first pixels; returns the new count. Costs a parallel scan plus the missed pixels, which are few.
fn label_thin_areas(labels: &mut [u32], free: &[bool], width: usize, seeded: u32) -> u32 {
    let missed: Vec<Vec<u32>> = labels
        .par_chunks(width)
        .zip(free.par_chunks(width))
        .enumerate()
        .map(|(y, (row, free_row))| {
            let missed = row.iter().zip(free_row).enumerate().filter(|(_, (label, free))| **free && **label == UNLABELLED);
            missed.map(|(x, _)| (y * width + x) as u32).collect()
        })
        .collect();
    let mut count = seeded;
    for start in missed.into_iter().flatten() {
        if labels[start as usize] == UNLABELLED {
            labels[start as usize] = count;
            grow_labels_from(labels, free, width, vec![start]);
            count += 1;
        }
    }
    count
}
