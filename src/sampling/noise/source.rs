//! The generator behind each of A1111's noise sources ([`RngSource`], named in the vocabulary).

use super::philox::PhiloxGenerator;
use super::torch_cpu::TorchCpuGenerator;
use crate::vocabulary::RngSource;

/// A seeded stream of standard normal float32 values.
pub trait NormalSource {
    /// The next `n` values, flat row-major, as `randn(shape)` with `n` = the product of the shape
    /// would give them.
    fn randn(&mut self, n: usize) -> Vec<f32>;
}

impl NormalSource for TorchCpuGenerator {
    fn randn(&mut self, n: usize) -> Vec<f32> {
        TorchCpuGenerator::randn(self, n)
    }
}

impl NormalSource for PhiloxGenerator {
    fn randn(&mut self, n: usize) -> Vec<f32> {
        PhiloxGenerator::randn(self, n)
    }
}

/// A fresh generator of `source` seeded with `seed`, as A1111's `rng.create_generator(seed)`.
/// CPU uses the low 32 bits of the seed (torch's `manual_seed`), NV all 64.
pub fn generator(source: RngSource, seed: u64) -> Box<dyn NormalSource + Send> {
    match source {
        RngSource::Cpu => Box::new(TorchCpuGenerator::new(seed)),
        RngSource::Nv => Box::new(PhiloxGenerator::new(seed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::noise::reference_cases::{assert_matches_reference, case, sha256_f32le};

    #[test]
    fn generator_picks_the_algorithm_of_the_source() {
        let reference = case(42, &[1, 4, 12, 8]);
        assert_matches_reference(&generator(RngSource::Cpu, 42).randn(reference.n), &reference.torch_cpu, "cpu");
        assert_matches_reference(&generator(RngSource::Nv, 42).randn(reference.n), &reference.nv, "nv");
    }

    #[test]
    fn cpu_ignores_the_high_half_of_the_seed_and_nv_uses_it() {
        let wide_seed = (1u64 << 32) | 42;
        let reference = case(42, &[1, 4, 8, 8]);
        assert_matches_reference(&generator(RngSource::Cpu, wide_seed).randn(reference.n), &reference.torch_cpu, "cpu");
        let nv = generator(RngSource::Nv, wide_seed).randn(reference.n);
        assert_ne!(sha256_f32le(&nv), reference.nv.sha256_f32le);
    }
}
