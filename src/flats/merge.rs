//! Merging areas too small to keep into a neighbour.
//!
//! Runs after the lines took their areas' labels, so two areas on either side of a line touch where the
//! two fronts met inside it: a speck enclosed by a tiny loop of line still has neighbours. Each small
//! area, smallest first, joins the neighbour it shares the longest border with (ties: the larger, then
//! the earlier one); an area that grew past the limit by absorbing specks stays.

use std::collections::HashMap;

use rayon::prelude::*;

/// Merges areas with fewer than `min_area` non-line pixels into neighbours and renumbers the labels
/// `0..count` in the order of the surviving areas' old numbers. Returns the new count.
pub(crate) fn merge_small_areas(labels: &mut [u32], lines: &[bool], width: usize, count: u32, min_area: usize) -> u32 {
    let areas = area_sizes(labels, lines, count);
    if areas.iter().all(|&area| area >= min_area) {
        return count;
    }
    let borders = shared_borders(labels, width);
    let mut groups = Groups::new(areas.clone());
    let mut order: Vec<u32> = (0..count).filter(|&label| areas[label as usize] < min_area).collect();
    order.sort_by_key(|&label| (areas[label as usize], label));
    for label in order {
        if groups.area(label) >= min_area {
            continue;
        }
        if let Some(target) = best_neighbour(label, &borders, &mut groups) {
            groups.join(label, target);
        }
    }
    renumber(labels, &mut groups, count)
}

/// Non-line pixels per label.
fn area_sizes(labels: &[u32], lines: &[bool], count: u32) -> Vec<usize> {
    let mut areas = vec![0usize; count as usize];
    for (&label, &line) in labels.iter().zip(lines) {
        if !line {
            areas[label as usize] += 1;
        }
    }
    areas
}

/// For each label, its neighbours and the number of 4-adjacent pixel pairs they share, sorted by label.
fn shared_borders(labels: &[u32], width: usize) -> HashMap<u32, Vec<(u32, usize)>> {
    let pairs = labels
        .par_chunks(width)
        .enumerate()
        .fold(HashMap::<(u32, u32), usize>::new, |mut pairs, (y, row)| {
            let below = labels.get((y + 1) * width..(y + 2) * width);
            for (x, &label) in row.iter().enumerate() {
                let right = row.get(x + 1).copied();
                let down = below.map(|below| below[x]);
                for other in [right, down].into_iter().flatten().filter(|&other| other != label) {
                    *pairs.entry((label.min(other), label.max(other))).or_default() += 1;
                }
            }
            pairs
        })
        .reduce(HashMap::new, |mut all, part| {
            for (pair, length) in part {
                *all.entry(pair).or_default() += length;
            }
            all
        });
    let mut borders: HashMap<u32, Vec<(u32, usize)>> = HashMap::new();
    for ((a, b), length) in pairs {
        borders.entry(a).or_default().push((b, length));
        borders.entry(b).or_default().push((a, length));
    }
    borders.values_mut().for_each(|list| list.sort_unstable());
    borders
}

/// The group `label` shares the longest border with, other than its own.
fn best_neighbour(label: u32, borders: &HashMap<u32, Vec<(u32, usize)>>, groups: &mut Groups) -> Option<u32> {
    let own = groups.find(label);
    let mut lengths: Vec<(u32, usize)> = Vec::new();
    for &(neighbour, length) in borders.get(&label).map(Vec::as_slice).unwrap_or_default() {
        let root = groups.find(neighbour);
        if root == own {
            continue;
        }
        match lengths.iter_mut().find(|(existing, _)| *existing == root) {
            Some((_, total)) => *total += length,
            None => lengths.push((root, length)),
        }
    }
    lengths.into_iter().max_by_key(|&(root, length)| (length, groups.area(root), std::cmp::Reverse(root))).map(|(root, _)| root)
}

/// Rewrites every label to its group's new number; returns the number of groups.
fn renumber(labels: &mut [u32], groups: &mut Groups, count: u32) -> u32 {
    let mut numbers = vec![0u32; count as usize];
    let mut next = 0;
    for label in 0..count {
        if groups.find(label) == label {
            numbers[label as usize] = next;
            next += 1;
        }
    }
    for label in 0..count {
        let root = groups.find(label);
        numbers[label as usize] = numbers[root as usize];
    }
    labels.par_iter_mut().for_each(|label| *label = numbers[*label as usize]);
    next
}

/// Union-find over area labels, keeping each group's non-line pixel count at its root.
struct Groups {
    parent: Vec<u32>,
    areas: Vec<usize>,
}

impl Groups {
    fn new(areas: Vec<usize>) -> Self {
        Self { parent: (0..areas.len() as u32).collect(), areas }
    }

    fn find(&mut self, label: u32) -> u32 {
        super::components::find_root(&mut self.parent, label)
    }

    fn area(&mut self, label: u32) -> usize {
        let root = self.find(label);
        self.areas[root as usize]
    }

    /// Puts `label`'s group into `target`'s group (which keeps its root).
    fn join(&mut self, label: u32, target: u32) {
        let (from, into) = (self.find(label), self.find(target));
        if from != into {
            self.parent[from as usize] = into;
            self.areas[into as usize] += self.areas[from as usize];
        }
    }
}
