//! The seven samplers Nurie has, and the sampler a picture's metadata names (possibly one of another
//! tool's).
//!
//! A1111 1.9 split its sampler menu in two: `Sampler: DPM++ 2M, Schedule type: Karras` replaced the
//! single name `DPM++ 2M Karras`. The label here is the single name (one menu entry in Nurie's window);
//! [`SamplerKind::a1111_infotext`] is the pair A1111 1.10 writes (`modules/sd_samplers_kdiffusion.py`,
//! `modules/sd_schedulers.py`):
//!
//! | id                | label             | A1111 1.10 writes                             | notes |
//! |-------------------|-------------------|-----------------------------------------------|-------|
//! | `euler`           | `Euler`           | `Sampler: Euler, Schedule type: Automatic`    | Automatic = the model's own (uniform) sigmas |
//! | `euler_a`         | `Euler a`         | `Sampler: Euler a, Schedule type: Automatic`  | |
//! | `dpmpp_2m`        | `DPM++ 2M`        | `Sampler: DPM++ 2M, Schedule type: Uniform`   | since 1.9 DPM++ 2M's Automatic is Karras, so plain needs Uniform |
//! | `dpmpp_2m_karras` | `DPM++ 2M Karras` | `Sampler: DPM++ 2M, Schedule type: Karras`    | also what 1.10 writes for DPM++ 2M + Automatic |
//! | `ddim`            | `DDIM`            | `Sampler: DDIM, Schedule type: Automatic`     | timestep sampler: A1111 ignores the schedule |
//! | `unipc`           | `UniPC`           | `Sampler: UniPC, Schedule type: Automatic`    | timestep sampler: A1111 ignores the schedule |
//! | `lcm`             | `LCM`             | `Sampler: LCM, Schedule type: Automatic`      | diffusers' `LCMScheduler` timesteps, not A1111's own (see `sampling::lcm`) |

use serde::de::IntoDeserializer;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::choice::{Choice, text_forms};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SamplerKind {
    #[serde(rename = "euler")]
    Euler,
    #[serde(rename = "euler_a")]
    EulerA,
    /// Settings files of Nurie 0.1 spelled two ids differently; they are still read.
    #[serde(rename = "dpmpp_2m", alias = "dpmpp2m")]
    Dpmpp2m,
    #[serde(rename = "dpmpp_2m_karras", alias = "dpmpp2m_karras")]
    Dpmpp2mKarras,
    #[serde(rename = "ddim")]
    Ddim,
    #[serde(rename = "unipc", alias = "uni_pc")]
    UniPc,
    /// Latent consistency models and LCM-LoRAs (diffusers' `LCMScheduler`).
    #[serde(rename = "lcm")]
    Lcm,
}

/// Each sampler's id, label, and the (`Sampler`, `Schedule type`) pair A1111 1.10 writes.
const TABLE: [(SamplerKind, &str, &str, (&str, &str)); 7] = [
    (SamplerKind::Euler, "euler", "Euler", ("Euler", "Automatic")),
    (SamplerKind::EulerA, "euler_a", "Euler a", ("Euler a", "Automatic")),
    (SamplerKind::Dpmpp2m, "dpmpp_2m", "DPM++ 2M", ("DPM++ 2M", "Uniform")),
    (SamplerKind::Dpmpp2mKarras, "dpmpp_2m_karras", "DPM++ 2M Karras", ("DPM++ 2M", "Karras")),
    (SamplerKind::Ddim, "ddim", "DDIM", ("DDIM", "Automatic")),
    (SamplerKind::UniPc, "unipc", "UniPC", ("UniPC", "Automatic")),
    (SamplerKind::Lcm, "lcm", "LCM", ("LCM", "Automatic")),
];

impl SamplerKind {
    fn row(self) -> &'static (SamplerKind, &'static str, &'static str, (&'static str, &'static str)) {
        let position = TABLE.iter().position(|row| row.0 == self).unwrap_or_default();
        &TABLE[position]
    }

    /// The sampler whose id is exactly `id` (as stored in Nurie's records).
    pub fn from_id(id: &str) -> Option<SamplerKind> {
        TABLE.iter().find(|row| row.1 == id).map(|row| row.0)
    }

    /// The (`Sampler`, `Schedule type`) pair A1111 1.10 writes for this sampler.
    pub fn a1111_infotext(self) -> (&'static str, &'static str) {
        self.row().3
    }
}

impl Choice for SamplerKind {
    const WHAT: &'static str = "sampler";
    const ALL: &'static [SamplerKind] = &[
        SamplerKind::Euler,
        SamplerKind::EulerA,
        SamplerKind::Dpmpp2m,
        SamplerKind::Dpmpp2mKarras,
        SamplerKind::Ddim,
        SamplerKind::UniPc,
        SamplerKind::Lcm,
    ];

    fn id(self) -> &'static str {
        self.row().1
    }

    fn label(self) -> &'static str {
        self.row().2
    }
}

text_forms!(SamplerKind);

/// The sampler a picture was made with: one of Nurie's, or another tool's (`DPM++ SDE`, ComfyUI's
/// `dpmpp_3m_sde`…), kept by the name that tool wrote so nothing read is lost. Stored as the id or the
/// name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecordedSampler {
    Known(SamplerKind),
    Other(String),
}

