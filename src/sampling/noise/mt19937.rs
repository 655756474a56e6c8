//! The 32-bit Mersenne Twister (MT19937) behind torch's CPU generator.
//!
//! torch's `at::mt19937` is the textbook generator: `init_genrand` seeding from a 32-bit seed and the
//! standard tempering. torch takes the seed as a `u64` and keeps only its low 32 bits
//! (`seed & 0xffffffff`), so seeds 1 and 2^32 + 1 give the same numbers.

const STATE_WORDS: usize = 624;
const SHIFT_SIZE: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;
const INIT_MULTIPLIER: u32 = 1_812_433_253;

#[derive(Clone)]
pub struct Mt19937 {
    state: [u32; STATE_WORDS],
    /// Index of the next state word to temper; `STATE_WORDS` means "twist first".
    next: usize,
}

impl Mt19937 {
    /// Seeds like `torch.manual_seed(seed)`: `init_genrand(seed & 0xffffffff)`.
    pub fn new(seed: u64) -> Self {
        let mut state = [0u32; STATE_WORDS];
        state[0] = seed as u32;
        for i in 1..STATE_WORDS {
            let previous = state[i - 1];
            state[i] = INIT_MULTIPLIER.wrapping_mul(previous ^ (previous >> 30)).wrapping_add(i as u32);
        }
        Self { state, next: STATE_WORDS }
    }

    /// torch's `CPUGeneratorImpl::random()`: one tempered 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        if self.next >= STATE_WORDS {
            self.twist();
        }
        let word = self.state[self.next];
        self.next += 1;
        temper(word)
    }

    /// torch's `CPUGeneratorImpl::random64()`: two outputs, the first one in the high half.
    pub fn next_u64(&mut self) -> u64 {
        let high = self.next_u32();
        let low = self.next_u32();
        (u64::from(high) << 32) | u64::from(low)
    }

    fn twist(&mut self) {
        for i in 0..STATE_WORDS {
            let mixed = (self.state[i] & UPPER_MASK) | (self.state[(i + 1) % STATE_WORDS] & LOWER_MASK);
            let feedback = if mixed & 1 == 0 { 0 } else { MATRIX_A };
            self.state[i] = self.state[(i + SHIFT_SIZE) % STATE_WORDS] ^ (mixed >> 1) ^ feedback;
        }
        self.next = 0;
    }
}

fn temper(mut y: u32) -> u32 {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c_5680;
    y ^= (y << 15) & 0xefc6_0000;
    y ^ (y >> 18)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference values of the C++ standard (`std::mt19937` default seed 5489: the 10000th output
    /// is 4123659995, [rand.predef]) and of Matsumoto & Nishimura's `mt19937ar.c` (first output).
    #[test]
    fn matches_the_standard_mt19937_sequence() {
        let mut engine = Mt19937::new(5489);
        assert_eq!(engine.next_u32(), 3_499_211_612);
        for _ in 1..9_999 {
            engine.next_u32();
        }
        assert_eq!(engine.next_u32(), 4_123_659_995);
    }

    #[test]
    fn keeps_only_the_low_32_bits_of_the_seed() {
        let mut low = Mt19937::new(7);
        let mut wide = Mt19937::new((1u64 << 32) | 7);
        assert_eq!(low.next_u64(), wide.next_u64());
    }
}
