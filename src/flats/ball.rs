//! Where a ball fits between the lines: the seeds of a trapped-ball fill.
//!
//! A pixel is a ball centre when every line pixel is farther than the radius from it (Euclidean). The
//! test is exact and linear: each row first learns its horizontal distance to the nearest line pixel
//! (two sweeps), then a pixel checks the `2r + 1` rows around it against the disc's half-widths. Rows
//! are independent, so both steps run in parallel.

use rayon::prelude::*;

/// `true` for pixels farther than `radius` from every line pixel; with radius 0, every non-line pixel.
pub(crate) fn ball_centres(lines: &[bool], width: usize, radius: u32) -> Vec<bool> {
    if radius == 0 {
        return lines.par_iter().map(|&line| !line).collect();
    }
    let cap = u16::try_from(radius).unwrap_or(u16::MAX).saturating_add(1);
    let across = row_distances(lines, width, cap);
    let half_widths = disc_half_widths(radius);
    let height = lines.len() / width;
    let mut centres = vec![true; lines.len()];
    centres.par_chunks_mut(width).enumerate().for_each(|(y, row)| {
        for (offset, &half_width) in half_widths.iter().enumerate() {
            for other in [y.checked_sub(offset), Some(y + offset).filter(|&below| below < height)].into_iter().flatten() {
                let distances = &across[other * width..(other + 1) * width];
                row.iter_mut().zip(distances).for_each(|(centre, &distance)| *centre &= distance > half_width);
            }
        }
    });
    centres
}

/// For each pixel, the distance along its row to the nearest line pixel, saturated at `cap`.
fn row_distances(lines: &[bool], width: usize, cap: u16) -> Vec<u16> {
    let mut distances = vec![cap; lines.len()];
    distances.par_chunks_mut(width).zip(lines.par_chunks(width)).for_each(|(row, line_row)| {
        let mut run = cap;
        for (distance, &line) in row.iter_mut().zip(line_row) {
            run = if line { 0 } else { run.saturating_add(1).min(cap) };
            *distance = run;
        }
        run = cap;
        for distance in row.iter_mut().rev() {
            run = if *distance == 0 { 0 } else { run.saturating_add(1).min(cap) };
            *distance = (*distance).min(run);
        }
    });
    distances
}

/// For a vertical offset `dy` (the index), the largest horizontal distance still inside the closed disc
/// of `radius`: `floor(sqrt(radius² − dy²))`.
fn disc_half_widths(radius: u32) -> Vec<u16> {
    let squared = u64::from(radius) * u64::from(radius);
    (0..=u64::from(radius))
        .map(|dy| {
            let left = squared - dy * dy;
            let mut half = (left as f64).sqrt() as u64;
            while half * half > left {
                half -= 1;
            }
            while (half + 1) * (half + 1) <= left {
                half += 1;
            }
            u16::try_from(half).unwrap_or(u16::MAX)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ball_of_radius_two_does_not_pass_a_four_pixel_gap() {
        // A vertical wall at x = 3 with a 4-pixel opening (rows 3..7) in a 7x10 picture.
        let (width, height) = (7, 10);
        let lines: Vec<bool> = (0..width * height).map(|i| i % width == 3 && !(3..7).contains(&(i / width))).collect();
        let centres = ball_centres(&lines, width, 2);
        assert!((0..height).all(|y| !centres[y * width + 3]), "no centre inside the opening");
        let wider: Vec<bool> = (0..width * height).map(|i| i % width == 3 && !(2..7).contains(&(i / width))).collect();
        assert!(ball_centres(&wider, width, 2)[4 * width + 3], "a 5-pixel opening lets the ball through");
    }

    #[test]
    fn half_widths_are_exact() {
        assert_eq!(disc_half_widths(2), vec![2, 1, 0]);
        assert_eq!(disc_half_widths(5), vec![5, 4, 4, 4, 3, 0]);
    }
}
