//! The softmax of attention scores, vectorized: a row's maximum, then exp(x − max) in place and the
//! row's sum. `f32::exp` is a scalar library call; a full-size UNet step takes about 1.3 billion
//! exponentials, so this polynomial (Cephes' `expf`, within a few ulp of the exact value on the
//! range used) is written as plain arithmetic the compiler turns into AVX2 or AVX-512 code, chosen
//! at run time.

const LANES: usize = 16;
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split in a part exact in f32 and the rest (Cody–Waite), so `x − n·ln 2` loses no digits.
const LN2_HIGH: f32 = 0.693_359_4;
const LN2_LOW: f32 = -2.121_944_4e-4;
/// Adding and subtracting 1.5·2²³ rounds to the nearest integer in two vectorizable operations.
const ROUNDER: f32 = 12_582_912.0;
/// Below this e^x is under f32's smallest normal number; the result is clamped there (≈1.2e-38).
const LOWEST: f32 = -87.3;
const HIGHEST: f32 = 88.7;

/// e^x for finite x (clamped to [−87.3, 88.7]).
#[inline(always)]
pub(super) fn exp(x: f32) -> f32 {
    let x = x.clamp(LOWEST, HIGHEST);
    let shifted = x * LOG2_E + ROUNDER;
    let n = shifted - ROUNDER;
    let r = x - n * LN2_HIGH - n * LN2_LOW;
    let r2 = r * r;
    let p = 1.987_569_1e-4f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 5e-1;
    let p = p * r2 + r + 1.0;
    // 2^n from the exponent bits: the integer n sits in the low bits of `shifted`. Wrapping
    // arithmetic (n is in [−126, 128] and cannot wrap) keeps overflow checks out of the vector loop.
    let n_int = (shifted.to_bits() as i32).wrapping_sub(ROUNDER.to_bits() as i32);
    p * f32::from_bits((n_int.wrapping_add(127) << 23) as u32)
}

#[inline(always)]
fn row_max(row: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; LANES];
    let chunks = row.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, &value) in lanes.iter_mut().zip(chunk) {
            *lane = if value > *lane { value } else { *lane };
        }
    }
    lanes.iter().chain(rest).copied().fold(f32::NEG_INFINITY, f32::max)
}

/// Replaces the row by exp(x − max) and returns its sum.
#[inline(always)]
fn exp_shifted_sum(row: &mut [f32], max: f32) -> f32 {
    let mut lanes = [0.0f32; LANES];
    let mut chunks = row.chunks_exact_mut(LANES);
    for chunk in &mut chunks {
        for (lane, value) in lanes.iter_mut().zip(chunk.iter_mut()) {
            *value = exp(*value - max);
            *lane += *value;
        }
    }
    let mut sum: f32 = lanes.iter().sum();
    for value in chunks.into_remainder() {
        *value = exp(*value - max);
        sum += *value;
    }
    sum
}

#[inline(always)]
fn softmax_body(scores: &mut [f32], width: usize, sums: &mut [f32]) {
    for (row, sum) in scores.chunks_exact_mut(width).zip(sums.iter_mut()) {
        let max = row_max(row);
        *sum = exp_shifted_sum(row, max);
    }
}

dispatch_simd! {
    /// For each row of `scores` (rows of `width`): the row becomes exp(x − max(row)), unnormalized, and
    /// `sums` gets the row's sum, so the caller divides once per output row instead of per score.
    pub fn unnormalized_softmax_rows(scores: &mut [f32], width: usize, sums: &mut [f32]) => softmax_body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_a_few_ulp_of_the_library() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = -87.0 + 175.0 * i as f32 / 200_000.0;
            let (ours, exact) = (exp(x) as f64, (x as f64).exp());
            worst = worst.max(((ours - exact) / exact).abs());
        }
        assert!(worst < 3.0 * f32::EPSILON as f64, "largest relative error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(-1000.0) < 1.3e-38 && exp(-1000.0) >= 0.0);
    }

    #[test]
    fn softmax_rows_match_the_plain_formula() {
        let width = 37;
        let mut scores: Vec<f32> = (0..3 * width).map(|i| ((i * 7919) % 101) as f32 * 0.37 - 20.0).collect();
        let original = scores.clone();
        let mut sums = vec![0.0; 3];
        unnormalized_softmax_rows(&mut scores, width, &mut sums);
        for (row, (out, sum)) in original.chunks(width).zip(scores.chunks(width).zip(&sums)) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let expected: Vec<f32> = row.iter().map(|v| (v - max).exp()).collect();
            let expected_sum: f32 = expected.iter().sum();
            assert!((sum - expected_sum).abs() < 1e-5 * expected_sum, "{sum} {expected_sum}");
            for (a, b) in out.iter().zip(&expected) {
                assert!((a - b).abs() < 1e-6, "{a} {b}");
            }
        }
    }
}
