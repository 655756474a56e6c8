//! Which seeded noise a generation uses, named as in A1111's "Random number generator source" setting.

use serde::{Deserialize, Serialize};

use super::choice::{Choice, text_forms};

/// A seeded noise source that reproduces one of A1111's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RngSource {
    /// A1111 "CPU": `torch.randn` on torch's CPU generator, as x86-64 builds of torch compute it
    /// (also ComfyUI's and InvokeAI's noise).
    #[default]
    Cpu,
    /// A1111 "NV": A1111's CPU imitation of CUDA `torch.randn` (Philox4x32-10). A1111's default,
    /// "GPU", draws the noise with CUDA `torch.randn` on NVIDIA cards, which NV reproduces, so "GPU"
    /// names this too (and an A1111 infotext without an `RNG` key means it).
    Nv,
}

impl Choice for RngSource {
    const WHAT: &'static str = "random number generator source";
    const ALL: &'static [RngSource] = &[RngSource::Cpu, RngSource::Nv];

    fn id(self) -> &'static str {
        match self {
            RngSource::Cpu => "cpu",
            RngSource::Nv => "nv",
        }
    }

    /// What A1111 writes as `RNG: …`.
    fn label(self) -> &'static str {
        match self {
            RngSource::Cpu => "CPU",
            RngSource::Nv => "NV",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            RngSource::Cpu => &[],
            RngSource::Nv => &["GPU"],
        }
    }
}

text_forms!(RngSource);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::choice::assert_well_formed;

    #[test]
    fn names_and_a1111_gpu() {
        assert_well_formed::<RngSource>();
        assert_eq!("nv".parse::<RngSource>(), Ok(RngSource::Nv));
        assert_eq!(" GPU ".parse::<RngSource>(), Ok(RngSource::Nv));
        assert_eq!("Cpu".parse::<RngSource>(), Ok(RngSource::Cpu));
        assert!("cuda".parse::<RngSource>().is_err());
        assert!("".parse::<RngSource>().is_err());
        assert_eq!(RngSource::Nv.to_string(), "NV");
        assert_eq!(serde_json::to_string(&RngSource::Nv).unwrap(), "\"nv\"");
    }
}
