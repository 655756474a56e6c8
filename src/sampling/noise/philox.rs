//! AUTOMATIC1111's "NV" noise source (`modules/rng_philox.py`): a CPU imitation of CUDA
//! `torch.randn`, so that GPU-made seeds can be reproduced on any machine.
//!
//! Value i of a draw is Philox4x32-10 with key = the 64-bit seed (low word first) and counter
//! `(offset, 0, i, 0)`, then the first output of a Box-Muller transform of its words 0 and 1.
//! A1111 computes that transform in numpy float64 with its constants first rounded to float32:
//! `u = x C1 + C1/2`, `v = y C2 + C2/2`, `C1 = f32(2.3283064e-10)` (exactly 2^-32) and
//! `C2 = f32(2.3283064e-10 * 6.2831855)`, value `f32(sqrt(-2 ln u) sin v)`. That is what the webui
//! produces, and it differs by a few float32 steps from the example output in that file's docstring
//! (which matches exact constants instead).
//!
//! Each draw uses the generator's current offset and then increments it: the initial latent comes
//! from offset 0, the first ancestral-noise draw from offset 1, and so on.

const ROUNDS: u32 = 10;
const MULTIPLIERS: [u64; 2] = [0xD251_1F53, 0xCD9E_8D57];
/// Weyl sequence: the key grows by these after each round.
const KEY_INCREMENTS: [u32; 2] = [0x9E37_79B9, 0xBB67_AE85];

/// `two_pow32_inv`: `np.float32(2.3283064e-10)`, used in float64.
const U_SCALE: f64 = 2.3283064e-10_f64 as f32 as f64;
/// `two_pow32_inv / 2`, halved in float32.
const U_OFFSET: f64 = (2.3283064e-10_f64 as f32 / 2.0) as f64;
/// `two_pow32_inv_2pi`: `np.float32(2.3283064e-10 * 6.2831855)`, the product taken in float64.
const V_SCALE: f64 = (2.3283064e-10_f64 * 6.2831855_f64) as f32 as f64;
const V_OFFSET: f64 = ((2.3283064e-10_f64 * 6.2831855_f64) as f32 / 2.0) as f64;

/// A1111's `rng_philox.Generator`.
#[derive(Clone, Debug)]
pub struct PhiloxGenerator {
    seed: u64,
    offset: u64,
}

impl PhiloxGenerator {
    pub fn new(seed: u64) -> Self {
        Self { seed, offset: 0 }
    }

    /// The offset the next draw uses.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// `Generator.randn(shape)` with `n` = the product of the shape, flat row-major. The counter holds
    /// the offset and the index as 32-bit words, as A1111's uint32 arrays do.
    pub fn randn(&mut self, n: usize) -> Vec<f32> {
        let key = [self.seed as u32, (self.seed >> 32) as u32];
        let offset = self.offset as u32;
        self.offset = self.offset.wrapping_add(1);
        (0..n)
            .map(|index| {
                let [x, y, _, _] = philox4x32_10([offset, 0, index as u32, 0], key);
                box_muller_first(x, y)
            })
            .collect()
    }
}

fn philox4x32_10(mut counter: [u32; 4], mut key: [u32; 2]) -> [u32; 4] {
    for round in 0..ROUNDS {
        if round > 0 {
            key = [key[0].wrapping_add(KEY_INCREMENTS[0]), key[1].wrapping_add(KEY_INCREMENTS[1])];
        }
        counter = philox_round(counter, key);
    }
    counter
}

fn philox_round([c0, c1, c2, c3]: [u32; 4], [k0, k1]: [u32; 2]) -> [u32; 4] {
    let product0 = u64::from(c0) * MULTIPLIERS[0];
    let product1 = u64::from(c2) * MULTIPLIERS[1];
    [(product1 >> 32) as u32 ^ c1 ^ k0, product1 as u32, (product0 >> 32) as u32 ^ c3 ^ k1, product0 as u32]
}

/// A1111's `box_muller`: the first of the two Box-Muller outputs.
fn box_muller_first(x: u32, y: u32) -> f32 {
    let u = f64::from(x) * U_SCALE + U_OFFSET;
    let v = f64::from(y) * V_SCALE + V_OFFSET;
    ((-2.0 * u.ln()).sqrt() * v.sin()) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::noise::reference_cases::{assert_matches_reference, cases, sequences};

    #[test]
    fn randn_matches_a1111_for_every_reference_seed_and_shape() {
        for case in cases() {
            let got = PhiloxGenerator::new(case.seed).randn(case.n);
            assert_matches_reference(&got, &case.nv, &format!("nv seed {} n {}", case.seed, case.n));
        }
    }

    #[test]
    fn each_draw_moves_to_the_next_offset() {
        for sequence in sequences() {
            let mut generator = PhiloxGenerator::new(sequence.seed);
            for (offset, reference) in &sequence.nv {
                assert_eq!(generator.offset(), *offset);
                let got = generator.randn(reference.n);
                assert_matches_reference(&got, reference, &format!("nv seed {} offset {offset}", sequence.seed));
            }
        }
    }

    /// The Philox4x32-10 known-answer vectors of Random123 (`kat_vectors`: counter and key all ones,
    /// and the pi-digit case), which A1111's round function reproduces.
    #[test]
    fn philox_matches_the_random123_known_answers() {
        assert_eq!(philox4x32_10([0xffff_ffff; 4], [0xffff_ffff; 2]), [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]);
        assert_eq!(
            philox4x32_10([0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0xa409_3822, 0x299f_31d0]),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }
}