impl RecordedSampler {
    pub fn known(&self) -> Option<SamplerKind> {
        match self {
            RecordedSampler::Known(kind) => Some(*kind),
            RecordedSampler::Other(_) => None,
        }
    }

    /// Nurie's id, or the other tool's name.
    pub fn stored_name(&self) -> &str {
        match self {
            RecordedSampler::Known(kind) => kind.id(),
            RecordedSampler::Other(name) => name,
        }
    }

    /// The label to show: A1111's label, or the other tool's name.
    pub fn label(&self) -> &str {
        match self {
            RecordedSampler::Known(kind) => kind.label(),
            RecordedSampler::Other(name) => name,
        }
    }

    /// A stored name back: Nurie's ids (and the older spellings its settings files used) are Nurie's
    /// samplers, anything else another tool's.
    pub fn from_stored_name(name: &str) -> RecordedSampler {
        let as_id: Result<SamplerKind, serde::de::value::Error> = SamplerKind::deserialize(name.into_deserializer());
        match as_id {
            Ok(kind) => RecordedSampler::Known(kind),
            Err(_) => RecordedSampler::Other(name.to_string()),
        }
    }
}

impl Default for RecordedSampler {
    /// A1111 1.10's default: DPM++ 2M with its Automatic (Karras) schedule.
    fn default() -> Self {
        RecordedSampler::Known(SamplerKind::Dpmpp2mKarras)
    }
}

impl From<SamplerKind> for RecordedSampler {
    fn from(kind: SamplerKind) -> Self {
        RecordedSampler::Known(kind)
    }
}

impl Serialize for RecordedSampler {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.stored_name())
    }
}

impl<'de> Deserialize<'de> for RecordedSampler {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(RecordedSampler::from_stored_name(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::choice::assert_well_formed;

    #[test]
    fn the_vocabulary_is_well_formed() {
        assert_well_formed::<SamplerKind>();
        assert_eq!(SamplerKind::ALL.len(), TABLE.len());
    }

    #[test]
    fn a1111_labels_and_ids_parse_case_insensitively() {
        for &kind in SamplerKind::ALL {
            assert_eq!(kind.label().parse::<SamplerKind>(), Ok(kind));
            assert_eq!(kind.label().to_uppercase().parse::<SamplerKind>(), Ok(kind));
            assert_eq!(kind.id().parse::<SamplerKind>(), Ok(kind));
            assert_eq!(format!(" {} ", kind.id().to_uppercase()).parse::<SamplerKind>(), Ok(kind));
        }
        assert_eq!("euler A".parse::<SamplerKind>(), Ok(SamplerKind::EulerA));
        assert_eq!("dpm++ 2m karras".parse::<SamplerKind>(), Ok(SamplerKind::Dpmpp2mKarras));
        assert!("euler_ancestral".parse::<SamplerKind>().is_err());
    }

    #[test]
    fn lcm_has_a1111s_label() {
        assert_eq!(SamplerKind::Lcm.a1111_infotext(), ("LCM", "Automatic"));
        assert_eq!(("lcm".parse::<SamplerKind>(), "LCM".parse::<SamplerKind>()), (Ok(SamplerKind::Lcm), Ok(SamplerKind::Lcm)));
        assert_eq!(RecordedSampler::from_stored_name("lcm"), RecordedSampler::Known(SamplerKind::Lcm));
    }

    #[test]
    fn unknown_names_list_what_is_accepted() {
        let message = "DPM++ SDE".parse::<SamplerKind>().unwrap_err().to_string();
        assert!(message.contains("`DPM++ SDE`"), "{message}");
        for &kind in SamplerKind::ALL {
            assert!(message.contains(kind.label()) && message.contains(kind.id()), "{message}");
        }
    }

    #[test]
    fn ids_are_the_serialized_names_and_old_settings_still_read() {
        for &kind in SamplerKind::ALL {
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{}\"", kind.id()));
            assert_eq!(SamplerKind::from_id(kind.id()), Some(kind));
        }
        for (old, kind) in
            [("dpmpp2m", SamplerKind::Dpmpp2m), ("dpmpp2m_karras", SamplerKind::Dpmpp2mKarras), ("uni_pc", SamplerKind::UniPc)]
        {
            assert_eq!(serde_json::from_str::<SamplerKind>(&format!("\"{old}\"")).unwrap(), kind);
        }
    }

    #[test]
    fn recorded_samplers_keep_other_tools_names() {
        let other = RecordedSampler::Other("DPM adaptive".into());
        assert_eq!(serde_json::to_string(&other).unwrap(), "\"DPM adaptive\"");
        assert_eq!(serde_json::from_str::<RecordedSampler>("\"DPM adaptive\"").unwrap(), other);
        let known = RecordedSampler::Known(SamplerKind::EulerA);
        assert_eq!(serde_json::to_string(&known).unwrap(), "\"euler_a\"");
        assert_eq!(serde_json::from_str::<RecordedSampler>("\"euler_a\"").unwrap(), known);
        assert_eq!((other.known(), other.label()), (None, "DPM adaptive"));
        assert_eq!((known.known(), known.label()), (Some(SamplerKind::EulerA), "Euler a"));
    }
}
