//! torch's CPU generator and `torch.randn` on it, as x86-64 builds of torch compute it: A1111's "CPU"
//! noise source.
//!
//! `torch.manual_seed(seed); torch.randn(shape)` takes one of two paths (`normal_kernel` in
//! `aten/src/ATen/native/cpu/DistributionTemplates.h`):
//!
//! - **16 values or more** (every latent): first all n uniforms `u = (r & 0xFFFFFF) * 2^-24`, one
//!   32-bit Mersenne Twister output each; then Box-Muller on blocks of 16, pairing value j with j + 8:
//!   `out[j] = sqrt(-2 ln(1 - u[j])) cos(2 pi u[j+8])`, `out[j+8] = ... sin(...)`, in float32 with
//!   the AVX2 polynomials of [`cephes_f32`](super::cephes_f32). When n is not a multiple of 16 the last
//!   16 outputs are drawn again from 16 fresh uniforms and overwritten.
//! - **fewer than 16 values**: one float64 Box-Muller per value (`at::normal_distribution<double>`),
//!   with two 53-bit uniforms per pair. The pair's second value is kept in the generator and returned
//!   by the next value drawn this way, even in a later call.
//!
//! Builds without AVX2 (`ATEN_CPU_CAPABILITY=default`, presumably aarch64/macOS) use the C library's
//! `logf`/`sinf`/`cosf` instead of the polynomials and differ from this in the last bits of about 40%
//! of the values; that variant is not reproduced here.

use super::cephes_f32;
use super::mt19937::Mt19937;

/// Values per Box-Muller block of the vector kernel.
const BLOCK: usize = 16;
const HALF_BLOCK: usize = BLOCK / 2;
/// `2.0f * c10::pi<double>`: computed in double, stored as float.
const TWO_PI: f32 = (2.0 * std::f64::consts::PI) as f32;
const FLOAT_MANTISSA_MASK: u32 = (1 << 24) - 1;
const DOUBLE_MANTISSA_MASK: u64 = (1 << 53) - 1;

/// torch's `CPUGeneratorImpl` after `manual_seed(seed)`.
#[derive(Clone)]
pub struct TorchCpuGenerator {
    engine: Mt19937,
    /// The second value of the last float64 Box-Muller pair, not handed out yet.
    cached_normal: Option<f64>,
}

impl TorchCpuGenerator {
    /// `torch.Generator().manual_seed(seed)`: only the low 32 bits of `seed` matter.
    pub fn new(seed: u64) -> Self {
        Self { engine: Mt19937::new(seed), cached_normal: None }
    }

    /// `torch.randn(n, generator=self)`, float32, as a flat row-major vector.
    pub fn randn(&mut self, n: usize) -> Vec<f32> {
        if n >= BLOCK { self.randn_blocks(n) } else { (0..n).map(|_| self.normal_f64() as f32).collect() }
    }

    /// The vector kernel (`normal_fill` with `NormalFill16<float>` for AVX2).
    fn randn_blocks(&mut self, n: usize) -> Vec<f32> {
        let mut values: Vec<f32> = (0..n).map(|_| self.uniform_f32()).collect();
        values.as_chunks_mut::<BLOCK>().0.iter_mut().for_each(box_muller_block);
        if !n.is_multiple_of(BLOCK)
            && let Some(last_block) = values.last_chunk_mut::<BLOCK>()
        {
            last_block.iter_mut().for_each(|value| *value = self.uniform_f32());
            box_muller_block(last_block);
        }
        values
    }

    /// `uniform_real_distribution<float>(0, 1)`: 24 random bits of one 32-bit output.
    fn uniform_f32(&mut self) -> f32 {
        (self.engine.next_u32() & FLOAT_MANTISSA_MASK) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// `uniform_real_distribution<double>(0, 1)`: 53 random bits of one 64-bit output.
    fn uniform_f64(&mut self) -> f64 {
        (self.engine.next_u64() & DOUBLE_MANTISSA_MASK) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `normal_distribution<double>(0, 1)`, with its cached second value.
    fn normal_f64(&mut self) -> f64 {
        if let Some(cached) = self.cached_normal.take() {
            return cached;
        }
        let u1 = self.uniform_f64();
        let u2 = self.uniform_f64();
        let radius = (-2.0 * (-u2).ln_1p()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u1;
        self.cached_normal = Some(radius * theta.sin());
        radius * theta.cos()
    }
}

/// `NormalFill16<float>` for AVX2: turns 16 uniforms into 16 normal values in place.
fn box_muller_block(block: &mut [f32; BLOCK]) {
    let (first_half, second_half) = block.split_at_mut(HALF_BLOCK);
    for (first, second) in first_half.iter_mut().zip(second_half) {
        (*first, *second) = box_muller_pair(*first, *second);
    }
}

/// One Box-Muller pair: `u_radius` gives the radius, `u_angle` the angle. The kernel stores
/// `fma(n, std, mean)` with std 1 and mean 0, which only turns -0 into +0: hence the `+ 0.0`.
fn box_muller_pair(u_radius: f32, u_angle: f32) -> (f32, f32) {
    let radius = (-2.0 * cephes_f32::log(1.0 - u_radius)).sqrt();
    let (sin, cos) = cephes_f32::sin_cos(TWO_PI * u_angle);
    (radius * cos + 0.0, radius * sin + 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::noise::reference_cases::{assert_matches_reference, cases, sequences};

    #[test]
    fn randn_matches_torch_for_every_reference_seed_and_shape() {
        for case in cases() {
            let got = TorchCpuGenerator::new(case.seed).randn(case.n);
            assert_matches_reference(&got, &case.torch_cpu, &format!("torch_cpu seed {} n {}", case.seed, case.n));
        }
    }

    #[test]
    fn successive_calls_continue_the_generator_and_reuse_the_cached_value() {
        for sequence in sequences() {
            let mut generator = TorchCpuGenerator::new(sequence.seed);
            for (call, reference) in sequence.torch_cpu.iter().enumerate() {
                let got = generator.randn(reference.n);
                assert_matches_reference(&got, reference, &format!("torch_cpu seed {} call {call}", sequence.seed));
            }
        }
    }

    /// torch 2.15: `g = torch.Generator().manual_seed(3)`; `randn(1)`, `randn(32)`, `randn(1)` gives
    /// the two values of `randn(2)` on a fresh generator: the vector kernel leaves the cache alone.
    #[test]
    fn the_cached_value_survives_a_block_call() {
        let mut generator = TorchCpuGenerator::new(3);
        assert_eq!(generator.randn(1)[0].to_bits(), 1_062_052_736);
        generator.randn(32);
        assert_eq!(generator.randn(1)[0].to_bits(), 1_043_531_654);
    }

    #[test]
    fn an_empty_draw_is_empty() {
        assert!(TorchCpuGenerator::new(0).randn(0).is_empty());
    }
}
