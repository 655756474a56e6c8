//! Which seeded noise a generation uses, named as in A1111's "Random number generator source" setting.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::philox::PhiloxGenerator;
use super::torch_cpu::TorchCpuGenerator;

/// A seeded noise source that reproduces one of A1111's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RngSource {
    /// A1111 "CPU": `torch.randn` on torch's CPU generator, as x86-64 builds of torch compute it.
    Cpu,
    /// A1111 "NV": A1111's CPU imitation of CUDA `torch.randn` (Philox4x32-10). A1111's default,
    /// "GPU", draws the noise with CUDA `torch.randn` on NVIDIA cards, which NV reproduces, so "GPU"
    /// parses to this too.
    Nv,
}

impl RngSource {
    pub const ALL: [RngSource; 2] = [RngSource::Cpu, RngSource::Nv];

    /// The label A1111 shows and writes into infotexts ("RNG: NV").
    pub fn label(self) -> &'static str {
        match self {
            RngSource::Cpu => "CPU",
            RngSource::Nv => "NV",
        }
    }
}

impl fmt::Display for RngSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown random number generator source `{0}`: expected CPU, NV or GPU")]
pub struct UnknownRngSource(pub String);

impl FromStr for RngSource {
    type Err = UnknownRngSource;

    /// Case-insensitive `cpu`, `nv`, or `gpu` (which means NV, see [`RngSource::Nv`]).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(RngSource::Cpu),
            "nv" | "gpu" => Ok(RngSource::Nv),
            _ => Err(UnknownRngSource(text.to_owned())),
        }
    }
}

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
    fn parses_a1111_labels_in_any_case() {
        assert_eq!("CPU".parse(), Ok(RngSource::Cpu));
        assert_eq!("cpu".parse(), Ok(RngSource::Cpu));
        assert_eq!("NV".parse(), Ok(RngSource::Nv));
        assert_eq!("nv".parse(), Ok(RngSource::Nv));
        assert_eq!("GPU".parse(), Ok(RngSource::Nv));
        assert_eq!(" Gpu ".parse(), Ok(RngSource::Nv));
        assert_eq!("cuda".parse::<RngSource>(), Err(UnknownRngSource("cuda".to_owned())));
        assert_eq!("".parse::<RngSource>(), Err(UnknownRngSource(String::new())));
    }

    #[test]
    fn displays_a1111_labels_that_parse_back() {
        assert_eq!(RngSource::Cpu.to_string(), "CPU");
        assert_eq!(RngSource::Nv.to_string(), "NV");
        for source in RngSource::ALL {
            assert_eq!(source.to_string().parse(), Ok(source));
        }
    }

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
