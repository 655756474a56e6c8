//! The values of a tensor, block by block. Every block of 65,536 values has its own generator, seeded
//! from the file's seed, the tensor's name and the block's index, so the blocks can be made in parallel
//! and the same seed gives the same file whatever the thread count or tensor order.

use super::schedule;
use super::spec::{Init, TensorSpec};

/// Values per independently seeded block.
pub const BLOCK: usize = 1 << 16;

/// Fills `out` (at most [`BLOCK`] values) with block `block` of `spec`'s values.
pub fn fill_block(spec: &TensorSpec, seed: u64, block: usize, out: &mut [f32]) {
    let start = block * BLOCK;
    match spec.init {
        Init::Weight { fan_in, gain } => uniform(out, gain / (fan_in.max(1) as f32).sqrt(), stream(seed, &spec.name, block)),
        Init::Bias => uniform(out, 0.02, stream(seed, &spec.name, block)),
        Init::Embedding => uniform(out, 0.5, stream(seed, &spec.name, block)),
        Init::Ones => out.fill(1.0),
        Init::Zeros => out.fill(0.0),
        Init::Constant(value) => out.fill(value),
        Init::Arange => out.iter_mut().enumerate().for_each(|(i, v)| *v = (start + i) as f32),
        Init::Schedule(buffer) => {
            let values = schedule::values(buffer);
            out.iter_mut().zip(values.iter().skip(start)).for_each(|(v, s)| *v = *s as f32);
        }
    }
}

/// Uniform values with standard deviation `std` (range ±√3·std).
fn uniform(out: &mut [f32], std: f32, mut state: SplitMix64) {
    let half_range = std * 3f32.sqrt();
    for value in out {
        let unit = (state.next() >> 40) as f32 / (1u64 << 24) as f32;
        *value = (2.0 * unit - 1.0) * half_range;
    }
}

/// The generator of one block.
fn stream(seed: u64, name: &str, block: usize) -> SplitMix64 {
    let mut mix = SplitMix64(seed ^ fnv1a(name));
    let base = mix.next();
    SplitMix64(base ^ (block as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// FNV-1a over the tensor's name: a stable 64-bit hash (std's hasher may change between releases).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// Vigna's SplitMix64: tiny, fast and good enough for random weights.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}
