//! How a ControlNet unit is weighed against the prompt: sd-webui-controlnet's three control modes.

use std::fmt;
use std::str::FromStr;

/// sd-webui-controlnet's control modes. "Prompt" mode scales residual i of 13 (12 down, then the
/// middle one) by weight·0.825^(12−i) ("soft injection"); "ControlNet" mode uses those soft scales
/// too and adds the residuals to the conditional half of the CFG batch only ("CFG injection"), which
/// is what `soft_injection = mode != Balanced` and `cfg_injection = mode == ControlNet` do there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlMode {
    #[default]
    Balanced,
    PromptMoreImportant,
    ControlNetMoreImportant,
}

/// Ratio between the scales of neighbouring residuals in the soft-injection modes.
const SOFT_RATIO: f32 = 0.825;

impl ControlMode {
    pub const ALL: [ControlMode; 3] =
        [ControlMode::Balanced, ControlMode::PromptMoreImportant, ControlMode::ControlNetMoreImportant];

    /// The label A1111 shows and writes into infotexts.
    pub fn label(self) -> &'static str {
        match self {
            ControlMode::Balanced => "Balanced",
            ControlMode::PromptMoreImportant => "My prompt is more important",
            ControlMode::ControlNetMoreImportant => "ControlNet is more important",
        }
    }

    /// The short id used on the command line and in settings files.
    pub fn id(self) -> &'static str {
        match self {
            ControlMode::Balanced => "balanced",
            ControlMode::PromptMoreImportant => "prompt",
            ControlMode::ControlNetMoreImportant => "controlnet",
        }
    }

    /// Scale of residual `index` of `count` (the middle block's residual is the last) for `weight`.
    pub fn residual_scale(self, weight: f32, index: usize, count: usize) -> f32 {
        match self {
            ControlMode::Balanced => weight,
            _ => weight * SOFT_RATIO.powi((count - 1 - index.min(count - 1)) as i32),
        }
    }

    /// Whether the residuals go to the conditional half of the CFG batch only.
    pub fn conditional_only(self) -> bool {
        self == ControlMode::ControlNetMoreImportant
    }
}

impl fmt::Display for ControlMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown control mode `{0}`: use balanced, prompt or controlnet (or A1111's labels)")]
pub struct UnknownControlMode(pub String);

impl FromStr for ControlMode {
    type Err = UnknownControlMode;

    /// Accepts the ids and A1111's labels, in any case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_lowercase();
        ControlMode::ALL
            .into_iter()
            .find(|mode| wanted == mode.id() || wanted == mode.label().to_lowercase())
            .ok_or_else(|| UnknownControlMode(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_scales_fall_by_0_825_per_block_from_the_middle() {
        let mode = ControlMode::PromptMoreImportant;
        assert_eq!(mode.residual_scale(1.0, 12, 13), 1.0);
        assert!((mode.residual_scale(2.0, 11, 13) - 1.65).abs() < 1e-6);
        assert!((mode.residual_scale(1.0, 0, 13) - 0.825f32.powi(12)).abs() < 1e-7);
        assert_eq!(ControlMode::Balanced.residual_scale(0.7, 0, 13), 0.7);
    }

    #[test]
    fn names_parse_in_any_case() {
        assert_eq!("My Prompt is more important".parse(), Ok(ControlMode::PromptMoreImportant));
        assert_eq!("CONTROLNET".parse(), Ok(ControlMode::ControlNetMoreImportant));
        assert_eq!(" balanced ".parse(), Ok(ControlMode::Balanced));
        assert!("strong".parse::<ControlMode>().is_err());
    }

    #[test]
    fn only_controlnet_mode_skips_the_unconditional_half() {
        assert!(ControlMode::ControlNetMoreImportant.conditional_only());
        assert!(!ControlMode::PromptMoreImportant.conditional_only());
    }
}
