//! The six samplers Nurie offers, with the names A1111 shows and short ids for files and the command line.

use std::fmt;
use std::str::FromStr;

use super::error::SamplerError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplerKind {
    Euler,
    EulerA,
    Dpmpp2m,
    Dpmpp2mKarras,
    Ddim,
    UniPc,
}

impl SamplerKind {
    pub const ALL: [SamplerKind; 6] = [
        SamplerKind::Euler,
        SamplerKind::EulerA,
        SamplerKind::Dpmpp2m,
        SamplerKind::Dpmpp2mKarras,
        SamplerKind::Ddim,
        SamplerKind::UniPc,
    ];

    /// Short lower-case id (`euler_a`, `dpmpp_2m_karras`, ...).
    pub fn id(self) -> &'static str {
        match self {
            SamplerKind::Euler => "euler",
            SamplerKind::EulerA => "euler_a",
            SamplerKind::Dpmpp2m => "dpmpp_2m",
            SamplerKind::Dpmpp2mKarras => "dpmpp_2m_karras",
            SamplerKind::Ddim => "ddim",
            SamplerKind::UniPc => "unipc",
        }
    }

    /// The label A1111 shows and writes into its `Sampler:` infotext field.
    pub fn a1111_label(self) -> &'static str {
        match self {
            SamplerKind::Euler => "Euler",
            SamplerKind::EulerA => "Euler a",
            SamplerKind::Dpmpp2m => "DPM++ 2M",
            SamplerKind::Dpmpp2mKarras => "DPM++ 2M Karras",
            SamplerKind::Ddim => "DDIM",
            SamplerKind::UniPc => "UniPC",
        }
    }

    fn accepted_names() -> String {
        let labels = Self::ALL.iter().map(|k| format!("\"{}\"", k.a1111_label()));
        let ids = Self::ALL.iter().map(|k| k.id().to_string());
        labels.chain(ids).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for SamplerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.a1111_label())
    }
}

impl FromStr for SamplerKind {
    type Err = SamplerError;

    /// Accepts A1111's labels and the ids, ignoring case and surrounding spaces.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let wanted = name.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.a1111_label().eq_ignore_ascii_case(wanted) || k.id().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| SamplerError::UnknownSampler { name: name.to_string(), accepted: Self::accepted_names() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1111_labels_and_ids_parse_case_insensitively() {
        for kind in SamplerKind::ALL {
            assert_eq!(kind.a1111_label().parse::<SamplerKind>(), Ok(kind));
            assert_eq!(kind.a1111_label().to_uppercase().parse::<SamplerKind>(), Ok(kind));
            assert_eq!(kind.id().parse::<SamplerKind>(), Ok(kind));
            assert_eq!(format!(" {} ", kind.id().to_uppercase()).parse::<SamplerKind>(), Ok(kind));
        }
        assert_eq!("euler A".parse::<SamplerKind>(), Ok(SamplerKind::EulerA));
        assert_eq!("dpm++ 2m karras".parse::<SamplerKind>(), Ok(SamplerKind::Dpmpp2mKarras));
    }

    #[test]
    fn unknown_names_list_what_is_accepted() {
        let err = "DPM++ SDE".parse::<SamplerKind>().unwrap_err();
        let message = err.to_string();
        assert!(message.contains("`DPM++ SDE`"), "{message}");
        for kind in SamplerKind::ALL {
            assert!(message.contains(kind.a1111_label()) && message.contains(kind.id()), "{message}");
        }
        assert!("".parse::<SamplerKind>().is_err());
        assert!("euler_ancestral".parse::<SamplerKind>().is_err());
    }

    #[test]
    fn ids_and_labels_are_distinct() {
        let mut names: Vec<&str> = SamplerKind::ALL.iter().flat_map(|k| [k.id(), k.a1111_label()]).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 12);
    }
}
