//! What a reference unit takes from its picture: sd-webui-controlnet's three reference preprocessors
//! (`reference_only`, `reference_adain`, `reference_adain+attn`). How each acts is in the UNet
//! (`model::unet::reference`).

use serde::{Deserialize, Serialize};

use super::choice::{Choice, text_forms};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceMode {
    /// Self-attention also attends to the reference.
    #[default]
    Only,
    /// Block statistics (per-channel mean and spread) move to the reference's.
    Adain,
    /// Both.
    AdainAttn,
}

impl ReferenceMode {
    /// Whether self-attention attends to the reference.
    pub fn shares_attention(self) -> bool {
        matches!(self, ReferenceMode::Only | ReferenceMode::AdainAttn)
    }

    /// Whether block statistics move to the reference's.
    pub fn matches_statistics(self) -> bool {
        matches!(self, ReferenceMode::Adain | ReferenceMode::AdainAttn)
    }
}

impl Choice for ReferenceMode {
    const WHAT: &'static str = "reference mode";
    const ALL: &'static [ReferenceMode] = &[ReferenceMode::Only, ReferenceMode::Adain, ReferenceMode::AdainAttn];

    /// The command line's `--reference-mode` values.
    fn id(self) -> &'static str {
        match self {
            ReferenceMode::Only => "only",
            ReferenceMode::Adain => "adain",
            ReferenceMode::AdainAttn => "adain+attn",
        }
    }

    /// sd-webui-controlnet's preprocessor (`Module`) names.
    fn label(self) -> &'static str {
        match self {
            ReferenceMode::Only => "reference_only",
            ReferenceMode::Adain => "reference_adain",
            ReferenceMode::AdainAttn => "reference_adain+attn",
        }
    }
}

text_forms!(ReferenceMode);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::choice::assert_well_formed;

    #[test]
    fn command_line_and_extension_names() {
        assert_well_formed::<ReferenceMode>();
        assert_eq!("adain+attn".parse(), Ok(ReferenceMode::AdainAttn));
        assert_eq!("reference_only".parse(), Ok(ReferenceMode::Only));
        assert_eq!("Reference_AdaIN".parse(), Ok(ReferenceMode::Adain));
        assert!("reference".parse::<ReferenceMode>().is_err());
        assert!(ReferenceMode::AdainAttn.shares_attention() && ReferenceMode::AdainAttn.matches_statistics());
        assert!(!ReferenceMode::Only.matches_statistics() && !ReferenceMode::Adain.shares_attention());
    }
}
