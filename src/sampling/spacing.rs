//! Which training timesteps an n-step run visits (diffusers' `timestep_spacing`), and numpy's
//! `linspace`/`interp`, which diffusers uses to build them.
//!
//! SD1.5 schedulers in diffusers use two spacings: `linspace` (Euler, Euler a, DPM++ 2M, UniPC: the
//! first step at t = 999) and `leading` with `steps_offset = 1` (DDIM: the first step at t < 999).

use super::schedule::TRAIN_STEPS;

const LAST_TRAIN_TIMESTEP: f64 = (TRAIN_STEPS - 1) as f64;

/// `np.linspace(start, stop, n)` in float64: `i·step + start`, with the last value exactly `stop`.
pub(crate) fn numpy_linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    if n <= 1 {
        return vec![start; n];
    }
    let step = (stop - start) / (n - 1) as f64;
    (0..n).map(|i| if i == n - 1 { stop } else { i as f64 * step + start }).collect()
}

/// Euler's timesteps: `np.linspace(0, 999, n, dtype=float32)[::-1]`. Fractional when 999 is not a
/// multiple of n − 1 (5 steps: 999, 749.25, 499.5, 249.75, 0); the UNet gets the fractional value.
pub(crate) fn linspace_float(steps: usize) -> Vec<f64> {
    let mut timesteps: Vec<f64> = numpy_linspace(0.0, LAST_TRAIN_TIMESTEP, steps).into_iter().map(|t| t as f32 as f64).collect();
    timesteps.reverse();
    timesteps
}

/// The multistep solvers' timesteps: `np.linspace(0, 999, n + 1).round()[::-1][:-1]` (ties to even,
/// as numpy rounds), integers from 999 down, never 0.
pub(crate) fn linspace_rounded(steps: usize) -> Vec<f64> {
    let mut timesteps: Vec<f64> =
        numpy_linspace(0.0, LAST_TRAIN_TIMESTEP, steps + 1).into_iter().map(f64::round_ties_even).collect();
    timesteps.reverse();
    timesteps.pop();
    timesteps
}

/// DDIM's `leading` spacing: `arange(n) · (1000 // n)` reversed, plus `steps_offset` (1 for SD1.5),
/// so 4 steps visit 751, 501, 251, 1.
pub(crate) fn leading(steps: usize, steps_offset: usize) -> Vec<usize> {
    let ratio = TRAIN_STEPS / steps;
    (0..steps).rev().map(|i| i * ratio + steps_offset).collect()
}

/// `np.interp(x, arange(len(table)), table)`: piecewise linear, clamped to the ends.
pub(crate) fn interp(x: f64, table: &[f64]) -> f64 {
    let (Some(&first), Some(&last)) = (table.first(), table.last()) else {
        return f64::NAN;
    };
    if x <= 0.0 {
        return first;
    }
    if x >= (table.len() - 1) as f64 {
        return last;
    }
    let low = x.floor() as usize;
    if x == low as f64 {
        return table[low];
    }
    let slope = table[low + 1] - table[low];
    slope * (x - low as f64) + table[low]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euler_timesteps_are_fractional_for_five_steps() {
        assert_eq!(linspace_float(5), vec![999.0, 749.25, 499.5, 249.75, 0.0]);
        assert_eq!(linspace_float(4), vec![999.0, 666.0, 333.0, 0.0]);
        assert_eq!(linspace_float(1), vec![0.0]);
    }

    #[test]
    fn rounded_linspace_rounds_half_to_even() {
        // linspace(0, 999, 5) = 0, 249.75, 499.5, 749.25, 999: 499.5 rounds to 500 (even).
        assert_eq!(linspace_rounded(4), vec![999.0, 749.0, 500.0, 250.0]);
        assert_eq!(linspace_rounded(1), vec![999.0]);
    }

    #[test]
    fn leading_spacing_matches_the_ddim_fixture() {
        assert_eq!(leading(4, 1), vec![751, 501, 251, 1]);
        assert_eq!(leading(3, 1), vec![667, 334, 1]);
    }

    #[test]
    fn interp_is_exact_on_grid_points_and_linear_between() {
        let table = [1.0, 3.0, 7.0];
        assert_eq!(interp(1.0, &table), 3.0);
        assert_eq!(interp(1.25, &table), 4.0);
        assert_eq!(interp(-1.0, &table), 1.0);
        assert_eq!(interp(9.0, &table), 7.0);
    }
}
